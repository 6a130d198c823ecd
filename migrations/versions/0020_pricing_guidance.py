"""Pricing guidance (issue 14): patents by a prefix of their main IPC symbol.

Revision ID: 0020
Revises: 0019 (0019_lots)
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # text_pattern_ops: PostgreSQL answers LIKE 'H01M 50/%' from the index whatever the database's collation.
    op.create_index("ix_patents_ipc_main", "patents", ["ipc_main"], postgresql_ops={"ipc_main": "text_pattern_ops"})


def downgrade() -> None:
    op.drop_index("ix_patents_ipc_main", table_name="patents")
