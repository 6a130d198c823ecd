"""Kept statistics: organisations record their last change, and the newest change of every table
the figures read is one index look-up (market/statistics/kept.py)

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

TABLES = ('deals', 'open_licence_declarations', 'listings', 'patents', 'organisations')


def upgrade():
    # Nullable and without a default: SQLite adds such a column in place, where a non-constant
    # default would make Alembic rebuild the table (which the foreign keys onto it refuse).
    with op.batch_alter_table('organisations') as batch:
        batch.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE organisations SET updated_at = created_at")
    for table in TABLES:
        op.create_index(op.f(f'ix_{table}_updated_at'), table, ['updated_at'], unique=False)


def downgrade():
    for table in TABLES:
        op.drop_index(op.f(f'ix_{table}_updated_at'), table_name=table)
    with op.batch_alter_table('organisations') as batch:
        batch.drop_column('updated_at')
