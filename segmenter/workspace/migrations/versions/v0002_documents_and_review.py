"""Briefs recorded with their runs, and review items with a version for optimistic locking.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("personas", sa.JSON(), nullable=False),
        sa.Column("narratives", sa.String(200), nullable=False),
        sa.Column("model_version", sa.String(200), nullable=True),
        sa.Column("prompt_version", sa.String(64), nullable=False),
        sa.Column("stats_sha256", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_run_documents_run_id_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_run_documents"),
    )
    op.create_index("ix_run_documents_run_id", "run_documents", ["run_id"])
    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reviewer", sa.String(200), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "state IN ('draft', 'approved', 'rejected')", name="ck_review_items_state"
        ),
        sa.CheckConstraint("source IN ('llm', 'rule-based')", name="ck_review_items_source"),
        sa.CheckConstraint("kind IN ('persona', 'product')", name="ck_review_items_kind"),
        sa.ForeignKeyConstraint(
            ["document_id"], ["run_documents.id"], name="fk_review_items_document_id_run_documents"
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_review_items_run_id_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_review_items"),
        sa.UniqueConstraint("document_id", "item_key", name="uq_review_items_document_id"),
    )
    op.create_index("ix_review_items_run_id", "review_items", ["run_id"])


def downgrade() -> None:
    op.drop_table("review_items")
    op.drop_table("run_documents")
