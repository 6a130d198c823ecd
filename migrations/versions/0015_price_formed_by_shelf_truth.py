"""Deals record how their price was formed (AGREEMENT unless the platform's listing or auction set it);
listings stop showing 开放许可 without an announced declaration (issue 12 §3, §5)

Revision ID: 0015
Revises: 0014
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# Declarations in effect (market.deals.open_licence.queries.IN_EFFECT).
IN_EFFECT = ('ANNOUNCED', 'WITHDRAWAL_FILED')


def upgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        # Every existing price was typed by the parties: none was set by a platform process yet.
        batch_op.add_column(sa.Column('price_formed_by', sa.String(length=12), nullable=False,
                                      server_default='AGREEMENT'))
    _drop_undeclared_open_licences()


def _drop_undeclared_open_licences():
    """开放许可 typed on a listing without an announced declaration is removed, and the listing reindexed."""
    bind = op.get_bind()
    listings = sa.table('listings', sa.column('id', sa.Integer), sa.column('patent_id', sa.Integer),
                        sa.column('modes', sa.JSON))
    declarations = sa.table('open_licence_declarations', sa.column('patent_id', sa.Integer),
                            sa.column('status', sa.String), sa.column('announce_date', sa.Date))
    outbox = sa.table('outbox', sa.column('topic', sa.String), sa.column('key', sa.String),
                      sa.column('created_at', sa.DateTime), sa.column('attempts', sa.Integer),
                      sa.column('last_error', sa.String))
    declared = {row.patent_id for row in bind.execute(sa.select(declarations.c.patent_id).where(
        declarations.c.status.in_(IN_EFFECT), declarations.c.announce_date.is_not(None)))}
    for row in bind.execute(sa.select(listings.c.id, listings.c.patent_id, listings.c.modes)).all():
        modes = list(row.modes or [])
        if 'OPEN_LICENSE' in modes and row.patent_id not in declared:
            bind.execute(listings.update().where(listings.c.id == row.id)
                         .values(modes=[m for m in modes if m != 'OPEN_LICENSE']))
            bind.execute(outbox.insert().values(topic='search.listing', key=str(row.id),
                                                created_at=datetime.now(UTC).replace(tzinfo=None), attempts=0, last_error=''))


def downgrade():
    # The removed 开放许可 modes were never true; they are not put back.
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_column('price_formed_by')
