"""Speed (issue 14): pricing guidance finds a tier's deals of one kind by patent and kind.

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The comparables of one kind on the patents of an IPC group: without the kind in the index each
    # deal of the group (every kind) is read and its basis line looked up, to keep one in six.
    op.create_index("ix_deals_patent_kind", "deals", ["patent_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_deals_patent_kind", table_name="deals")
