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


def test_the_verify_table_says_which_time_is_which_and_shows_the_repeats() -> None:
    import io

    from rich.console import Console

    from kernelwright.cli.render import verdict_table

    later = iter([timed(0.30), timed(0.20)])
    v = repeated(timed(0.25), lambda: next(later), 3)
    assert v.timing is not None
    v.timing.host_overhead_ms, v.timing.total_ms = 0.09, 0.34
    v.timing.clock = "cuda events after a gate kernel that occupies every SM"
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(verdict_table(v))
    text = out.getvalue()
    assert "0.2500 ms (device" in text and "0.0900 ms host launch overhead = 0.3400 ms per call" in text
    assert "3 processes: 0.2500, 0.3000, 0.2000 ms; max/min 1.500" in text
    assert "cuda events after a gate kernel" in text


@pytest.mark.parametrize("n", ["0", "21"])
def test_verify_refuses_a_repeat_count_out_of_range(n: str) -> None:
    from typer.testing import CliRunner

    from kernelwright.cli.app import app

    result = CliRunner().invoke(app, ["verify", "p.py", "c.py", "--repeat", n])
    assert result.exit_code == 2 and "repeat" in result.output.lower()


def test_the_agents_feedback_names_kernel_time_and_host_overhead_separately() -> None:
    from kernelwright.agent.attempt import Attempt
    from kernelwright.agent.prompting import best_view, verdict_view

    v = timed(0.25)
    assert v.timing is not None
    v.timing.host_overhead_ms = 0.09
    a = Attempt(turn=1, sample=0, candidate="class ModelNew: ...", verdict=v)
    text = verdict_view(a)["timing"]
    assert "kernel time (device time between CUDA events, host launch overhead excluded)" in text
    assert "candidate 0.2500 ms" in text and "plus 0.0900 ms of host launch overhead per call" in text
    assert best_view(a)["numbers"].startswith("0.2500 ms kernel time, 4.00x vs eager")
