"""ORM tables of the store (SQLAlchemy 2, typed ``Mapped[...]``); portable to SQLite and PostgreSQL.

Why these shapes: the verdict row keeps the *exact* signed JSON text (``verdict_json``) so a signature
can always be re-checked byte for byte, while the scalar columns beside it (verdict, category, speedups)
exist only so listing and filtering need no JSON parsing in SQL, which differs between backends.
Problems, candidates and environments are deduplicated by content hash because a suite run judges the
same reference thousands of times.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

SCHEMA_VERSION = 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class Meta(Base):
    """Key/value facts about the database itself; holds ``schema_version``."""

    __tablename__ = "kw_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class Problem(Base):
    __tablename__ = "kw_problems"
    __table_args__ = (UniqueConstraint("path", "sha256", name="uq_problem_path_sha"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    path: Mapped[str] = mapped_column(String(1024), index=True)  # the verdict's "problem" (path or id)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(Text)
    op_signature: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)  # {"aten.mm": 1, ...}
    op_family: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Candidate(Base):
    __tablename__ = "kw_candidates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))  # "triton" | "cuda" | "pytorch"
    origin: Mapped[str] = mapped_column(String(16), default="file")  # "file" | "agent" (first seen)
    model: Mapped[str | None] = mapped_column(String(256), default=None)
    run_id: Mapped[str | None] = mapped_column(String(64), default=None)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("kw_candidates.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Environment(Base):
    __tablename__ = "kw_environments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of canonical env JSON
    device: Mapped[str] = mapped_column(String(256))
    interpreter: Mapped[bool] = mapped_column(Boolean, default=False)
    driver: Mapped[str | None] = mapped_column(String(64), default=None)
    cuda: Mapped[str | None] = mapped_column(String(64), default=None)
    torch: Mapped[str] = mapped_column(String(64))
    triton: Mapped[str] = mapped_column(String(64))
    python: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # the full environment JSON


class Run(Base):
    __tablename__ = "kw_runs"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # "verify" | "suite" | "optimize" | ...
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    budgets: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(32), default="running")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class VerdictRow(Base):
    __tablename__ = "kw_verdicts"
    __table_args__ = (Index("ix_verdict_run_item", "run_id", "item_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)  # insertion order
    record_id: Mapped[str] = mapped_column(String(64), unique=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("kw_problems.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("kw_candidates.id"), index=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("kw_environments.id"))
    run_id: Mapped[str | None] = mapped_column(ForeignKey("kw_runs.id"), default=None)
    item_key: Mapped[str | None] = mapped_column(String(512), default=None)
    verdict: Mapped[str] = mapped_column(String(16), index=True)
    category: Mapped[str | None] = mapped_column(String(32), default=None)
    speedup_vs_eager: Mapped[float | None] = mapped_column(Float, default=None)
    speedup_vs_compiled: Mapped[float | None] = mapped_column(Float, default=None)
    speedup: Mapped[float | None] = mapped_column(Float, default=None)  # vs the stronger baseline
    verdict_json: Mapped[str] = mapped_column(Text)  # canonical JSON incl. record_id and signature
    signature: Mapped[str] = mapped_column(String(128))
    public_key: Mapped[str] = mapped_column(String(64))
    key_fingerprint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    problem: Mapped[Problem] = relationship(lazy="joined")
    candidate: Mapped[Candidate] = relationship(lazy="joined")
    environment: Mapped[Environment] = relationship(lazy="joined")


class Lesson(Base):
    __tablename__ = "kw_lessons"
    __table_args__ = (UniqueConstraint("op_family", "kind", "text_sha256", name="uq_lesson"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    op_family: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "avoid" | "try"
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(256), default=None)  # run id or free text
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
