"""Where a judgement's seconds go: wall time by phase, on the judge's monotonic clock (issue #14).

The phases partition the judgement: each `mark(name)` closes the phase that ran since the last mark,
and `part(name)` takes the time of a nested piece (comparing outputs, waiting for the GPU) out of
whatever phase is open, so the values add up to the verdict's `seconds` (less rounding). Phases that
ran in parallel elsewhere (a worker importing torch while the reference computed outputs) cost only
the time the judge *waited* for them, which is what a user waits for too.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

# Every phase name a verdict can carry, in pipeline order (docs/JUDGE.md "Phases").
PHASES = (
    "guard",  # the static guard over the candidate's source
    "reference_start",  # the reference worker's start, imports, problem load, one forward (meta)
    "reference_outputs",  # expected outputs of every case (the reference worker)
    "candidate_start",  # waiting for the candidate worker: start, imports, problem load, sandbox set-up
    "candidate_build",  # importing the candidate and constructing ModelNew
    "correctness",  # every checked case, the repeat and the fresh-values case
    "ablation",  # the run with custom launches skipped, and the op log
    "gpu_wait",  # waiting for the GPU: another judgement's timing held it
    "compile_baseline",  # waiting for the reference's torch.compile build (it overlaps correctness)
    "timing",  # custom-kernel share, timed calls, interleaved baselines, their checks
    "compare",  # the judge's own comparison of outputs (taken out of the phases above)
    "finish",  # closing workers, assembling timing evidence
    "repeats",  # `--repeat N`: the other N-1 whole judgements (judge/repeat.py)
)


class PhaseClock:
    def __init__(self, started: float | None = None) -> None:
        self.started = time.monotonic() if started is None else started
        self._last = self.started
        self._lock = threading.Lock()
        self.seconds: dict[str, float] = {}

    def _add(self, name: str, dt: float) -> None:
        assert name in PHASES, name
        self.seconds[name] = self.seconds.get(name, 0.0) + max(0.0, dt)

    def mark(self, name: str) -> None:
        """The phase `name` ran from the previous mark until now."""
        with self._lock:
            now = time.monotonic()
            self._add(name, now - self._last)
            self._last = now

    @contextlib.contextmanager
    def part(self, name: str) -> Iterator[None]:
        """Time a nested piece as `name` and leave it out of the phase open around it."""
        t0 = time.monotonic()
        try:
            yield
        finally:
            dt = time.monotonic() - t0
            with self._lock:
                self._add(name, dt)
                self._last += dt

    def take(self, name: str, dt: float) -> None:
        """`dt` seconds that just passed were `name`: counted there, not in the open phase."""
        if dt <= 0:
            return
        with self._lock:
            self._add(name, dt)
            self._last += dt

    def rounded(self) -> dict[str, float]:
        return {k: round(self.seconds[k], 3) for k in PHASES if k in self.seconds}
