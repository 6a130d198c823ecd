"""Import batches count duplicate rows and remember how far a stepwise import got (issue 15 #10)

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duplicate_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('duplicates', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('processed_rows', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('seen', sa.JSON(), nullable=False, server_default='{}'))


def downgrade():
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_column('seen')
        batch_op.drop_column('processed_rows')
        batch_op.drop_column('duplicates')
        batch_op.drop_column('duplicate_count')
