"""`--repeat N` (judge/repeat.py): N judgements merged into one verdict with the timing's spread.

The GPU path is exercised on a GPU (`tests/test_pool.py -m cuda`, benchmarks/timing_evidence.py);
here the merge rules are checked on verdicts as the pipeline builds them, and the CLI's bad input."""

from __future__ import annotations

import pytest

from kernelwright.errors import BadInput
from kernelwright.judge.pipeline import judge
from kernelwright.judge.repeat import repeated
from kernelwright.verdict import Correctness, Environment, Reason, Timing, Verdict

ENV = Environment(device="NVIDIA H200", interpreter=False, torch="2.11", triton="3.6", python="3.12")


def timed(ms: float, eager: float = 1.0, seconds: float = 10.0) -> Verdict:
    return Verdict(
        problem="level1/relu",
        candidate="c.py",
        candidate_sha256="0" * 64,
        verdict="accepted",
        correctness=Correctness(),
        timing=Timing(
            candidate_ms=ms,
            eager_ms=eager,
            compiled_ms=eager * 0.9,
            speedup_vs_eager=eager / ms,
            speedup_vs_compiled=eager * 0.9 / ms,
            samples=100,
            spread=0.01,
        ),
        environment=ENV,
        seconds=seconds,
        phases={"correctness": seconds / 2, "timing": seconds / 2},
    )


def rejected(seconds: float = 8.0) -> Verdict:
    return Verdict(
        problem="level1/relu",
        candidate="c.py",
        candidate_sha256="0" * 64,
        verdict="rejected",
        category="wrong-output",
        reasons=[Reason(code="KW-O004", category="wrong-output", message="a timed call gave a wrong answer")],
        correctness=Correctness(),
        environment=ENV,
        seconds=seconds,
        phases={"correctness": seconds},
    )


def test_the_median_run_is_reported_with_every_run_beside_it() -> None:
    later = iter([timed(0.30, seconds=11.0), timed(0.20, seconds=12.0)])
    v = repeated(timed(0.25), lambda: next(later), 3)
    assert v.verdict == "accepted" and v.timing is not None
    t = v.timing
    assert t.candidate_ms == 0.25 and t.repeats == 3  # the median of 0.25, 0.30, 0.20
    assert t.repeat_candidate_ms == [0.25, 0.30, 0.20]
    assert t.repeat_eager_ms == [1.0, 1.0, 1.0] and len(t.repeat_compiled_ms) == 3
    assert t.repeat_max_over_min == pytest.approx(1.5)
    assert t.repeat_speedup_vs_eager == pytest.approx([4.0, 1 / 0.3, 5.0])
    assert v.seconds == pytest.approx(33.0)  # every run's time, the others as the `repeats` phase
    assert sum(v.phases.values()) == pytest.approx(v.seconds)


def test_a_repeat_that_is_not_accepted_decides_the_verdict() -> None:
    calls: list[int] = []

    def again() -> Verdict:
        calls.append(1)
        return rejected() if len(calls) == 1 else timed(0.2)

    v = repeated(timed(0.25), again, 3)
    assert v.verdict == "rejected" and v.category == "wrong-output" and v.timing is None
    assert len(calls) == 1  # it stops at the first run that fails
    assert v.correctness is not None and "run 2 was not accepted" in v.correctness.notes[-1]
    assert v.seconds == pytest.approx(18.0) and sum(v.phases.values()) == pytest.approx(18.0)


def test_a_rejected_or_untimed_first_run_is_not_repeated() -> None:
    def never() -> Verdict:
        raise AssertionError("must not judge again")

    assert repeated(rejected(), never, 5).verdict == "rejected"
    untimed = timed(0.25)
    untimed.timing = None
    assert repeated(untimed, never, 5) is untimed


@pytest.mark.parametrize("n", [0, 21])
def test_a_repeat_count_out_of_range_is_bad_input(n: int) -> None:
    with pytest.raises(BadInput, match="repeat"):
        judge("level1/relu", "examples/relu_correct.py", repeat=n)
