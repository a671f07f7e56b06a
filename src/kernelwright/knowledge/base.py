"""The knowledge base: verified kernels for similar problems, and lessons, for the agent's prompts.

Score of a stored problem against the query = ``0.6 * op Jaccard + 0.3 * TF-IDF cosine + 0.1 * same
family`` (text cosine alone when either side could not be traced); the very same problem scores 1.
Only accepted records are retrieved, one kernel per problem: the fastest, preferring one verified on
the caller's environment. An entry verified on another GPU or toolchain is flagged ``needs_reverify``:
a kernel that was correct under Triton 3.4 on an H100 is only a hint elsewhere until judged again.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kernelwright.knowledge.similarity import tfidf_cosines, weighted_jaccard
from kernelwright.knowledge.trace import (
    TRACE_TIMEOUT_S,
    UNKNOWN_FAMILY,
    OpSignature,
    TraceError,
    families_of,
    trace_many,
)
from kernelwright.store.api import VerdictStore
from kernelwright.store.sources import sha256_text
from kernelwright.verdict import Environment, Verdict

ENV_KEYS = ("device", "interpreter", "torch", "triton", "cuda", "driver")  # what makes a re-verify necessary
# Below this score a "similar" problem shares little more than boilerplate (imports, `class Model`):
# its kernel costs prompt tokens and teaches nothing. The agent and the MCP server use it by default.
DEFAULT_MIN_SCORE = 0.3


@dataclass
class KnowledgeEntry:
    record_id: str
    problem: str
    problem_sha256: str
    kernel_source: str
    language: str
    op_family: str | None
    speedup_vs_eager: float | None
    speedup_vs_compiled: float | None
    speedup: float | None  # vs the stronger baseline
    environment: Environment | None
    score: float
    needs_reverify: bool
    reverified: bool = False
    problem_source: str = field(default="", repr=False)


@dataclass(frozen=True)
class Lesson:
    id: int
    op_family: str
    kind: str
    text: str
    source: str | None
    created_at: str | None


def env_key(env: Environment | dict[str, Any] | None) -> tuple[Any, ...] | None:
    if env is None:
        return None
    d = env.model_dump() if isinstance(env, Environment) else env
    return tuple(d.get(k) for k in ENV_KEYS)


def _as_env(data: Any) -> Environment | None:
    try:
        return Environment.model_validate(data) if data else None
    except ValueError:
        return None


def _file_name(name: str) -> str:
    base = Path(name).name
    return base if base.endswith(".py") else "problem.py"


class KnowledgeBase:
    """Retrieval of accepted kernels for similar problems, and lessons per op family."""

    def __init__(self, store: VerdictStore, trace_timeout: float = TRACE_TIMEOUT_S) -> None:
        self.store = store
        self.trace_timeout = trace_timeout
        self._cache: dict[str, OpSignature] = {}

    # ------------------------------------------------------------------ signatures
    def signatures(self, problems: list[tuple[str, str, str | None]]) -> dict[str, OpSignature]:
        """Signatures of ``(source, name, path_or_None)`` problems by source sha256, tracing in one batch.

        Cached in memory and on the store's problem rows. A problem that cannot be traced gets family
        ``"unknown"`` and no ops (cached too, so a failing trace is not re-run on every retrieval).
        """
        out: dict[str, OpSignature] = {}
        todo: dict[str, tuple[str, str, str | None]] = {}
        for source, name, path in problems:
            sha = sha256_text(source)
            if sha in self._cache:
                out[sha] = self._cache[sha]
                continue
            cached = self.store.problem_signature(sha)
            if cached is not None:
                out[sha] = self._cache[sha] = OpSignature(
                    ops=cached[0], family=cached[1] or UNKNOWN_FAMILY, families=tuple(families_of(cached[0]))
                )
            else:
                todo.setdefault(sha, (source, name, path))
        if not todo:
            return out
        with tempfile.TemporaryDirectory(prefix="kw-trace-") as tmp:
            files: dict[str, str] = {}
            for i, (sha, (source, name, path)) in enumerate(todo.items()):
                if path and Path(path).is_file() and sha256_text(Path(path).read_text()) == sha:
                    files[sha] = str(path)
                else:
                    copy = Path(tmp) / str(i) / _file_name(name)
                    copy.parent.mkdir()
                    copy.write_text(source)
                    files[sha] = str(copy)
            traced = trace_many(list(files.values()), self.trace_timeout)
        for sha, file in files.items():
            result = traced.get(file)
            sig = result if isinstance(result, OpSignature) else OpSignature(ops={}, family=UNKNOWN_FAMILY)
            self.store.set_problem_signature(sha, sig.ops, sig.family)
            out[sha] = self._cache[sha] = sig
        return out

    def signature(self, problem_path: str | Path) -> OpSignature:
        """Signature of one problem file (``family == "unknown"`` when it cannot be traced)."""
        path = Path(problem_path)
        source = path.read_text()
        return self.signatures([(source, path.name, str(path))])[sha256_text(source)]

    # ------------------------------------------------------------------ retrieval
    def retrieve(
        self,
        problem_path: str,
        k: int = 3,
        environment: Environment | None = None,
        reverify: Callable[[str, str], Verdict] | None = None,
        max_reverify: int | None = None,
        *,
        exclude_same_problem: bool = False,
        min_score: float = 0.0,
    ) -> list[KnowledgeEntry]:
        """Up to ``k`` accepted kernels for the problems most similar to ``problem_path``, best first.

        ``exclude_same_problem``: leave out kernels accepted for this very problem (same source hash).
        An optimisation or evaluation run sets it, or the prompt would hand the model its own answer.
        ``min_score``: leave out problems scoring below it. ``environment``: the machine the caller
        judges on; entries verified elsewhere are flagged ``needs_reverify`` (None: nothing is).

        When ``reverify`` is given, entries that ``needs_reverify`` are judged again with
        ``reverify(problem_path, kernel_source)`` -- the path of the entry's own problem (the query file
        when it is the same problem, else the stored file or a temporary copy of its stored source) --
        and kept only if accepted, with the new numbers. At most ``max_reverify`` calls (default
        ``2 * k``); an entry that could not be re-verified within that budget is skipped.
        """
        query_source = Path(problem_path).read_text()
        query_sha = sha256_text(query_source)
        rows = self.store.accepted_for_knowledge()
        if not rows or k <= 0:
            return []
        by_problem: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_problem.setdefault(row["problem_sha256"], []).append(row)
        shas = list(by_problem)
        for sha in shas:
            first = by_problem[sha][0]
            if first["op_signature"] is not None and sha not in self._cache:
                self._cache[sha] = OpSignature(
                    ops=dict(first["op_signature"]),
                    family=first["op_family"] or UNKNOWN_FAMILY,
                    families=tuple(families_of(first["op_signature"])),
                )
        sigs = self.signatures(
            [(query_source, Path(problem_path).name, problem_path)]
            + [
                (by_problem[s][0]["problem_source"], by_problem[s][0]["problem"], by_problem[s][0]["problem"])
                for s in shas
            ]
        )
        query_sig = sigs[query_sha]
        cosines = tfidf_cosines(query_source, [by_problem[s][0]["problem_source"] for s in shas])
        scored = []
        for sha, cos in zip(shas, cosines, strict=True):
            sig = sigs[sha]
            if sha == query_sha:
                if exclude_same_problem:
                    continue
                score = 1.0
            elif query_sig.ops and sig.ops:
                same = query_sig.family == sig.family != UNKNOWN_FAMILY
                score = 0.6 * weighted_jaccard(query_sig.ops, sig.ops) + 0.3 * cos + 0.1 * same
            else:
                score = cos
            scored.append((score, sha, sig))
        scored.sort(key=lambda t: -t[0])

        want = env_key(environment)
        budget = 2 * k if max_reverify is None else max_reverify
        out: list[KnowledgeEntry] = []
        for score, sha, sig in scored:
            if len(out) >= k or score < min_score:
                break
            kernels = sorted(
                by_problem[sha],
                key=lambda r: (
                    want is not None and env_key(r["environment"]) != want,
                    -(r["speedup"] or 0.0),
                ),
            )
            for row in kernels:
                entry = self._entry(row, score, sig, want)
                if entry.needs_reverify and reverify is not None:
                    if budget <= 0:
                        continue
                    budget -= 1
                    if not self._reverify(entry, problem_path, query_sha, reverify):
                        continue
                out.append(entry)
                break
        return out

    @staticmethod
    def _entry(
        row: dict[str, Any], score: float, sig: OpSignature, want: tuple[Any, ...] | None
    ) -> KnowledgeEntry:
        return KnowledgeEntry(
            record_id=row["record_id"],
            problem=row["problem"],
            problem_sha256=row["problem_sha256"],
            kernel_source=row["kernel_source"],
            language=row["language"],
            op_family=sig.family,
            speedup_vs_eager=row["speedup_vs_eager"],
            speedup_vs_compiled=row["speedup_vs_compiled"],
            speedup=row["speedup"],
            environment=_as_env(row["environment"]),
            score=round(score, 4),
            needs_reverify=want is not None and env_key(row["environment"]) != want,
            problem_source=row["problem_source"],
        )

    @staticmethod
    def _reverify(
        entry: KnowledgeEntry, problem_path: str, query_sha: str, reverify: Callable[[str, str], Verdict]
    ) -> bool:
        """Judge the entry's kernel again on its own problem; update the entry's numbers when accepted."""
        try:
            own = Path(entry.problem)
            if entry.problem_sha256 == query_sha:
                verdict = reverify(problem_path, entry.kernel_source)
            elif own.is_file() and sha256_text(own.read_text()) == entry.problem_sha256:
                verdict = reverify(str(own), entry.kernel_source)
            else:
                with tempfile.TemporaryDirectory(prefix="kw-reverify-") as tmp:
                    file = Path(tmp) / _file_name(entry.problem)
                    file.write_text(entry.problem_source)
                    verdict = reverify(str(file), entry.kernel_source)
        except Exception:  # noqa: BLE001 - a judge failure means "not verified here"
            return False
        if verdict.verdict != "accepted":
            return False
        entry.needs_reverify, entry.reverified, entry.environment = False, True, verdict.environment
        if verdict.timing is not None:
            entry.speedup_vs_eager = verdict.timing.speedup_vs_eager
            entry.speedup_vs_compiled = verdict.timing.speedup_vs_compiled
            vals = [v for v in (entry.speedup_vs_eager, entry.speedup_vs_compiled) if v is not None]
            entry.speedup = min(vals) if vals else None
        return True

    # ------------------------------------------------------------------ lessons
    def add_lesson(
        self, op_family: str, kind: Literal["avoid", "try"], text: str, source: str | None = None
    ) -> int:
        """Record what worked or failed for an op family (idempotent); returns the lesson id."""
        return self.store.add_lesson(op_family, kind, text, source)

    def lessons(self, op_families: list[str], limit: int = 10) -> list[Lesson]:
        """Newest lessons for these families (all families when the list is empty)."""
        return [Lesson(**row) for row in self.store.lessons(op_families, limit)]


__all__ = ["DEFAULT_MIN_SCORE", "KnowledgeBase", "KnowledgeEntry", "Lesson", "TraceError"]
