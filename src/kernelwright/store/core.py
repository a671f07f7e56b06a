"""The Store: every verdict, signed and committed before the caller moves on.

Why commit per verdict: a suite run on GPUs is expensive; if the process is killed (OOM, SIGKILL, a
preempted node) every verdict already returned by :meth:`Store.record_verdict` must still be there so
the run can resume from :meth:`Store.finished_items` instead of starting over.
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

import kernelwright.store.models as m
from kernelwright.store.db import (
    WRITE_OPTION,
    StoreError,
    check_sqlite_file,
    default_url,
    make_engine,
    quick_check,
    sqlite_path,
)
from kernelwright.store.signing import (
    Signer,
    canonical_json,
    fingerprint,
    json_safe,
    trusted_keys,
    verify_record,
)
from kernelwright.store.sources import detect_language, sha256_text
from kernelwright.verdict import Verdict

log = logging.getLogger(__name__)

STORE_FIELDS = ("record_id", "problem_sha256", "provenance", "signature", "public_key")
_PG_SCHEMA_LOCK = 0x6B77_7374  # advisory lock id serialising create_all across processes on PostgreSQL
T = TypeVar("T", bound=m.Base)


@dataclass(frozen=True)
class StoredRecord:
    """What :meth:`Store.record_verdict` hands back: the id and signature of the committed record."""

    record_id: str
    signature: str  # base64 ed25519 signature
    public_key: str  # base64 raw ed25519 public key
    verdict: dict[str, Any]  # the stored, signed verdict JSON
    created_at: datetime


def _aware(dt: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything the store writes is UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _iso(dt: datetime | None) -> str | None:
    aware = _aware(dt)
    return aware.isoformat() if aware else None


def finite_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def stronger_speedup(timing: dict[str, Any] | None) -> float | None:
    """Speedup over the *stronger* (faster) baseline: min of vs-eager and vs-compiled."""
    if not isinstance(timing, dict):
        return None
    values = [
        v
        for v in (
            finite_number(timing.get("speedup_vs_eager")),
            finite_number(timing.get("speedup_vs_compiled")),
        )
        if v is not None
    ]
    return min(values) if values else None


class Store:
    """Facade over the database. Thread-compatible; use one Store per process (workers open their own)."""

    def __init__(self, engine: Engine, signer: Signer | None = None) -> None:
        self.engine = engine
        self._signer = signer
        self._trusted: frozenset[str] | None = None
        self.unverified = 0  # rows the last read hid because they failed verification
        self._read = sessionmaker(bind=engine, expire_on_commit=False)
        self._write = sessionmaker(
            bind=engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )
        self._ensure_schema()

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """Open (and create if needed) the database at ``url``, ``$KERNELWRIGHT_DB`` or the default file.

        An SQLite file is checked first (store/db.py): a 0-byte file, a file that is not SQLite or one
        with a corrupt page raises :class:`StoreError` instead of becoming an empty store or failing
        later. A lock held past the busy timeout or a server that is down raises SQLAlchemy's
        OperationalError (``db.is_unavailable``): the CLI spools verdicts then (store/spool.py).
        """
        target = url or default_url()
        path = sqlite_path(target)
        if path is not None:
            check_sqlite_file(path)
        engine = make_engine(target)
        try:
            if path is not None:
                quick_check(engine, path)
            return cls(engine)
        except BaseException:
            engine.dispose()
            raise

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def trusted_keys(self) -> frozenset[str]:
        """Keys whose records this store shows as verified: this machine's key and the keyring."""
        if self._trusted is None:
            self._trusted = trusted_keys()
        if self._signer is not None:  # made lazily, maybe after the first read: its key is always trusted
            return self._trusted | {self._signer.public_key}
        return self._trusted

    def check_row(self, row: m.VerdictRow) -> str | None:
        """Why a stored row cannot be shown as verified, or None when it can.

        The signed JSON must verify with a trusted key, and the columns readers filter and rank by
        (verdict, category, speedups, the sources' hashes) must say what the signed JSON says: a row
        edited in the database after the judge wrote it is caught here, not shown as verified.
        """
        try:
            rec = json.loads(row.verdict_json)
        except (TypeError, ValueError):
            return "the stored verdict is not valid JSON"
        if not isinstance(rec, dict) or not verify_record(rec, self.trusted_keys):
            if isinstance(rec, dict) and verify_record(rec, None):
                return (
                    f"signed by a key this machine does not trust ({fingerprint(str(rec.get('public_key')))})"
                )
            return "the signature does not verify"
        timing = rec.get("timing") if isinstance(rec.get("timing"), dict) else None
        expected = {
            "record_id": rec.get("record_id"),
            "verdict": rec.get("verdict"),
            "category": rec.get("category"),
            "speedup_vs_eager": finite_number(timing.get("speedup_vs_eager")) if timing else None,
            "speedup_vs_compiled": finite_number(timing.get("speedup_vs_compiled")) if timing else None,
            "speedup": stronger_speedup(timing),
        }
        for column, want in expected.items():
            if getattr(row, column) != want:
                return f"column {column} ({getattr(row, column)!r}) differs from the signed record ({want!r})"
        if (
            row.candidate.sha256 != rec.get("candidate_sha256")
            or sha256_text(row.candidate.source) != row.candidate.sha256
        ):
            return "the stored kernel source does not hash to the signed candidate_sha256"
        if (
            row.problem.sha256 != rec.get("problem_sha256")
            or sha256_text(row.problem.source) != row.problem.sha256
        ):
            return "the stored problem source does not hash to the signed problem_sha256"
        return None

    def _verified(
        self, rows: Iterable[m.VerdictRow], include_unverified: bool = False
    ) -> list[tuple[m.VerdictRow, str | None]]:
        """Rows with the reason each fails verification; failures dropped (and counted) unless asked for."""
        out = []
        self.unverified = 0
        for row in rows:
            why = self.check_row(row)
            if why is not None:
                self.unverified += 1
                log.warning("record %s hidden: %s", row.record_id, why)
                if not include_unverified:
                    continue
            out.append((row, why))
        return out

    @property
    def signer(self) -> Signer:
        """Created lazily so read-only commands never create a key pair."""
        if self._signer is None:
            self._signer = Signer()
        return self._signer

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure_schema(self) -> None:
        with self._write() as s, s.begin():
            if self.engine.dialect.name == "postgresql":
                s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_SCHEMA_LOCK})
            m.Base.metadata.create_all(s.connection())
            row = s.get(m.Meta, "schema_version")
            if row is None:
                s.add(m.Meta(key="schema_version", value=str(m.SCHEMA_VERSION)))
            elif int(row.value) > m.SCHEMA_VERSION:
                raise StoreError(
                    f"database schema {row.value} is newer than this kernelwright ({m.SCHEMA_VERSION}); upgrade"
                )

    def schema_version(self) -> int:
        with self._read() as s:
            row = s.get(m.Meta, "schema_version")
            return int(row.value) if row else 0

    # ------------------------------------------------------------------ runs
    def start_run(
        self,
        kind: str,
        config: dict[str, Any],
        *,
        budgets: dict[str, Any] | None = None,
        run_id: str | None = None,
    ) -> str:
        """Create a run row (status "running") and return its id."""
        rid = run_id or uuid.uuid4().hex
        budgets = budgets if budgets is not None else config.get("budgets") or config.get("budget")
        with self._write() as s, s.begin():
            s.add(
                m.Run(
                    id=rid,
                    kind=kind,
                    config=json_safe(config),
                    budgets=json_safe(budgets) if budgets else None,
                )
            )
        return rid

    def finish_run(self, run_id: str, summary: dict[str, Any], status: str = "finished") -> None:
        with self._write() as s, s.begin():
            run = self._run(s, run_id)
            run.summary, run.status, run.finished_at = json_safe(summary), status, m.utcnow()

    def reopen_run(self, run_id: str) -> dict[str, dict[str, Any]]:
        """Mark a run as running again (for ``--resume``) and return its finished items."""
        with self._write() as s, s.begin():
            run = self._run(s, run_id)
            run.status, run.finished_at = "running", None
        return self.finished_items(run_id)

    def update_run_usage(self, run_id: str, tokens: int, cost: float, *, increment: bool = False) -> None:
        """Set the run's token and cost totals (``increment=True`` adds to them instead)."""
        with self._write() as s, s.begin():
            run = self._run(s, run_id)
            if increment:
                run.tokens, run.cost = run.tokens + int(tokens), run.cost + float(cost)
            else:
                run.tokens, run.cost = int(tokens), float(cost)

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        with self._read() as s:
            run = s.get(m.Run, run_id)
            if run is None:
                return None
            count = s.scalar(
                select(func.count()).select_from(m.VerdictRow).where(m.VerdictRow.run_id == run_id)
            )
            return {
                "run_id": run.id,
                "kind": run.kind,
                "config": run.config,
                "budgets": run.budgets,
                "summary": run.summary,
                "tokens": run.tokens,
                "cost": run.cost,
                "status": run.status,
                "started_at": _iso(run.started_at),
                "finished_at": _iso(run.finished_at),
                "records": count,
            }

    @staticmethod
    def _run(s: Session, run_id: str) -> m.Run:
        run = s.get(m.Run, run_id)
        if run is None:
            raise StoreError(f"unknown run {run_id!r}")
        return run

    # ------------------------------------------------------------------ verdicts
    def record_verdict(
        self,
        verdict: Verdict | dict[str, Any],
        *,
        problem_source: str,
        candidate_source: str,
        origin: dict[str, Any] | None = None,
        run_id: str | None = None,
        item_key: str | None = None,
    ) -> StoredRecord:
        """Sign ``verdict``, store it with its sources and environment, and commit before returning.

        ``origin``: ``{"origin"|"kind": "file"|"agent", "model", "run_id", "parent", "language", ...}``;
        extra JSON keys are kept in the record's ``provenance``. ``parent`` may be a record id or a
        candidate sha256. Raises :class:`StoreError` when ``candidate_source`` does not hash to the
        verdict's ``candidate_sha256`` (the signature would otherwise vouch for the wrong kernel).
        """
        body = self._verdict_body(verdict)
        if body.get("candidate_sha256") != sha256_text(candidate_source):
            raise StoreError("candidate_source does not hash to the verdict's candidate_sha256")
        provenance = self._provenance(origin, run_id, candidate_source)
        record = self.signer.sign(
            {
                **body,
                "record_id": uuid.uuid4().hex,
                "problem_sha256": sha256_text(problem_source),
                "provenance": provenance,
            }
        )
        created = datetime.fromisoformat(provenance["recorded_at"])
        timing = record.get("timing") if isinstance(record.get("timing"), dict) else None
        env = record.get("environment") or {}
        with self._write() as s, s.begin():
            if run_id is not None:
                self._run(s, run_id)
            problem = self._get_or_create(
                s,
                m.Problem,
                {"path": str(record["problem"]), "sha256": record["problem_sha256"]},
                {"source": problem_source},
            )
            candidate = self._get_or_create(
                s,
                m.Candidate,
                {"sha256": record["candidate_sha256"]},
                {
                    "source": candidate_source,
                    "language": provenance["language"],
                    "origin": provenance["origin"],
                    "model": provenance.get("model"),
                    "run_id": provenance.get("run_id"),
                    "parent_id": self._parent_candidate(s, provenance.get("parent")),
                },
            )
            environment = self._get_or_create(
                s,
                m.Environment,
                {"fingerprint": sha256_text(canonical_json(env).decode())},
                {
                    "device": str(env.get("device", "")),
                    "interpreter": bool(env.get("interpreter", False)),
                    "driver": env.get("driver"),
                    "cuda": env.get("cuda"),
                    "torch": str(env.get("torch", "")),
                    "triton": str(env.get("triton", "")),
                    "python": str(env.get("python", "")),
                    "data": env,
                },
            )
            s.add(
                m.VerdictRow(
                    record_id=record["record_id"],
                    problem_id=problem.id,
                    candidate_id=candidate.id,
                    environment_id=environment.id,
                    run_id=run_id,
                    item_key=item_key,
                    verdict=record["verdict"],
                    category=record.get("category"),
                    speedup_vs_eager=finite_number(timing.get("speedup_vs_eager")) if timing else None,
                    speedup_vs_compiled=finite_number(timing.get("speedup_vs_compiled")) if timing else None,
                    speedup=stronger_speedup(timing),
                    verdict_json=canonical_json(record).decode(),
                    signature=record["signature"],
                    public_key=record["public_key"],
                    key_fingerprint=self.signer.fingerprint,
                    created_at=created,
                )
            )
        return StoredRecord(record["record_id"], record["signature"], record["public_key"], record, created)

    @staticmethod
    def _verdict_body(verdict: Verdict | dict[str, Any]) -> dict[str, Any]:
        if isinstance(verdict, Verdict):
            body = verdict.to_json_dict()
        else:
            Verdict.model_validate(verdict)  # reject garbage early; keep any extra fields the judge added
            body = {k: v for k, v in verdict.items() if k not in STORE_FIELDS}
        return json_safe(body)

    @staticmethod
    def _provenance(
        origin: dict[str, Any] | None, run_id: str | None, candidate_source: str
    ) -> dict[str, Any]:
        rest = dict(origin or {})
        model = rest.pop("model", None)
        kind = rest.pop("origin", None) or rest.pop("kind", None) or ("agent" if model else "file")
        if kind not in ("file", "agent"):
            raise StoreError(f"origin must be 'file' or 'agent', not {kind!r}")
        origin_run = rest.pop("run_id", None)
        parent = (
            rest.pop("parent", None) or rest.pop("parent_record_id", None) or rest.pop("parent_sha256", None)
        )
        language = rest.pop("language", None) or detect_language(candidate_source)
        return json_safe(
            {
                **rest,
                "origin": kind,
                "model": model,
                "run_id": run_id or origin_run,
                "parent": parent,
                "language": language,
                "recorded_at": m.utcnow().isoformat(),
            }
        )

    @staticmethod
    def _parent_candidate(s: Session, parent: Any) -> int | None:
        if not isinstance(parent, str) or not parent:
            return None
        via_record = s.scalar(select(m.VerdictRow.candidate_id).where(m.VerdictRow.record_id == parent))
        if via_record is not None:
            return via_record
        return s.scalar(select(m.Candidate.id).where(m.Candidate.sha256 == parent))

    @staticmethod
    def _get_or_create(s: Session, model: type[T], keys: dict[str, Any], extra: dict[str, Any]) -> T:
        """Select-or-insert that survives a parallel writer inserting the same row (PostgreSQL)."""
        found = s.scalars(select(model).filter_by(**keys)).first()
        if found is not None:
            return found
        try:
            with s.begin_nested():
                obj = model(**keys, **extra)
                s.add(obj)
            return obj
        except IntegrityError:
            return s.scalars(select(model).filter_by(**keys)).one()

    def finished_items(self, run_id: str) -> dict[str, dict[str, Any]]:
        """``item_key -> stored verdict JSON`` for a run; the latest record wins when a key repeats.

        Only records that verify (:meth:`check_row`) count: a tampered row is judged again on
        ``--resume``, not handed back as a finished verdict. The JSON carries ``candidate_sha256`` and
        ``problem_sha256``, so a caller can tell whether the files were edited since (suite/runner.py).
        """
        q = (
            select(m.VerdictRow)
            .where(m.VerdictRow.run_id == run_id, m.VerdictRow.item_key.is_not(None))
            .order_by(m.VerdictRow.id)
        )
        with self._read() as s:
            rows = self._verified(s.scalars(q).unique())
            return {str(row.item_key): json.loads(row.verdict_json) for row, _ in rows}

    # ------------------------------------------------------------------ reading
    @staticmethod
    def _summary(row: m.VerdictRow, why: str | None = None) -> dict[str, Any]:
        return {
            "verified": why is None,
            **({"unverified_because": why} if why else {}),
            "record_id": row.record_id,
            "problem": row.problem.path,
            "problem_sha256": row.problem.sha256,
            "verdict": row.verdict,
            "category": row.category,
            "candidate_sha256": row.candidate.sha256,
            "language": row.candidate.language,
            "origin": row.candidate.origin,
            "model": row.candidate.model,
            "run_id": row.run_id,
            "item_key": row.item_key,
            "speedup_vs_eager": row.speedup_vs_eager,
            "speedup_vs_compiled": row.speedup_vs_compiled,
            "speedup": row.speedup,
            "device": row.environment.device,
            "key_fingerprint": row.key_fingerprint,
            "created_at": _iso(row.created_at),
        }

    @staticmethod
    def _problem_filter(problem: str) -> Any:
        """Match a problem by its stored path/id, by a path suffix, or by file stem."""
        stem = problem[:-3] if problem.endswith(".py") else problem
        return or_(
            m.Problem.path == problem,
            m.Problem.path.endswith("/" + problem, autoescape=True),
            m.Problem.path == stem + ".py",
            m.Problem.path.endswith("/" + stem + ".py", autoescape=True),
        )

    def list_records(
        self,
        problem: str | None = None,
        accepted_only: bool = False,
        limit: int | None = None,
        include_unverified: bool = False,
    ) -> list[dict[str, Any]]:
        """Summaries, newest first; rows that fail verification are left out (``self.unverified``)."""
        q = select(m.VerdictRow).join(m.VerdictRow.problem).order_by(m.VerdictRow.id.desc())
        if problem:
            q = q.where(self._problem_filter(problem))
        if accepted_only:
            q = q.where(m.VerdictRow.verdict == "accepted")
        with self._read() as s:
            rows = self._verified(s.scalars(q).unique(), include_unverified)
            return [self._summary(r, why) for r, why in rows[:limit]]

    def get_record(self, record_id: str) -> dict[str, Any] | None:
        """Summary fields plus ``verdict_json`` (the signed record), ``candidate_source``, ``problem_source``."""
        with self._read() as s:
            row = s.scalars(select(m.VerdictRow).where(m.VerdictRow.record_id == record_id)).unique().first()
            if row is None:
                return None
            return {
                **self._summary(row, self.check_row(row)),
                "verdict_json": json.loads(row.verdict_json),
                "candidate_source": row.candidate.source,
                "problem_source": row.problem.source,
                "environment": row.environment.data,
            }

    def resolve_record_id(self, prefix: str) -> list[str]:
        """Record ids starting with ``prefix`` (at most 10), so users can type a short id."""
        with self._read() as s:
            return list(
                s.scalars(
                    select(m.VerdictRow.record_id)
                    .where(m.VerdictRow.record_id.startswith(prefix, autoescape=True))
                    .limit(10)
                )
            )

    def search_text(
        self, needle: str, limit: int = 20, include_unverified: bool = False
    ) -> list[dict[str, Any]]:
        """Case-insensitive substring search over problem ids and sources, kernel sources and verdicts."""
        low = needle.lower()
        cols = (m.Problem.path, m.Problem.source, m.Candidate.source, m.VerdictRow.verdict_json)
        q = (
            select(m.VerdictRow)
            .join(m.VerdictRow.problem)
            .join(m.VerdictRow.candidate)
            .where(or_(*[func.lower(c).contains(low, autoescape=True) for c in cols]))
            .order_by(m.VerdictRow.id.desc())
        )
        with self._read() as s:
            rows = self._verified(s.scalars(q).unique(), include_unverified)
            return [self._summary(r, why) for r, why in rows[:limit]]

    def iter_records(self, include_rejected: bool = False, batch: int = 200) -> Iterator[dict[str, Any]]:
        """Verified full records for export: ``get_record``'s shape, oldest first, streamed in batches.

        Rows that fail verification are skipped; ``self.unverified`` counts them when the stream ends.
        """
        last = 0
        hidden = 0
        while True:
            q = select(m.VerdictRow).where(m.VerdictRow.id > last).order_by(m.VerdictRow.id).limit(batch)
            if not include_rejected:
                q = q.where(m.VerdictRow.verdict == "accepted")
            with self._read() as s:
                rows = list(s.scalars(q).unique())
                kept = self._verified(rows)
                hidden += self.unverified
                out = [
                    {
                        **self._summary(r),
                        "verdict_json": json.loads(r.verdict_json),
                        "candidate_source": r.candidate.source,
                        "problem_source": r.problem.source,
                        "environment": r.environment.data,
                    }
                    for r, _ in kept
                ]
            if not rows:
                self.unverified = hidden
                return
            last = rows[-1].id
            yield from out

    # ------------------------------------------------------------------ knowledge support
    def accepted_for_knowledge(self) -> list[dict[str, Any]]:
        """Accepted records with what retrieval needs (sources, op signature, environment)."""
        q = select(m.VerdictRow).where(m.VerdictRow.verdict == "accepted").order_by(m.VerdictRow.id.desc())
        with self._read() as s:
            return [
                {
                    **self._summary(r),
                    "problem_source": r.problem.source,
                    "kernel_source": r.candidate.source,
                    "op_signature": r.problem.op_signature,
                    "op_family": r.problem.op_family,
                    "environment": r.environment.data,
                }
                for r, _ in self._verified(s.scalars(q).unique())
            ]

    def problem_signature(self, sha256: str) -> tuple[dict[str, int], str | None] | None:
        with self._read() as s:
            row = s.scalars(
                select(m.Problem).where(m.Problem.sha256 == sha256, m.Problem.op_signature.is_not(None))
            ).first()
            return (dict(row.op_signature or {}), row.op_family) if row else None

    def set_problem_signature(self, sha256: str, signature: dict[str, int], family: str | None) -> None:
        with self._write() as s, s.begin():
            s.execute(
                update(m.Problem)
                .where(m.Problem.sha256 == sha256)
                .values(op_signature=signature, op_family=family)
            )

    def add_lesson(self, op_family: str, kind: str, text_: str, source: str | None = None) -> int:
        """Insert a lesson (idempotent on family+kind+text); returns its id."""
        if kind not in ("avoid", "try"):
            raise StoreError(f"lesson kind must be 'avoid' or 'try', not {kind!r}")
        with self._write() as s, s.begin():
            lesson = self._get_or_create(
                s,
                m.Lesson,
                {"op_family": op_family, "kind": kind, "text_sha256": sha256_text(text_)},
                {"text": text_, "source": source},
            )
            return lesson.id

    def lessons(self, op_families: list[str], limit: int = 10) -> list[dict[str, Any]]:
        q = select(m.Lesson).order_by(m.Lesson.id.desc()).limit(limit)
        if op_families:
            q = q.where(m.Lesson.op_family.in_(op_families))
        with self._read() as s:
            return [
                {
                    "id": x.id,
                    "op_family": x.op_family,
                    "kind": x.kind,
                    "text": x.text,
                    "source": x.source,
                    "created_at": _iso(x.created_at),
                }
                for x in s.scalars(q)
            ]
