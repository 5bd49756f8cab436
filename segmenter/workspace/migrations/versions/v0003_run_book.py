"""Each run keeps its book.json, so a refresh can measure drift against a recorded run.

Runs recorded before this revision keep no book (NULL): they are refreshed from their folder.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("book", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("runs", "book")  # SQLite 3.35 or later, as Python 3.11's usually is
