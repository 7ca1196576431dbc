"""Gap log tables (SQLAlchemy 2). Schema changes go through Alembic (migrations/)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Float, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STATUSES = ("new", "to-train", "to-write-content", "not-relevant", "resolved")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class GapRecord(Base):
    """One question the bot could not answer well. `text` and `answer_given` are stored only
    after redaction; the conversation id only as a keyed hash."""

    __tablename__ = "gaps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")
    intent: Mapped[str] = mapped_column(String(64), default="")
    intent_confidence: Mapped[float] = mapped_column(Float, default=0.0)
    top_document: Mapped[str] = mapped_column(String(200), default="")
    top_score: Mapped[float] = mapped_column(Float, default=0.0)
    answer_given: Mapped[str] = mapped_column(Text, default="")
    conversation_hash: Mapped[str] = mapped_column(String(64), default="")
    channel: Mapped[str] = mapped_column(String(32), default="")
    page: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(24), default="new")
    topic: Mapped[str] = mapped_column(String(100), default="")
    record_key: Mapped[str] = mapped_column(String(64), unique=True)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    # The sentence vector of `text` (float16, bot/gaps/vectors.py) and the model that made it:
    # the dashboard groups gaps by it, and embedding thousands of questions on every page load
    # took seconds. Loaded only when asked for.
    vector: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    vector_model: Mapped[str | None] = mapped_column(String(16), nullable=True)

    __table_args__ = (
        Index("ix_gaps_created_at", "created_at"),
        Index("ix_gaps_reason", "reason"),
        Index("ix_gaps_status", "status"),
    )


class Trainer(Base):
    __tablename__ = "trainers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SuggestionDecision(Base):
    """A trainer's accept/reject of a cluster suggestion, keyed by the cluster's signature."""

    __tablename__ = "suggestion_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signature: Mapped[str] = mapped_column(String(64), unique=True)
    decision: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200), default="")
    decided_by: Mapped[str] = mapped_column(String(80), default="")
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DocumentUse(Base):
    """How often each document was given as an answer (no user text): feeds the
    "never retrieved" part of the knowledge health panel."""

    __tablename__ = "document_use"

    doc_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    answers: Mapped[int] = mapped_column(Integer, default=0)
    last_answered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
