"""Patent packages (专利包): the further patents a listing sells with its lead patent, and those a deal
on a package covers (issue 14)

Revision ID: 0025
Revises: 0024
"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'listing_patents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('listing_id', sa.Integer(), nullable=False),
        sa.Column('patent_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.CheckConstraint('position >= 1', name=op.f('ck_listing_patents_member_after_lead')),
        sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_listing_patents_listing_id_listings'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['patent_id'], ['patents.id'], name=op.f('fk_listing_patents_patent_id_patents')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_patents')),
        sa.UniqueConstraint('listing_id', 'patent_id', name=op.f('uq_listing_patents_member')),
        sa.UniqueConstraint('listing_id', 'position', name=op.f('uq_listing_patents_position')),
    )
    op.create_index(op.f('ix_listing_patents_listing_id'), 'listing_patents', ['listing_id'], unique=False)
    op.create_index(op.f('ix_listing_patents_patent_id'), 'listing_patents', ['patent_id'], unique=False)
    op.create_table(
        'deal_patents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('deal_id', sa.Integer(), nullable=False),
        sa.Column('patent_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.CheckConstraint('position >= 1', name=op.f('ck_deal_patents_member_after_lead')),
        sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_deal_patents_deal_id_deals'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['patent_id'], ['patents.id'], name=op.f('fk_deal_patents_patent_id_patents')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_patents')),
        sa.UniqueConstraint('deal_id', 'patent_id', name=op.f('uq_deal_patents_member')),
        sa.UniqueConstraint('deal_id', 'position', name=op.f('uq_deal_patents_position')),
    )
    op.create_index(op.f('ix_deal_patents_deal_id'), 'deal_patents', ['deal_id'], unique=False)
    op.create_index(op.f('ix_deal_patents_patent_id'), 'deal_patents', ['patent_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_deal_patents_patent_id'), table_name='deal_patents')
    op.drop_index(op.f('ix_deal_patents_deal_id'), table_name='deal_patents')
    op.drop_table('deal_patents')
    op.drop_index(op.f('ix_listing_patents_patent_id'), table_name='listing_patents')
    op.drop_index(op.f('ix_listing_patents_listing_id'), table_name='listing_patents')
    op.drop_table('listing_patents')
