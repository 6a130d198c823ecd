"""statistics: ledger indexes the district figures are counted through

Revision ID: 0007
Revises: 0003
Create Date: 2026-11-21 18:00:00

The figures for a period start from the basis ledger lines dated in it (kind + legal date), and
for each deal look at its payments by deal and kind; the changes to a closed period are the
lines recorded after it (kind + time recorded). The indexes cover what those lookups read, so
none touches the table rows (issue 6: a year of a 1,000,000-line ledger in well under a second).

A deal takes effect once: it is registered, filed, licensed or capital-registered once (the state
machine cannot re-enter those states), and the database now says so, so that no count has to
guard against a second basis line.

Plain CREATE INDEX, never a batch rebuild: rebuilding deal_events would drop its append-only
triggers.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0003'
branch_labels = None
depends_on = None

import sqlalchemy as sa  # noqa: E402

INDEXES = [
    ("ix_deal_events_kind_day", "deal_events", ["kind", "occurred_on", "deal_id", "recorded_at"]),
    ("ix_deal_events_deal_kind", "deal_events", ["deal_id", "kind", "occurred_on", "amount_fen", "recorded_at"]),
    ("ix_deal_events_kind_recorded", "deal_events", ["kind", "recorded_at", "occurred_on", "deal_id", "amount_fen"]),
    ("ix_declaration_events_status_day", "declaration_events", ["to_status", "occurred_on", "declaration_id", "at"]),
]
BASIS_LINES = sa.text("kind IN ('REGISTRATION', 'FILING', 'LICENSED', 'CAPITAL_REGISTERED')")


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    op.create_index("uq_deal_events_basis_once", "deal_events", ["deal_id", "kind"], unique=True,
                    sqlite_where=BASIS_LINES, postgresql_where=BASIS_LINES)


def downgrade():
    op.drop_index("uq_deal_events_basis_once", table_name="deal_events")
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
