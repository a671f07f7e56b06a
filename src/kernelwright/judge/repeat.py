"""`--repeat N`: the timing judged N times, each in fresh worker processes, reported with its spread.

One judgement's kernel time is a median over ~100 interleaved calls and is tight within a process
(H200: CV 0.06-0.16% over 3 processes, docs/BENCHMARKS.md), but some effects only move between
processes: where the allocator puts the buffers, which SM clock the card settles at, what else the
host runs. Issue 13 asks for a way to see them: N whole judgements (every check again, so a
candidate that behaves only sometimes has N chances to be caught), the reported timing taken from
the run whose candidate time is the median, and every run's numbers kept beside it.

A repeat that is not accepted decides the verdict: the first such run is returned as it is, with a
note saying which repeat it was.
"""

from __future__ import annotations

from collections.abc import Callable

from kernelwright.verdict import Verdict

MAX_REPEAT = 20


def repeated(first: Verdict, again: Callable[[], Verdict], n: int) -> Verdict:
    """`first` and n-1 more judgements from `again()`, merged as the module docstring says."""
    runs = [first]
    for k in range(2, n + 1):
        if runs[-1].verdict != "accepted" or runs[-1].timing is None:
            break
        runs.append(again())
        if runs[-1].verdict != "accepted":
            bad = runs[-1]
            if bad.correctness is not None:
                bad.correctness.notes.append(f"judged {k} times (--repeat {n}); run {k} was not accepted")
            return _with_total_seconds(bad, runs)
    if len(runs) == 1 or any(r.timing is None for r in runs):
        return first
    by_time = sorted(runs, key=lambda r: r.timing.candidate_ms)  # type: ignore[union-attr]
    chosen = by_time[len(by_time) // 2].model_copy(deep=True)
    t = chosen.timing
    assert t is not None
    t.repeats = len(runs)
    t.repeat_candidate_ms = [r.timing.candidate_ms for r in runs]  # type: ignore[union-attr]
    t.repeat_eager_ms = [r.timing.eager_ms for r in runs]  # type: ignore[union-attr]
    t.repeat_compiled_ms = [r.timing.compiled_ms for r in runs if r.timing.compiled_ms]  # type: ignore[union-attr]
    t.repeat_speedup_vs_eager = [r.timing.speedup_vs_eager for r in runs]  # type: ignore[union-attr]
    lo, hi = min(t.repeat_candidate_ms), max(t.repeat_candidate_ms)
    t.repeat_max_over_min = round(hi / lo, 4) if lo > 0 else None
    return _with_total_seconds(chosen, runs)


def _with_total_seconds(v: Verdict, runs: list[Verdict]) -> Verdict:
    """The verdict's `seconds` cover every run; the other runs' time is the `repeats` phase."""
    total = round(sum(r.seconds for r in runs), 3)
    others = round(total - v.seconds, 3)
    if others > 0:
        v.phases = {**v.phases, "repeats": others}
    v.seconds = total
    return v
