"""The store as its users see it: a `Protocol`, so the agent and the knowledge base depend on what
they call, not on SQLAlchemy, and tests can hand them any object with these methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from kernelwright.store.core import StoredRecord
    from kernelwright.verdict import Verdict


class VerdictStore(Protocol):
    """What the agent loop, `optimize-suite` and the knowledge base call on a store."""

    def record_verdict(
        self,
        verdict: Verdict | dict[str, Any],
        *,
        problem_source: str,
        candidate_source: str,
        origin: dict[str, Any] | None = None,
        run_id: str | None = None,
        item_key: str | None = None,
    ) -> StoredRecord: ...

    def start_run(
        self,
        kind: str,
        config: dict[str, Any],
        *,
        budgets: dict[str, Any] | None = None,
        run_id: str | None = None,
    ) -> str: ...

    def finish_run(self, run_id: str, summary: dict[str, Any], status: str = "finished") -> None: ...

    def update_run_usage(self, run_id: str, tokens: int, cost: float, *, increment: bool = False) -> None: ...

    def accepted_for_knowledge(self) -> list[dict[str, Any]]: ...

    def problem_signature(self, sha256: str) -> tuple[dict[str, int], str | None] | None: ...

    def set_problem_signature(self, sha256: str, signature: dict[str, int], family: str | None) -> None: ...

    def add_lesson(self, op_family: str, kind: str, text_: str, source: str | None = None) -> int: ...

    def lessons(self, op_families: list[str], limit: int = 10) -> list[dict[str, Any]]: ...
