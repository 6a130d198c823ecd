"""API tokens expire (issue 13 #7): tokens issued before get a year from their creation

Revision ID: 0013
Revises: 0012
"""
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
    tokens = sa.table('api_tokens', sa.column('id', sa.Integer()), sa.column('created_at', sa.DateTime()),
                      sa.column('expires_at', sa.DateTime()))
    bind = op.get_bind()
    for token_id, created_at in bind.execute(sa.select(tokens.c.id, tokens.c.created_at)).all():
        bind.execute(tokens.update().where(tokens.c.id == token_id)
                     .values(expires_at=created_at + timedelta(days=365)))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.create_index(batch_op.f('ix_api_tokens_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_expires_at'))
        batch_op.drop_column('expires_at')
