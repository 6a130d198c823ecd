"""Contracts frozen at the first signature and signed by both parties' confirmation of their hash;
objections to a publicity (issue 12 §2)

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'contract_texts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('deal_id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('html', sa.LargeBinary(), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
        sa.Column('terms_sha256', sa.String(length=64), nullable=False),
        sa.Column('price_fen', sa.BigInteger(), nullable=True),
        sa.Column('dues_from', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('frozen_at', sa.DateTime(), nullable=False),
        sa.Column('frozen_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_contract_texts_deal_id_deals')),
        sa.ForeignKeyConstraint(['frozen_by_id'], ['users.id'], name=op.f('fk_contract_texts_frozen_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_texts')),
    )
    op.create_index(op.f('ix_contract_texts_deal_id'), 'contract_texts', ['deal_id'], unique=False)
    op.create_table(
        'contract_signatures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_text_id', sa.Integer(), nullable=False),
        sa.Column('side', sa.String(length=8), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['contract_text_id'], ['contract_texts.id'],
                                name=op.f('fk_contract_signatures_contract_text_id_contract_texts')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_contract_signatures_organisation_id_organisations')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_contract_signatures_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_signatures')),
        sa.UniqueConstraint('contract_text_id', 'side', name=op.f('uq_contract_signatures_contract_text_id')),
    )
    op.create_index(op.f('ix_contract_signatures_contract_text_id'), 'contract_signatures', ['contract_text_id'],
                    unique=False)
    op.create_table(
        'publicity_objections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('deal_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('contact', sa.String(length=200), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_publicity_objections_deal_id_deals')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_publicity_objections_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_publicity_objections')),
    )
    op.create_index(op.f('ix_publicity_objections_deal_id'), 'publicity_objections', ['deal_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_publicity_objections_deal_id'), table_name='publicity_objections')
    op.drop_table('publicity_objections')
    op.drop_index(op.f('ix_contract_signatures_contract_text_id'), table_name='contract_signatures')
    op.drop_table('contract_signatures')
    op.drop_index(op.f('ix_contract_texts_deal_id'), table_name='contract_texts')
    op.drop_table('contract_texts')
