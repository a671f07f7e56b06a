"""One candidate's life: the request, the reply, the parsed file, the verdict, and what it cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kernelwright.agent.providers.base import Message
from kernelwright.agent.taxonomy import Outcome, outcome_of, stronger_speedup, wrong_output_codes
from kernelwright.verdict import Verdict, sha256_text


@dataclass
class Attempt:
    turn: int
    sample: int
    messages: list[Message] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)  # sha256 of the kernels the prompt built on
    reply: str | None = None
    finish_reason: str | None = None
    candidate: str | None = None
    parse_error: str | None = None
    parse_note: str | None = None
    provider_error: str | None = None
    provider_fatal: bool = False
    judge_error: str | None = None
    judge_fatal: bool = False  # the problem's reference failed (bad input), not the candidate
    verdict: Verdict | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    seconds: float = 0.0
    llm_seconds: float = 0.0
    judge_seconds: float = 0.0
    retries: int = 0
    retry_errors: list[str] = field(default_factory=list)
    record_id: str | None = None

    @property
    def request_id(self) -> str:
        return f"t{self.turn:03d}-s{self.sample:02d}"

    @property
    def sha256(self) -> str | None:
        return sha256_text(self.candidate) if self.candidate is not None else None

    @property
    def outcome(self) -> Outcome:
        return outcome_of(
            self.verdict,
            provider_error=self.provider_error is not None,
            parse_error=self.parse_error is not None,
            judge_error=self.judge_error is not None,
        )

    @property
    def accepted(self) -> bool:
        return self.verdict is not None and self.verdict.accepted

    @property
    def speedup(self) -> float | None:
        return stronger_speedup(self.verdict)

    @property
    def codes(self) -> list[str]:
        return wrong_output_codes(self.verdict)

    def reason_line(self, limit: int = 160) -> str:
        """One line saying why: the first hard reason, the parse or provider error, or the numbers."""
        if self.provider_error:
            text = f"provider: {self.provider_error}"
        elif self.parse_error:
            text = self.parse_error
        elif self.judge_error:
            text = f"judge: {self.judge_error}"
        elif self.verdict is None:
            text = "not judged"
        elif self.accepted:
            t = self.verdict.timing
            text = (
                "accepted (no timing on CPU)"
                if t is None
                else f"accepted: {t.candidate_ms:.4f} ms, {t.speedup_vs_eager:.2f}x eager, "
                f"{(t.speedup_vs_compiled or 0):.2f}x compile, {t.roofline_fraction:.0%} of roofline"
            )
        else:
            first = next(iter(self.verdict.hard_reasons), None)
            text = f"{first.code} {first.message}" if first else str(self.verdict.category)
        text = " ".join(text.split())
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def trajectory_line(self) -> dict[str, Any]:
        """The trajectory.jsonl record (the caller redacts it before writing)."""
        return {
            "turn": self.turn,
            "sample": self.sample,
            "request_id": self.request_id,
            "prompt": self.messages,
            "parents": self.parents,
            "reply": self.reply,
            "finish_reason": self.finish_reason,
            "candidate": self.candidate,
            "candidate_sha256": self.sha256,
            "parse_error": self.parse_error,
            "parse_note": self.parse_note,
            "provider_error": self.provider_error,
            "judge_error": self.judge_error,
            "verdict": self.verdict.to_json_dict() if self.verdict else None,
            "outcome": str(self.outcome),
            "record_id": self.record_id,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost": round(self.cost, 6),
            "retries": self.retries,
            "retry_errors": self.retry_errors,
            "seconds": round(self.seconds, 3),
            "llm_seconds": round(self.llm_seconds, 3),
            "judge_seconds": round(self.judge_seconds, 3),
        }
