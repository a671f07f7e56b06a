"""What a judgement accumulates: reasons, correctness figures, and the reference's expected outputs.

At the bottom of the judge package with `config.py`: the session, the timing checks and the
pipeline all write into a `RunRecord`, and none of them needs another to do so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernelwright.judge import codes
from kernelwright.judge.phases import PhaseClock
from kernelwright.verdict import Category, Correctness, Reason, Severity
from kernelwright.worker.protocol import Case

# Codes reported once per verdict: the first case shows it; repeating it per case adds nothing.
ONCE = frozenset({"KW-P002", "KW-O002", "KW-R106", "KW-O004", "KW-T001", "KW-X003"})


@dataclass
class Expected:
    case: Case
    outputs: list
    inputs: list


@dataclass
class RunRecord:
    reasons: list[Reason] = field(default_factory=list)
    correctness: Correctness = field(default_factory=Correctness)
    phases: PhaseClock = field(default_factory=PhaseClock)

    def add(
        self,
        code: str,
        category: Category | str | None,
        message: str,
        evidence: str = "",
        severity: Severity = "hard",
    ) -> None:
        """Record one reason. `code` must have a row in judge/codes.py or the guard's table."""
        cat = category.value if isinstance(category, Category) else category
        # A code without a row, or used under another category or severity than its row says, is a
        # programming error: fail loudly rather than sign an undocumented reason into a verdict.
        # Codes the candidate worker reports are checked before they get here (session.py).
        row = codes.RUNTIME.get(code)
        if row is not None:
            if (row.category, row.severity) != (cat, severity):
                raise ValueError(
                    f"{code} is {row.category}/{row.severity} in judge/codes.py, not {cat}/{severity}"
                )
        elif code not in codes.guard_codes():
            raise ValueError(f"reason code {code!r} is in neither judge/codes.py nor the guard's table")
        if any(r.code == code and (r.message == message or code in ONCE) for r in self.reasons):
            return
        self.reasons.append(
            Reason(code=code, category=cat, message=message, evidence=evidence[-2000:], severity=severity)
        )

    def hard(self) -> bool:
        return any(r.severity == "hard" for r in self.reasons)
