"""outbox entries that can never be applied are parked with their error (issue 13 #5)

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parked_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_parked_at'), ['parked_at'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_parked_at'))
        batch_op.drop_column('parked_at')
