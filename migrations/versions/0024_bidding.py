"""Bidding: a sealed flag on each bid; one bid per amount on an ascending lot, one per registration sealed

Revision ID: 0024
Revises: 0023
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch copy): recreating `bids` on SQLite would drop its append-only triggers.
    op.add_column('bids', sa.Column('sealed', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index('uq_bids_open_amount', 'bids', ['lot_id', 'amount_fen'], unique=True,
                    sqlite_where=sa.text('NOT sealed'), postgresql_where=sa.text('NOT sealed'))
    op.create_index('uq_bids_sealed_once', 'bids', ['registration_id'], unique=True,
                    sqlite_where=sa.text('sealed'), postgresql_where=sa.text('sealed'))


def downgrade():
    op.drop_index('uq_bids_sealed_once', table_name='bids')
    op.drop_index('uq_bids_open_amount', table_name='bids')
    op.drop_column('bids', 'sealed')  # native DROP COLUMN (SQLite 3.35+) keeps the triggers
