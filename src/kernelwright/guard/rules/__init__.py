"""Rule families of the static guard. Each module exports `RULES` (its rows) and `CHECKS` (its checks)."""

from __future__ import annotations

from kernelwright.guard.findings import RuleInfo
from kernelwright.guard.rules import (
    channel,
    concurrency,
    dynamic,
    escape,
    introspection,
    kernel_body,
    native_source,
    output_cache,
    passthrough,
    phases,
    subclass,
    tampering,
)
from kernelwright.guard.rules._base import Check

FAMILIES = [
    tampering,
    channel,
    dynamic,
    introspection,
    escape,
    native_source,
    passthrough,
    subclass,
    concurrency,
    phases,
    output_cache,
    kernel_body,
]

ALL_RULES: list[RuleInfo] = [r for family in FAMILIES for r in family.RULES]
ALL_CHECKS: list[Check] = [c for family in FAMILIES for c in family.CHECKS]

__all__ = ["ALL_CHECKS", "ALL_RULES", "FAMILIES"]
