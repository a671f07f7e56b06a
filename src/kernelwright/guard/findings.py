"""What the static guard reports: one `Finding` per suspicious construct, and `RuleInfo` rows.

A finding is a *hint* to the judge, not a verdict: hard findings reject, soft findings are shown on an
accepted verdict too. Codes (``KW-Sxxx``) are stable; never renumber a rule, retire it instead.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, model_validator

if TYPE_CHECKING:
    from kernelwright.verdict import Reason


class Severity(StrEnum):
    """'hard' findings reject the candidate; 'soft' ones are reported but do not reject."""

    HARD = "hard"
    SOFT = "soft"


# The verdict categories a guard finding may carry (a subset of kernelwright.verdict.Category).
GUARD_CATEGORIES = frozenset(
    {"tampering", "sandbox", "reference-passthrough", "timing-evasion", "compile-error"}
)


class RuleInfo(BaseModel):
    """One row of the rules table: every code the guard can emit has exactly one row."""

    model_config = ConfigDict(frozen=True)

    code: str
    rule: str
    severity: Literal["hard", "soft"]
    category: str | None
    description: str

    @model_validator(mode="after")
    def _check(self) -> RuleInfo:
        if self.severity == "hard" and self.category is None:
            raise ValueError(f"hard rule {self.code} needs a category")
        if self.category is not None and self.category not in GUARD_CATEGORIES:
            raise ValueError(f"rule {self.code}: unknown category {self.category!r}")
        return self


class Finding(BaseModel):
    """One suspicious construct at one place in the candidate. `col` is 1-based, like `line`."""

    model_config = ConfigDict(frozen=True)

    code: str
    rule: str
    severity: Literal["hard", "soft"]
    category: str | None = None
    message: str
    line: int
    col: int
    snippet: str

    @model_validator(mode="after")
    def _check(self) -> Finding:
        if self.severity == "hard" and self.category is None:
            raise ValueError(f"hard finding {self.code} needs a category")
        return self

    @property
    def hard(self) -> bool:
        return self.severity == "hard"

    def to_reason(self, filename: str = "<candidate>") -> Reason:
        """This finding as a verdict `Reason` (evidence: ``file:line: snippet``)."""
        from kernelwright.verdict import Reason

        return Reason(
            code=self.code,
            category=self.category,
            message=self.message,
            evidence=f"{filename}:{self.line}: {self.snippet}",
            severity=self.severity,
        )
