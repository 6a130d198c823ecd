"""Deals carry their evidence level (issue 12 §4); existing deals start as self-declared

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evidence_level', sa.String(length=16), nullable=False,
                                      server_default='SELF_DECLARED'))
        batch_op.create_index(batch_op.f('ix_deals_evidence_level'), ['evidence_level'], unique=False)


def downgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deals_evidence_level'))
        batch_op.drop_column('evidence_level')
