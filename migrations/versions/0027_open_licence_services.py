"""Priced technical services offered beside an open-licence declaration, and the snapshot of those
chosen with a licence (issue 14: shown apart from the patent fee in the contract and the statistics)

Revision ID: 0027
Revises: 0026
"""
import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'open_licence_services',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('declaration_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('description', sa.String(length=1000), nullable=False),
        sa.Column('unit', sa.String(length=20), nullable=False),
        sa.Column('unit_price_fen', sa.BigInteger(), nullable=False),
        sa.Column('max_quantity', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
        sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('unit_price_fen > 0', name=op.f('ck_open_licence_services_price_positive')),
        sa.CheckConstraint('max_quantity IS NULL OR max_quantity >= 1',
                           name=op.f('ck_open_licence_services_max_positive')),
        sa.ForeignKeyConstraint(['declaration_id'], ['open_licence_declarations.id'],
                                name=op.f('fk_open_licence_services_declaration_id_open_licence_declarations')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_open_licence_services_created_by_id_users')),
        sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'],
                                name=op.f('fk_open_licence_services_withdrawn_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_open_licence_services')),
    )
    op.create_index(op.f('ix_open_licence_services_declaration_id'), 'open_licence_services', ['declaration_id'])
    op.create_table(
        'open_licence_taken_services',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('deal_id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('description', sa.String(length=1000), nullable=False),
        sa.Column('unit', sa.String(length=20), nullable=False),
        sa.Column('unit_price_fen', sa.BigInteger(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('quantity >= 1', name=op.f('ck_open_licence_taken_services_quantity_positive')),
        sa.CheckConstraint('amount_fen = unit_price_fen * quantity',
                           name=op.f('ck_open_licence_taken_services_amount_is_price_times_quantity')),
        sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_open_licence_taken_services_deal_id_deals')),
        sa.ForeignKeyConstraint(['service_id'], ['open_licence_services.id'],
                                name=op.f('fk_open_licence_taken_services_service_id_open_licence_services')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_open_licence_taken_services')),
        sa.UniqueConstraint('deal_id', 'service_id', name=op.f('uq_open_licence_taken_services_deal_id')),
    )
    op.create_index(op.f('ix_open_licence_taken_services_deal_id'), 'open_licence_taken_services', ['deal_id'])
    op.create_index(op.f('ix_open_licence_taken_services_service_id'), 'open_licence_taken_services', ['service_id'])


def downgrade():
    op.drop_table('open_licence_taken_services')
    op.drop_table('open_licence_services')
