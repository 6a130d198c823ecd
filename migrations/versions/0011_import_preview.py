"""import batches keep the preview and reading problems of their one parse (issue 13 #4)

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preview', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('problems', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_column('problems')
        batch_op.drop_column('preview')
