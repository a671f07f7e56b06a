"""The judge: static guard, trusted reference worker, sandboxed candidate worker, trusted comparison.

`judge(problem, candidate, config)` is the one entry point every surface calls (CLI, suite, agent,
MCP, Ray). Stages, in pipeline order:

- `pipeline`   drives one judgement: plans cases, runs the reference and the candidate workers
- `session`    reads the candidate worker's messages and checks each one
- `compare`    output and input comparison, mismatch reports, degenerate references
- `tolerances` per-dtype (atol, rtol)
- `timing`     parent-side timing checks: every timed output, wall clock, roofline, A-B-A
- `config`, `record`: the settings and the accumulated findings, shared by all of the above

The judge never imports the agent, the store or the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernelwright.judge.config import JudgeConfig

if TYPE_CHECKING:
    from kernelwright.judge.pipeline import candidate_language, judge, read_candidate

__all__ = ["JudgeConfig", "candidate_language", "judge", "read_candidate"]


def __getattr__(name: str) -> Any:
    """`judge`, `read_candidate` and `candidate_language` import torch: load them on first use, so
    `kernelwright --help` and the CLI's bad-input paths answer without importing torch."""
    if name in ("judge", "read_candidate", "candidate_language"):
        from kernelwright.judge import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'kernelwright.judge' has no attribute {name!r}")
