"""Why candidates fail: one outcome per attempt, counted per run and per suite.

A user comparing models needs more than "3 of 20 accepted": a model that writes kernels that compile
but are wrong on ragged shapes needs a different fix (or prompt) than one whose replies do not parse,
or one that keeps calling back into PyTorch. Outcomes extend the verdict categories with what happens
before the judge (provider, parse) and after it (accepted but slower than the stronger baseline).
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernelwright.verdict import Verdict


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    PROVIDER_ERROR = "provider-error"
    PARSE_ERROR = "parse-error"
    COMPILE_ERROR = "compile-error"
    WRONG_OUTPUT = "wrong-output"
    INPUT_MUTATION = "input-mutation"
    PASSTHROUGH = "passthrough"
    TAMPERING = "tampering"
    TIMING_EVASION = "timing-evasion"
    SANDBOX = "sandbox"
    CRASH_OR_TIMEOUT = "crash-or-timeout"
    NEEDS_CUDA = "needs-cuda"
    SLOWER = "slower-than-baseline"
    JUDGE_ERROR = "judge-error"


FAILURES = [o for o in Outcome if o is not Outcome.ACCEPTED]
CHEATS = frozenset(
    {Outcome.PASSTHROUGH, Outcome.TAMPERING, Outcome.TIMING_EVASION, Outcome.SANDBOX, Outcome.INPUT_MUTATION}
)
_BY_CATEGORY = {
    "compile-error": Outcome.COMPILE_ERROR, "wrong-output": Outcome.WRONG_OUTPUT,
    "input-mutation": Outcome.INPUT_MUTATION, "reference-passthrough": Outcome.PASSTHROUGH,
    "tampering": Outcome.TAMPERING, "timing-evasion": Outcome.TIMING_EVASION, "sandbox": Outcome.SANDBOX,
    "crash-or-timeout": Outcome.CRASH_OR_TIMEOUT, "needs-cuda": Outcome.NEEDS_CUDA,
}  # fmt: skip

# What to try next, by outcome: the `try` list of the prompt draws on these.
HINTS: dict[Outcome, str] = {
    Outcome.PARSE_ERROR: "Answer with exactly one complete ```python block holding the whole file.",
    Outcome.COMPILE_ERROR: "Make the file import and compile: check syntax, imports and tl.constexpr arguments.",
    Outcome.WRONG_OUTPUT: "Mask every load and store against the true size and handle ragged, tiny and "
                          "higher-rank fuzz shapes; accumulate in fp32.",
    Outcome.INPUT_MUTATION: "Never write into input tensors; allocate outputs (torch.empty_like).",
    Outcome.PASSTHROUGH: "Compute the result in your own Triton/CUDA kernel; calling the PyTorch op (or the "
                         "reference) is detected by ablation.",
    Outcome.TAMPERING: "Do not patch torch, the timer, the harness or the result channel; it is detected.",
    Outcome.TIMING_EVASION: "Do all the work inside the timed forward on the device; deferred or cached "
                            "work is detected by checking every timed call.",
    Outcome.SANDBOX: "Do not touch files, sockets, subprocesses or the environment.",
    Outcome.CRASH_OR_TIMEOUT: "Keep grids and block sizes valid for every shape, avoid out-of-bounds "
                              "accesses, and keep compile time short.",
    Outcome.NEEDS_CUDA: "No GPU here: write a Triton kernel (the interpreter runs it), not CUDA C++.",
    Outcome.SLOWER: "It is correct but slower than the stronger baseline: fuse work, raise arithmetic "
                    "intensity, tune BLOCK sizes and num_warps.",
}  # fmt: skip


def outcome_of(
    verdict: Verdict | None,
    *,
    provider_error: bool = False,
    parse_error: bool = False,
    judge_error: bool = False,
) -> Outcome:
    if provider_error:
        return Outcome.PROVIDER_ERROR
    if parse_error:
        return Outcome.PARSE_ERROR
    if judge_error or verdict is None:
        return Outcome.JUDGE_ERROR
    if verdict.accepted:
        speedup = stronger_speedup(verdict)
        return Outcome.SLOWER if speedup is not None and speedup < 1.0 else Outcome.ACCEPTED
    return _BY_CATEGORY.get(str(verdict.category), Outcome.CRASH_OR_TIMEOUT)


def stronger_speedup(verdict: Verdict | None) -> float | None:
    """Speedup over the faster of eager and torch.compile (None without timing)."""
    if verdict is None or verdict.timing is None:
        return None
    t = verdict.timing
    values = [v for v in (t.speedup_vs_eager, t.speedup_vs_compiled) if v]
    return min(values) if values else None


def wrong_output_codes(verdict: Verdict | None) -> list[str]:
    """Reason codes of a wrong-output rejection (KW-O001 mismatch, KW-O003 NaN...), for finer counts."""
    if verdict is None:
        return []
    return sorted({r.code for r in verdict.hard_reasons if r.category == "wrong-output"})


def tally(outcomes: list[str], codes: list[list[str]]) -> dict[str, dict[str, int]]:
    """`{"failures": {outcome: n}, "wrong_output_codes": {code: n}}` with zero counts left out."""
    fails = Counter(o for o in outcomes if o != Outcome.ACCEPTED)
    return {
        "failures": dict(sorted(fails.items())),
        "wrong_output_codes": dict(sorted(Counter(c for cs in codes for c in cs).items())),
    }
