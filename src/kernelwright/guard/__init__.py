"""The static guard: a cheap AST pre-filter that names the clumsy versions of known reward hacks.

``scan(source)`` returns `Finding`s; hard ones reject the candidate before it runs, soft ones are
reported alongside the verdict. The runtime checks are the real defence; this explains early and
cheaply. ``RULES`` lists every code the guard can emit.
"""

from __future__ import annotations

from kernelwright.guard.findings import Finding, RuleInfo, Severity
from kernelwright.guard.scan import RULES, scan

__all__ = ["RULES", "Finding", "RuleInfo", "Severity", "scan"]
