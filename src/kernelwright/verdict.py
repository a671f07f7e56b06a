"""The verdict: one pydantic model, serialised exactly as DESIGN.md's contract says.

Field names here are a contract (scripts outside the code parse them); add fields, never rename.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA = "kernelwright.verdict/1"


class Category(StrEnum):
    """Why a candidate was not accepted. `None` on the verdict means accepted."""

    COMPILE_ERROR = "compile-error"
    WRONG_OUTPUT = "wrong-output"
    INPUT_MUTATION = "input-mutation"
    REFERENCE_PASSTHROUGH = "reference-passthrough"
    TAMPERING = "tampering"
    TIMING_EVASION = "timing-evasion"
    SANDBOX = "sandbox"
    CRASH_OR_TIMEOUT = "crash-or-timeout"
    NEEDS_CUDA = "needs-cuda"


# When several reasons reject one candidate, the verdict's category is the most damning one:
# deliberate cheating outranks a plain bug, so a cheat that also crashes is reported as a cheat.
CATEGORY_PRECEDENCE: list[Category] = [
    Category.TAMPERING,
    Category.SANDBOX,
    Category.TIMING_EVASION,
    Category.REFERENCE_PASSTHROUGH,
    Category.INPUT_MUTATION,
    Category.WRONG_OUTPUT,
    Category.CRASH_OR_TIMEOUT,
    Category.COMPILE_ERROR,
    Category.NEEDS_CUDA,
]


Status = Literal["accepted", "rejected", "skipped"]
Severity = Literal["hard", "soft"]


class Reason(BaseModel):
    """One finding. `severity` 'hard' rejects; 'soft' is reported on an accepted verdict too."""

    code: str
    category: str | None = None
    message: str
    evidence: str = ""
    severity: Severity = "hard"


class Correctness(BaseModel):
    trials: int = 0
    fuzz_cases: int = 0
    max_abs_err: float = 0.0
    max_rel_err: float = 0.0
    rel_rms_err: float = 0.0
    repeat_checked: bool = False
    timed_calls_checked: int = 0
    # "output-changed" | "output-unchanged" | "raised" | "no-custom-kernel" | None
    ablation: str | None = None
    custom_launches: int = 0
    # how the fuzz cases were made: "problem" (its get_fuzz_inputs), "derived" (its size globals set to
    # other values), "none" (benchmark shape only: a weaker verdict, reason KW-W005)
    fuzz_source: str = ""
    notes: list[str] = Field(default_factory=list)


class Timing(BaseModel):
    """GPU timing (DESIGN "Honest timing", judge/timing.py). `candidate_ms`, `eager_ms` and `compiled_ms`
    are kernel times: device time between CUDA events, without the host's launch overhead (they agree
    with triton.testing.do_bench); speedups and the roofline use them. `host_overhead_ms` is the host
    time the candidate's forward takes to enqueue its work, `total_ms` the two added. `clock` says
    what made the numbers."""

    candidate_ms: float
    eager_ms: float
    compiled_ms: float | None
    speedup_vs_eager: float
    speedup_vs_compiled: float | None
    samples: int
    spread: float  # (Q3 - Q1) / median of the candidate's kernel-time samples
    candidate_p20_ms: float = 0.0
    candidate_p80_ms: float = 0.0
    eager_spread: float = 0.0
    drift: float = 0.0  # |eager in the early rounds - eager in the late rounds| / early (A-B-A)
    floor_ms: float = 0.0  # roofline floor for this problem on this card
    roofline_fraction: float = 0.0  # floor_ms / candidate_ms
    custom_kernel_share: float | None = None  # share of device time spent in custom kernels
    host_wall_ms: float = 0.0  # parent-observed wall time per call, median
    host_overhead_ms: float = 0.0  # host time per call to enqueue the candidate's forward, median
    total_ms: float = 0.0  # candidate_ms + host_overhead_ms
    eager_total_ms: float = 0.0
    compiled_total_ms: float | None = None
    clock: str = ""  # the method and clock behind the candidate's (and baselines') numbers
    eager_clock: str | None = None  # only when the baselines were timed otherwise than the candidate
    ci95: float | None = None  # half-width of the median's ~95% confidence interval, relative
    covered: float = 0.0  # share of timed calls whose host enqueue the gate covered (kernel time: those)
    rounds: int = 0  # interleaved reference/candidate rounds
    sm_clock_mhz_start: int | None = None  # SM clock at the first and the last timed call (NVML)
    sm_clock_mhz_end: int | None = None
    timing_repeated: bool = False  # a wall-clock cross-check saw evidence and timing was repeated
    # per call, parent clock: the candidate loop's cost beyond the reference's in the same rounds, and
    # the reference loop's own cost (the exchange, fresh inputs, the snapshot, synchronise latency)
    loop_unexplained_ms: float | None = None
    ref_loop_ms: float | None = None
    # where a timed call's host time goes (diagnosis of the ~16 ms per call loop on the H200, issue
    # 13): the gate's device time and the worker's own host time per timed call, medians
    gate_ms: float | None = None
    call_host_ms: float | None = None
    # the rest of the loop, per timed call (medians, the workers' own clocks): making the fresh inputs,
    # and waiting for the parent's choice of positions to send back (candidate; reference's eager calls)
    call_prep_ms: float | None = None
    reply_wait_ms: float | None = None
    ref_prep_ms: float | None = None
    ref_reply_wait_ms: float | None = None
    # `--repeat N` (judge/repeat.py): N whole judgements in fresh worker processes; the figures above
    # are the run whose candidate time is the median, these are every run's (kernel times)
    repeats: int = 1
    repeat_candidate_ms: list[float] = Field(default_factory=list)
    repeat_eager_ms: list[float] = Field(default_factory=list)
    repeat_compiled_ms: list[float] = Field(default_factory=list)
    repeat_speedup_vs_eager: list[float] = Field(default_factory=list)
    repeat_max_over_min: float | None = None  # of the candidate's kernel time over the repeats


class Environment(BaseModel):
    device: str
    interpreter: bool
    torch: str
    triton: str
    python: str
    cuda: str | None = None
    driver: str | None = None
    gpu_count: int = 0
    sandbox: list[str] = Field(default_factory=list)  # layers that were in force


class Verdict(BaseModel):
    model_config = ConfigDict(use_enum_values=True)

    schema_: str = Field(default=SCHEMA, alias="schema")
    problem: str
    candidate: str
    candidate_sha256: str
    verdict: Literal["accepted", "rejected", "skipped"]
    category: Category | None = None
    reasons: list[Reason] = Field(default_factory=list)
    correctness: Correctness | None = None
    timing: Timing | None = None
    environment: Environment
    seconds: float = 0.0
    # wall seconds by phase on the judge's monotonic clock (judge/phases.py); they add up to `seconds`
    phases: dict[str, float] = Field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_json_dict(), indent=indent)

    @property
    def accepted(self) -> bool:
        return self.verdict == "accepted"

    @property
    def hard_reasons(self) -> list[Reason]:
        return [r for r in self.reasons if r.severity == "hard"]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def decide(reasons: list[Reason]) -> tuple[Status, Category | None]:
    """Verdict and category from the reasons: any hard reason rejects; the worst category wins."""
    hard = [r for r in reasons if r.severity == "hard"]
    if not hard:
        return "accepted", None
    cats = {Category(r.category) for r in hard if r.category}
    if cats == {Category.NEEDS_CUDA}:
        return "skipped", Category.NEEDS_CUDA
    for cat in CATEGORY_PRECEDENCE:
        if cat in cats:
            return "rejected", cat
    return "rejected", Category.CRASH_OR_TIMEOUT
