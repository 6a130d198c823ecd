"""The database's identity, which the search index records so that it is never read as another
database's index (issue 16)

Revision ID: 0021
Revises: 0020
"""
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'database_identity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', sa.String(length=36), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_database_identity_one_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_database_identity')),
    )
    # A fresh identity for every database the schema is built in.
    op.bulk_insert(table, [{'id': 1, 'value': str(uuid.uuid4()),
                            'created_at': datetime.now(UTC).replace(tzinfo=None)}])


def downgrade():
    op.drop_table('database_identity')
