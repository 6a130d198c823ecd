"""organisation bank account for bank transfers

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

COLUMNS = (("bank_account_name", 200), ("bank_name", 200), ("bank_account_no", 40))


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        for name, length in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
