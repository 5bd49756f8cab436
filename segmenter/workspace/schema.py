"""The workspace's tables as typed SQLAlchemy models; migrations/ creates them (a test keeps
the two equal).

Runs are numbered 1, 2, 3... by the database (integers, never reused: SQLite's AUTOINCREMENT,
PostgreSQL's sequence). Times are stored in UTC and read back as aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["AuditEntry", "Base", "ReviewItem", "Run", "RunDocument", "UTCDateTime"]

# Constraint names the migrations spell out too: both backends name them alike.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SHA256 = String(64)  # hex digest


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC; a naive one is refused rather than guessed at."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a time without a time zone: {value} (the workspace keeps UTC)")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime}  # noqa: RUF012


class Run(Base):
    """One segmentation run, recorded whole: its input, settings, results and model."""

    __tablename__ = "runs"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012  (ids never reused)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))  # "segment", or "refresh" of previous_run_id
    status: Mapped[str] = mapped_column(String(16))  # "complete": a run is written whole or not
    source_name: Mapped[str] = mapped_column(Text)  # the input file's name as given
    source_sha256: Mapped[str] = mapped_column(SHA256, index=True)
    rows_read: Mapped[int] = mapped_column(BigInteger)
    rows_kept: Mapped[int] = mapped_column(BigInteger)
    algorithm: Mapped[str] = mapped_column(String(40))
    k: Mapped[int]
    seed: Mapped[int] = mapped_column(BigInteger)  # up to 2**32 - 1
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    profiles: Mapped[str] = mapped_column(Text)  # profiles.json, byte for byte as written
    profiles_sha256: Mapped[str] = mapped_column(SHA256, index=True)  # = a brief's audit
    model: Mapped[bytes] = mapped_column(LargeBinary)  # model.skops, or Spark's: see engine
    model_sha256: Mapped[str] = mapped_column(SHA256)
    assignments: Mapped[bytes | None] = mapped_column(LargeBinary)  # Parquet; None: not kept
    book: Mapped[str | None] = mapped_column(Text)  # book.json as written; None before 0003
    previous_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    # "local": `model` is model.skops; "spark": a zip of spark_model.json and spark_model/
    engine: Mapped[str] = mapped_column(String(16), server_default="local")


class RunDocument(Base):
    """A brief written from a run: its personas and the rendered text, and what wrote them."""

    __tablename__ = "run_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    created_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))  # e.g. "brief.md", "brief.html"
    content: Mapped[str] = mapped_column(Text)
    personas: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    narratives: Mapped[str] = mapped_column(String(200))  # the LLM's name, or "rule-based"
    model_version: Mapped[str | None] = mapped_column(String(200))  # None: no LLM text
    prompt_version: Mapped[str] = mapped_column(SHA256)  # the prompt templates' sha256
    stats_sha256: Mapped[str] = mapped_column(SHA256)  # profiles.json the text was written from


class ReviewItem(Base):
    """A persona or product suggestion awaiting a decision; `version` guards against two
    reviewers deciding from the same state (optimistic locking)."""

    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("document_id", "item_key", name="uq_review_items_document_id"),
        CheckConstraint("state IN ('draft', 'approved', 'rejected')", name="state"),
        CheckConstraint("source IN ('llm', 'rule-based')", name="source"),
        CheckConstraint("kind IN ('persona', 'product')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("run_documents.id"))
    item_key: Mapped[str] = mapped_column(String(200))  # "segment-0/persona", ".../product/x"
    kind: Mapped[str] = mapped_column(String(16))
    segment_id: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    reviewer: Mapped[str | None] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    version: Mapped[int]


class AuditEntry(Base):
    """One recorded action; `hash` covers every other column, `prev_hash` is the entry before's.

    Never updated or deleted: triggers refuse it, and `audit.verify` finds what got past them.
    """

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 1, 2, 3...
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(16))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly the text hashed
    model_version: Mapped[str | None] = mapped_column(String(200))
    prompt_version: Mapped[str | None] = mapped_column(SHA256)
    stats_sha256: Mapped[str | None] = mapped_column(SHA256)
    prev_hash: Mapped[str] = mapped_column(SHA256, unique=True)  # a fork cannot be written
    hash: Mapped[str] = mapped_column(SHA256, unique=True)
