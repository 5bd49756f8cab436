"""Each run names the engine that fitted it: "local" (this machine: its model is model.skops)
or "spark" (Apache Spark: its model is a zip of spark_model.json and the spark_model/ folder).

Runs recorded before this revision were all fitted on one machine: they read "local".

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "runs", sa.Column("engine", sa.String(16), nullable=False, server_default="local")
    )


def downgrade() -> None:
    op.drop_column("runs", "engine")  # SQLite 3.35 or later, as Python 3.11's usually is
