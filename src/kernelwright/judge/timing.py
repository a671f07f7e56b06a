"""Parent-side timing: interleaved rounds, every timed output compared, wall-time and roofline checks.

After each timed call a worker reports its device time; only then does the parent say which output
positions to send back (chosen from a secret seed, the same for reference and candidate at call j).
A candidate cannot know in advance which elements are checked, so computing part of the output, or
computing it later, fails (THREATS #4, #5, #13). Outputs up to `full_check_numel` come back whole.

Interleaving (issue 13): the reference worker's timed loop (eager, and compiled call by call after it)
starts when the candidate's first timed call arrives, and the parent paces both workers by when it
answers them: ROUND_CALLS reference calls, ROUND_CALLS candidate calls, the next reference round, ...
Only one worker runs at a time, every candidate round sits between two reference rounds (A-B-A), and
drift shows as the difference between early and late eager rounds. The parent also decides when to
stop: once the median's confidence interval is tight enough, or at a call cap or a time budget.

Kernel time (`candidate_ms`, `eager_ms`, `compiled_ms`) is the device time between the events of a
gated call (worker/clock.py), without the host's launch overhead; `host_overhead_ms` is the host time
the forward took to enqueue its work, and `total_ms` their sum. Calls the gate did not cover are
checked like the rest but left out of the kernel time.

Cross-checks (THREATS #1, #2, #17): the parent's own clock, per call, must account for the claimed
device time, calibrated on the reference's identical loop in the rounds around it (KW-E001); the
worker's host time must not exceed its device time by more than the reference's does (KW-E003); no
claimed time may fall below the roofline floor of the problem on this card (KW-E002). The first two
depend on host load: evidence seen on a busy host is repeated on a quiet one and rejects only if it
survives; otherwise it is a soft note (KW-W004, "inconclusive, timing repeated").
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from kernelwright.errors import ProblemError, WorkerProtocolError
from kernelwright.judge import compare
from kernelwright.sandbox.channel import load_tensors
from kernelwright.sandbox.launch import WorkerDied
from kernelwright.verdict import Category, Timing
from kernelwright.worker.protocol import (
    FROM_REFERENCE,
    Ceilings,
    Message,
    Meta,
    Positions,
    ProblemRaised,
    TimeCmd,
    Timed,
    TimeDone,
    TimingPlan,
    Values,
    post,
)

if TYPE_CHECKING:
    from kernelwright.judge.record import RunRecord
    from kernelwright.sandbox.launch import Worker

# A claimed time below this fraction of the roofline floor is impossible on this card: the floor is
# min bytes over measured copy bandwidth (or FLOPs over measured peak), and measured ceilings sit
# within ~10% of what any kernel reaches.
FLOOR_MARGIN = 0.8

# -- sampling ----------------------------------------------------------------------------------------
ROUND_CALLS = 10  # candidate calls between two reference rounds (the A-B-A grain)
# Stop once the 95% confidence interval of both medians (candidate, eager) is within +-CI_TARGET (a 2%
# wide interval) and at least plan.calls candidate calls are in; else at MAX_CALLS or TIME_BUDGET_S
# after the reference's warm-up, whichever comes first (do_bench's idea: a budget, not a count). H200
# (benchmarks/results/timing_h200_2026-12-02): IQR/median of gated calls 1-3%, so plan.calls (100)
# already puts the median within +-0.2-0.5% (ci95 0.25-0.42% in the judge's runs); the rule samples
# longer only for noisier series (a shared GPU, moving clocks). A loop of 16 ms a call (the idle H200)
# fits 100 candidate calls and their reference rounds in ~5 s.
CI_TARGET = 0.01
MAX_CALLS = 600
TIME_BUDGET_S = 8.0
# Kernel time uses only calls the gate covered, as long as they are at least this share (a forward that
# synchronises inside can never be covered: then every call counts, host time and all).
MIN_COVERED = 0.5

# -- wall-clock cross-checks ---------------------------------------------------------------------------
# Per call, the parent's interval minus the device time the worker claims (events plus gate) is the
# loop's own cost: the exchange, fresh inputs, the snapshot, synchronise latency. The candidate's exceeds
# the reference's by the audit hook's and the launch ledger's cost on its Python, which does not depend
# on the kernel; KW-E001 needs more than max(E001_MIN_MS, E001_REF_FACTOR x the reference loop's own
# cost) unexplained, and more than the claimed time itself. Measured on the H200
# (benchmarks/results/timing_h200_2026-12-02, `ref_loop_ms`, `loop_unexplained_ms`): the reference
# loop cost 14-18 ms a call on the idle machine and 6 ms under 15 busy loops; honest candidates sat
# -3.5 to +1.0 ms beside it when idle, and 66 ms over it under load (legit_atomic_row_sum: repeated,
# KW-W004). Issue 13's run (old method, load ~3) saw 2.2 ms over a 1.9 ms reference loop. Hence the
# margins, and why the check only rejects after a quiet repeat.
E001_MIN_MS = 2.0
E001_REF_FACTOR = 2.0
# The worker's own host time per call minus its device time (gate and events): synchronise latency,
# the gate's launch, the snapshot. KW-E003 needs the candidate's to exceed the reference's by more than
# max(E003_MIN_MS, the claimed time).
E003_MIN_MS = 1.0
# A round ran on a busy host when the machine's CPUs were more than BUSY_CPU busy (/proc/stat) or a
# worker's main thread waited for a CPU more than BUSY_RUN_DELAY of the round (/proc/PID/schedstat).
# The judge itself keeps about two cores busy (the parent and one worker at a time): an eighth of a
# 16-core host, a quarter of an 8-core one (an estimate, not a measurement); the stress load of the
# evidence runs (a busy loop on every core but one) is near 1.
BUSY_CPU = 0.5
BUSY_RUN_DELAY = 0.05
QUIET_WAIT_S = 5.0  # how long a repeat waits for the host to calm down before it runs anyway
RETRY_ROUNDS = 3  # rounds of the repeat: 30 candidate calls with their reference rounds

METHODS = {  # Timed.method -> what made the number (Timing.clock)
    "gate": "cuda events after a gate kernel that occupies every SM (covers the host's enqueue); "
    "streams the launch ledger saw joined with events before the end event",
    "gate+sync": "cuda events after a gate kernel that occupies every SM; a device-wide synchronise "
    "before the end event (native code: its streams are not visible), ~10 us of sync latency included",
    "sync": "cuda events with a device-wide synchronise before the start and the end event (no gate "
    "kernel on this GPU): host launch and sync latency included",
    "host": "host perf_counter (no GPU)",
}


@dataclass
class Series:
    """One worker's timed calls of one kind (eager, compiled, candidate), in arrival order."""

    ms: list[float] = field(default_factory=list)
    host_ms: list[float] = field(default_factory=list)
    intervals: list[float] = field(default_factory=list)  # parent clock since the same worker's last call
    enqueue_ms: list[float] = field(default_factory=list)
    gate_ms: list[float] = field(default_factory=list)
    covered: list[bool] = field(default_factory=list)
    prep_ms: list[float] = field(default_factory=list)  # the worker's time making the call's inputs
    wait_ms: dict[int, float] = field(default_factory=dict)  # per call index: waited for the positions
    index: list[int] = field(default_factory=list)  # the timed call index j
    round: list[int] = field(default_factory=list)
    methods: set[str] = field(default_factory=set)
    checked: int = 0

    def add(self, msg: Timed, interval: float, rnd: int) -> None:
        self.ms.append(msg.ms)
        self.host_ms.append(msg.host_ms)
        self.intervals.append(interval)
        self.enqueue_ms.append(msg.enqueue_ms)
        self.gate_ms.append(msg.gate_ms)
        self.covered.append(msg.covered)
        self.prep_ms.append(msg.prep_ms)
        self.index.append(msg.index)
        self.round.append(rnd)
        self.methods.add(msg.method)

    def rows(self, warmup: int, rounds: set[int] | None = None) -> list[int]:
        """Positions of the calls after warm-up (in the given rounds)."""
        return [
            i for i, j in enumerate(self.index) if j >= warmup and (rounds is None or self.round[i] in rounds)
        ]

    def kernel(self, warmup: int) -> tuple[list[float], float]:
        """(kernel-time samples, covered share): covered calls only, unless too few were covered."""
        rows = self.rows(warmup)
        if not rows:
            return [], 0.0
        cov = [i for i in rows if self.covered[i]]
        share = len(cov) / len(rows)
        return [self.ms[i] for i in (cov if share >= MIN_COVERED else rows)], share

    @property
    def method(self) -> str:
        return "+".join(sorted(self.methods)) if len(self.methods) > 1 else next(iter(self.methods), "")


def sample_positions(seed: int, n: int, k: int) -> list[int]:
    """About k distinct flat positions in [0, n), sorted, from a seed the worker never sees.

    Drawn with replacement then de-duplicated (for n > 4k a handful repeat: 4096 of 2^25 lose ~0.25 on
    average); small n takes a prefix of a permutation. 0.5 ms per call here, where
    `sorted(random.sample(range(n), k))` cost 6.3 ms for n = 2^25 (2-core box), once per timed call
    index. It was not what made the H200's ~16 ms per call: that stayed after this change
    (benchmarks/results/timing_library_h200_2026-12-02, `ref_loop_ms`), except for argmax (1.1 ms),
    whose output is checked whole; `gate_ms` and `call_host_ms` in the verdict are there to find it."""
    g = torch.Generator().manual_seed(seed)
    if n <= 4 * k:
        idx = torch.randperm(n, generator=g)[:k].sort().values
    else:
        idx = torch.randint(0, n, (k,), generator=g).unique()
    return [int(i) for i in idx.tolist()]


def first_wrong_call(
    calls: list[tuple[int, list]], expected: dict[int, list], tol: dict | None
) -> str | None:
    """The first wrong timed call's mismatch message, or None when every call matches its expected
    values. The calls' values are compared in one go (concatenated per output) when they are all plain
    tensors of the expected dtypes; call by call when that finds a mismatch or cannot be done."""
    if _all_plain(calls, expected):
        n_out = len(expected[calls[0][0]])
        joined_ok = all(
            m.ok
            for k in range(n_out)
            for m in compare.compare_outputs(
                [torch.cat([expected[j][k].reshape(-1) for j, _ in calls])],
                [torch.cat([v[k].reshape(-1) for _, v in calls])],
                tol,
                "timed calls",
            )
        )
        if joined_ok:
            return None
    for j, values in sorted(calls, key=lambda c: c[0]):
        bad = [m for m in compare.compare_outputs(expected[j], values, tol, f"timed call {j}") if not m.ok]
        if bad:
            return bad[0].message
    return None


def _all_plain(calls: list[tuple[int, list]], expected: dict[int, list]) -> bool:
    """Every call sent as many plain tensors as expected, each of its expected value's dtype and size."""
    n_out = len(expected[calls[0][0]])
    for j, values in calls:
        exp = expected[j]
        if type(values) is not list or len(values) != n_out or len(exp) != n_out:
            return False
        for e, v in zip(exp, values, strict=True):
            if type(v) is not torch.Tensor or type(e) is not torch.Tensor:
                return False
            if v.dtype != e.dtype or v.shape != e.shape or v.layout is not torch.strided:
                return False
    return True


def median_ci(xs: list[float]) -> float:
    """Half-width of a ~95% confidence interval of the median, relative to it: 1.57 IQR / sqrt(n)
    (McGill, Tukey and Larsen's notch; robust to the outliers a shared machine adds)."""
    if len(xs) < 4:
        return math.inf
    m = statistics.median(xs)
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return 1.57 * (q[2] - q[0]) / math.sqrt(len(xs)) / m if m > 0 else math.inf


def iqr_spread(xs: list[float]) -> float:
    """(Q3 - Q1) / median."""
    if len(xs) < 4:
        return 0.0
    q = statistics.quantiles(xs, n=4, method="inclusive")
    m = statistics.median(xs)
    return (q[2] - q[0]) / m if m > 0 else 0.0


# -- host load ---------------------------------------------------------------------------------------
def cpu_times() -> tuple[float, float] | None:
    """(busy, total) jiffies of all CPUs (/proc/stat); None where there is none."""
    try:
        with open("/proc/stat") as f:
            parts = f.readline().split()
        vals = [float(x) for x in parts[1:9]]
    except (OSError, ValueError):
        return None
    return sum(vals) - vals[3] - vals[4], sum(vals)  # less idle and iowait


def busy_fraction(a: tuple[float, float] | None, b: tuple[float, float] | None) -> float | None:
    if a is None or b is None or b[1] <= a[1]:
        return None
    return (b[0] - a[0]) / (b[1] - a[1])


def run_delay_ms(pid: int | None) -> float | None:
    """How long a process and its descendants' main threads have waited for a CPU (/proc/PID/schedstat).

    A jailed worker is a child of its jail's launcher, hence the descendants."""
    if not pid:
        return None
    pids = [pid]
    try:
        import psutil

        pids += [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except Exception:  # noqa: BLE001 - psutil missing or the process gone: the one pid
        pass
    total, seen = 0.0, False
    for p in pids:
        try:
            with open(f"/proc/{p}/schedstat") as f:
                total += int(f.read().split()[1]) / 1e6
                seen = True
        except (OSError, ValueError, IndexError):
            continue
    return total if seen else None


def sm_clock_mhz() -> int | None:
    """The GPU's current SM clock through NVML (pynvml), or None where that is not available."""
    try:
        import pynvml  # type: ignore[import-not-found]

        pynvml.nvmlInit()
        first = (os.environ.get("CUDA_VISIBLE_DEVICES") or "0").split(",")[0].strip()
        if first.startswith("GPU-") or first.startswith("MIG-"):
            handle = pynvml.nvmlDeviceGetHandleByUUID(first)
        else:
            handle = pynvml.nvmlDeviceGetHandleByIndex(int(first or 0))
        return int(pynvml.nvmlDeviceGetClockInfo(handle, pynvml.NVML_CLOCK_SM))
    except Exception:  # noqa: BLE001 - no NVML, no clock: reported as null
        return None


@dataclass
class RoundHost:
    """What the host was doing during one round (a reference round and the candidate round after it)."""

    started: float
    cpu0: tuple[float, float] | None
    delays0: tuple[float | None, float | None]
    busy: float | None = None
    run_delay: float | None = None  # the larger worker's share of the round spent waiting for a CPU
    retry: bool = False

    @property
    def quiet(self) -> bool:
        return (self.busy is None or self.busy < BUSY_CPU) and (
            self.run_delay is None or self.run_delay < BUSY_RUN_DELAY
        )


@dataclass
class TimingEvidence:
    meta: Meta
    plan: TimingPlan
    expected: dict[int, list] = field(default_factory=dict)
    positions: dict[int, list] = field(default_factory=dict)
    series: dict[str, Series] = field(default_factory=dict)  # eager, compiled, candidate
    ceilings: Ceilings | None = None  # measured on this card (judge/pipeline.py `_ceilings`)
    custom_kernel_share: float | None = None  # reported by the candidate worker (worker/kernel_share.py)
    # The reference worker, driven in rounds beside the candidate (module docstring); its timeout.
    ref: Worker | None = None
    ref_timeout: Callable[[], float] = lambda: 600.0
    modes: tuple[str, ...] = ("eager",)
    candidate_pid: int | None = None
    rounds: list[RoundHost] = field(default_factory=list)
    started: float | None = None
    sm_clock: list[int | None] = field(default_factory=list)  # at the first and the last timed call
    wall: tuple[str, str] | None = None  # (code, message) of the wall-clock cross-checks, when any
    repeated: bool = False
    _last: dict[str, float] = field(default_factory=dict)
    _ref_held: tuple[Timed, str] | None = None
    _ref_msgs: int = 0
    _ref_done: bool = False
    _retry_from: int | None = None
    _first_evidence: tuple[str, str] | None = None
    _unchecked: dict[str, list[tuple[int, list]]] = field(default_factory=dict)  # see on_values

    def _positions(self, index: int, numels: list[int]) -> list:
        if index not in self.positions:
            seed = (self.plan.rng * 1_000_003 + index) % 2**63
            self.positions[index] = [
                None if n <= self.plan.full else sample_positions(seed + i, n, self.plan.positions)
                for i, n in enumerate(numels)
            ]
        return self.positions[index]

    def _reply(self, worker: Worker, msg: Timed, more: bool) -> None:
        positions = self._positions(msg.index, list(msg.numels))
        post(
            worker.send,
            Positions(
                index=msg.index,
                positions=tuple(None if p is None else tuple(p) for p in positions),
                more=more,
            ),
        )

    def _record(self, who: str, role: str, msg: Timed) -> None:
        now = time.monotonic()
        last = self._last.get(role)
        interval = (now - last) * 1e3 if last is not None else math.nan
        self._last[role] = now
        self.series.setdefault(who, Series()).add(msg, interval, len(self.rounds) - 1)

    def on_values(self, msg: Values, payload: bytes | bytearray, who: str) -> None:
        """A worker's checked values of timed call `msg.index`: eager's are the expected values of that
        index; the candidate's and compiled's are kept and compared in batches (`check_values`), not
        here: comparing each call's 4096 values before answering the next call cost ~13 ms a call on
        the H200 host, the whole of the 16 ms loop the worker waited out (prof.txt in
        benchmarks/results/timing_library_h200_2026-12-02b). The batch sees the same values, so every
        timed call is still checked, and a wrong one is still KW-O004 with the call named."""
        values = load_tensors(payload)
        j = msg.index
        s = self.series.setdefault(who, Series())
        s.wait_ms[j] = msg.wait_ms
        if who == "eager" and j not in self.expected:
            self.expected[j] = values
            return
        self._unchecked.setdefault(who, []).append((j, values))

    def check_values(self, run: RunRecord | None) -> None:
        """Compare every kept timed call whose expected values are in (module docstring: every timed
        call is checked): one comparison over all of them per series, then call by call only to name
        the first wrong call."""
        for who, items in self._unchecked.items():
            ready = [(j, v) for j, v in items if j in self.expected]
            self._unchecked[who] = [(j, v) for j, v in items if j not in self.expected]
            if not ready:
                continue
            self.series.setdefault(who, Series()).checked += len(ready)
            bad = first_wrong_call(ready, self.expected, self.meta.tolerance)
            if bad is None or run is None:
                continue
            if who == "candidate":
                run.add(
                    "KW-O004",
                    Category.WRONG_OUTPUT,
                    f"a timed call gave a wrong answer (every timed call is checked): {bad}",
                )
            else:
                run.add("KW-W002", None, f"the {who} baseline disagrees with eager: {bad}", severity="soft")

    # -- the candidate's timed calls drive everything ------------------------------------------------
    def on_timed(self, worker: Worker, msg: Timed, who: str) -> None:
        """A timed call arrived: record it, run the reference's rounds around it, answer it."""
        if who != "candidate" or self.ref is None:  # no reference to interleave (tests): plan.calls
            self._record(who, who, msg)
            self._reply(worker, msg, msg.index + 1 < self.plan.warmup + self.plan.calls)
            return
        done = len(self.series["candidate"].index) if "candidate" in self.series else 0
        if msg.index != done:  # a repeated index would get positions the worker has already seen
            raise WorkerProtocolError(f"timed call {msg.index} arrived where call {done} was due")
        if self.started is None:
            self._begin()
        self._record("candidate", "candidate", msg)
        j, warm = msg.index, self.plan.warmup
        more = j + 1 < self.plan.loop.total
        done_in_round = j + 1 - warm
        if more and done_in_round > 0 and done_in_round % ROUND_CALLS == 0:
            self._close_round()
            more = self._want_more()
            if more:
                self._open_round()
                self._pump_reference(j + 1 + ROUND_CALLS)
        if not more:
            if self.rounds and self.rounds[-1].busy is None:
                self._close_round()
            self._finish_wall()
            self.close_reference()
            self.sm_clock.append(sm_clock_mhz())
        self._last["candidate"] = time.monotonic()  # the reference's round is not the candidate's loop
        self._reply(worker, msg, more)

    def _begin(self) -> None:
        assert self.ref is not None
        self.started = time.monotonic()
        self.sm_clock.append(sm_clock_mhz())
        post(
            self.ref.send,
            TimeCmd(modes=self.modes, compile_mode=self.plan.compile_mode, loop=self.plan.loop),  # type: ignore[arg-type]
        )
        self._open_round()
        self._pump_reference(self.plan.warmup + ROUND_CALLS)
        self.started = time.monotonic()  # the budget starts after warm-up (torch.compile builds there)

    def _open_round(self) -> None:
        self.rounds.append(
            RoundHost(
                started=time.monotonic(),
                cpu0=cpu_times(),
                delays0=(
                    run_delay_ms(self.ref.proc.pid if self.ref else None),
                    run_delay_ms(self.candidate_pid),
                ),
                retry=self._retry_from is not None,
            )
        )

    def _close_round(self) -> None:
        r = self.rounds[-1]
        wall = (time.monotonic() - r.started) * 1e3
        r.busy = busy_fraction(r.cpu0, cpu_times())
        now = (run_delay_ms(self.ref.proc.pid if self.ref else None), run_delay_ms(self.candidate_pid))
        shares = [
            (b - a) / wall for a, b in zip(r.delays0, now, strict=True) if a is not None and b is not None
        ]
        r.run_delay = max(shares) if shares and wall > 0 else None

    def _pump_reference(self, until: int) -> None:
        """Let the reference run its timed calls up to index `until` (exclusive), then hold it.

        It is held at its next call's Timed message, unanswered: every index before `until` then has
        its values (eager's are the expected values of the candidate's call with the same index)."""
        if self.ref is None or self._ref_done:
            return
        self._last.pop("reference", None)  # the candidate's round is not the reference's loop
        try:
            if self._ref_held is not None:
                held, self._ref_held = self._ref_held, None
                self._ref_answer(*held, more=True)
            while True:
                msg, _ = from_reference(self.ref, self.ref_timeout(), "timing the reference")
                if isinstance(msg, TimeDone):  # its loop reached plan.loop.total
                    self._ref_done = True
                    return
                if not isinstance(msg, Timed):
                    raise RuntimeError(f"unexpected reference message {msg.KIND.value}")
                who = self.modes[self._ref_msgs % len(self.modes)]
                self._ref_msgs += 1
                self._record(who, "reference", msg)
                if msg.index >= until:
                    self._ref_held = (msg, who)
                    return
                self._ref_answer(msg, who, more=True)
        except (RuntimeError, WorkerDied) as exc:
            raise ProblemError(f"timing the reference failed: {exc}") from exc

    def _ref_answer(self, msg: Timed, who: str, more: bool) -> None:
        assert self.ref is not None
        self._reply(self.ref, msg, more)
        values, payload = from_reference(self.ref, self.ref_timeout(), "timing the reference")
        if not isinstance(values, Values) or values.index != msg.index:
            raise RuntimeError("the reference sent something other than the values of its timed call")
        self.on_values(values, payload, who)

    def close_reference(self) -> None:
        """End the reference's timed loop (after the last round, or when the candidate stopped early)."""
        if self.ref is None or self._ref_done or self.started is None:
            return
        self._ref_done = True
        try:
            if self._ref_held is not None:
                held, self._ref_held = self._ref_held, None
                self._ref_answer(*held, more=False)
            done, _ = from_reference(self.ref, self.ref_timeout(), "timing the reference")
            if not isinstance(done, TimeDone):
                raise RuntimeError(f"unexpected reference message {done.KIND.value}")
        except (RuntimeError, WorkerDied) as exc:
            raise ProblemError(f"timing the reference failed: {exc}") from exc

    # -- when to stop; the wall-clock cross-checks ------------------------------------------------------
    def _want_more(self) -> bool:
        if self._retry_from is not None:  # a repeat runs its rounds, then stops
            return len(self.rounds) - self._retry_from < RETRY_ROUNDS
        cand, eager = self.series.get("candidate"), self.series.get("eager")
        if cand is None or eager is None:
            return False
        warm = self.plan.warmup
        c_ms, _ = cand.kernel(warm)
        e_ms, _ = eager.kernel(warm)
        n = len(cand.rows(warm))
        enough = len(c_ms) >= self.plan.calls and max(median_ci(c_ms), median_ci(e_ms)) <= CI_TARGET
        spent = self.started is not None and time.monotonic() - self.started >= TIME_BUDGET_S
        if not (enough or spent or n >= MAX_CALLS):
            return True
        evidence = wall_evidence(cand, eager, warm, {r for r in range(len(self.rounds))})
        if evidence is None:
            return False
        # Evidence against the candidate: repeat on a quiet host before it may reject (THREATS #27).
        self._first_evidence = evidence
        self.repeated = True
        wait_quiet()
        self._retry_from = len(self.rounds)
        return True

    def _finish_wall(self) -> None:
        if self._retry_from is None:
            return
        cand, eager = self.series.get("candidate"), self.series.get("eager")
        retry = set(range(self._retry_from, len(self.rounds)))
        again = wall_evidence(cand, eager, self.plan.warmup, retry) if cand and eager else None
        quiet = all(self.rounds[r].quiet for r in retry)
        first = self._first_evidence[1] if self._first_evidence else ""
        if again is not None and quiet:
            self.wall = (again[0], again[1] + " (repeated on a quiet host: it held)")
        else:
            why = (
                "the repeat, on a quiet host, showed none"
                if again is None
                else "the host stayed busy through the repeat, so it proves nothing"
            )
            self.wall = ("KW-W004", f"inconclusive, timing repeated: {first}; {why}")


def wait_quiet() -> None:
    """Wait up to QUIET_WAIT_S for the machine's CPUs to be less than BUSY_CPU busy."""
    deadline = time.monotonic() + QUIET_WAIT_S
    while time.monotonic() < deadline:
        a = cpu_times()
        time.sleep(0.25)
        busy = busy_fraction(a, cpu_times())
        if busy is None or busy < BUSY_CPU:
            return


def _round_costs(s: Series, rows: list[int]) -> tuple[float, float]:
    """(loop cost, in-worker slack) per call, medians: the parent's interval less the claimed device
    time (events and gate); the worker's own host time less the same."""
    loop = [s.intervals[i] - s.ms[i] - s.gate_ms[i] for i in rows if not math.isnan(s.intervals[i])]
    slack = [s.host_ms[i] - s.ms[i] - s.gate_ms[i] - max(0.0, s.enqueue_ms[i] - s.gate_ms[i]) for i in rows]
    return _median(loop) if loop else math.nan, _median(slack) if slack else math.nan


def wall_stats(cand: Series, eager: Series, warmup: int, rounds: set[int]) -> dict[str, float]:
    """Per-call medians over the rounds: the candidate's loop cost beyond the reference's in the same
    round (`unexplained`), the reference's own loop cost (`ref_loop`), the candidate's in-worker slack
    beyond the reference's (`lag`), and the claimed kernel time (`claimed`). NaN where not measured."""
    unexplained, ref_cost, lag = [], [], []
    for r in sorted(rounds):
        c_rows, e_rows = cand.rows(warmup, {r}), eager.rows(warmup, {r})
        if not c_rows or not e_rows:
            continue
        c_loop, c_slack = _round_costs(cand, c_rows)
        e_loop, e_slack = _round_costs(eager, e_rows)
        if not math.isnan(c_loop) and not math.isnan(e_loop):
            unexplained.append(c_loop - e_loop)
            ref_cost.append(e_loop)
        lag.append(c_slack - e_slack)

    def med(xs: list[float]) -> float:
        return _median(xs) if xs else math.nan

    return {
        "unexplained": med(unexplained),
        "ref_loop": med(ref_cost),
        "lag": med(lag),
        "claimed": _median(cand.kernel(warmup)[0]),
    }


def wall_evidence(cand: Series, eager: Series, warmup: int, rounds: set[int]) -> tuple[str, str] | None:
    """(code, message) when the parent's or the worker's clock shows time the claimed device time does
    not explain, beyond what the reference's identical loop shows in the same rounds; else None."""
    w = wall_stats(cand, eager, warmup, rounds)
    u, cost, g, claimed = w["unexplained"], w["ref_loop"], w["lag"], w["claimed"]
    if not math.isnan(u) and u > max(E001_MIN_MS, E001_REF_FACTOR * cost) and u > claimed:
        return (
            "KW-E001",
            f"the parent's clock saw {u:.3f} ms per timed call more than the device time the worker "
            f"claims ({claimed:.4f} ms) explains, beyond the identical reference loop's own "
            f"{cost:.3f} ms in the same rounds",
        )
    if not math.isnan(g) and g > max(E003_MIN_MS, claimed):
        return (
            "KW-E003",
            f"the worker's host time per call exceeds its device time (gate and events) by {g:.3f} ms "
            "more than the reference's: the events do not bracket the work",
        )
    return None


def from_reference(worker: Worker, timeout: float, what: str) -> tuple[Message, bytearray]:
    """The reference worker's next message; RuntimeError when it reports a failure or sends garbage."""
    header, payload = worker.recv(timeout, what)
    try:
        msg = FROM_REFERENCE.decode(header)
    except WorkerProtocolError as exc:
        raise RuntimeError(str(exc)) from exc
    if isinstance(msg, ProblemRaised):
        raise RuntimeError(msg.message)
    return msg, payload


def _median(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else 0.0


def _quantile(xs: list[float], q: float) -> float:
    ys = sorted(xs)
    return ys[min(len(ys) - 1, max(0, int(round(q * (len(ys) - 1)))))] if ys else 0.0


def assemble_timing(ev: TimingEvidence, run: RunRecord) -> Timing | None:
    warm = ev.plan.warmup
    cand = ev.series.get("candidate")
    eager = ev.series.get("eager")
    if cand is None or eager is None or not cand.ms:
        return None
    run.correctness.timed_calls_checked = cand.checked
    c_ms, covered = cand.kernel(warm)
    e_ms, _ = eager.kernel(warm)
    if not c_ms or not e_ms:
        return None
    cand_med, eager_med = _median(c_ms), _median(e_ms)
    compiled = ev.series.get("compiled")
    k_ms = compiled.kernel(warm)[0] if compiled else []
    comp_med = _median(k_ms) if k_ms else None
    c_host = _median([cand.enqueue_ms[i] for i in cand.rows(warm)])
    e_host = _median([eager.enqueue_ms[i] for i in eager.rows(warm)])
    k_host = _median([compiled.enqueue_ms[i] for i in compiled.rows(warm)]) if compiled and k_ms else None
    floor = _floor_ms(ev)
    wall = wall_stats(cand, eager, warm, set(range(len(ev.rounds))))
    if ev.wall is not None:
        code, message = ev.wall
        if code == "KW-W004":
            run.add(code, None, message, severity="soft")
        else:
            run.add(code, Category.TIMING_EVASION, message)
    if floor > 0 and cand_med < FLOOR_MARGIN * floor:
        run.add(
            "KW-E002",
            Category.TIMING_EVASION,
            f"claimed {cand_med:.4f} ms per call is below the roofline floor of {floor:.4f} ms on this card",
        )
    return Timing(
        candidate_ms=round(cand_med, 6),
        eager_ms=round(eager_med, 6),
        compiled_ms=round(comp_med, 6) if comp_med else None,
        speedup_vs_eager=round(eager_med / cand_med, 4) if cand_med else 0.0,
        speedup_vs_compiled=round(comp_med / cand_med, 4) if comp_med and cand_med else None,
        samples=len(c_ms),
        spread=round(iqr_spread(c_ms), 4),
        candidate_p20_ms=round(_quantile(c_ms, 0.2), 6),
        candidate_p80_ms=round(_quantile(c_ms, 0.8), 6),
        eager_spread=round(iqr_spread(e_ms), 4),
        drift=round(_drift(eager, warm), 4),
        floor_ms=round(floor, 6),
        roofline_fraction=round(floor / cand_med, 4) if cand_med and floor else 0.0,
        host_wall_ms=round(_median([x for x in cand.intervals if not math.isnan(x)]), 4),
        custom_kernel_share=ev.custom_kernel_share,
        host_overhead_ms=round(c_host, 6),
        total_ms=round(cand_med + c_host, 6),
        eager_total_ms=round(eager_med + e_host, 6),
        compiled_total_ms=round(comp_med + k_host, 6) if comp_med and k_host is not None else None,
        clock=METHODS.get(cand.method, cand.method),
        eager_clock=METHODS.get(eager.method, eager.method) if eager.method != cand.method else None,
        ci95=round(median_ci(c_ms), 4) if len(c_ms) >= 4 else None,
        covered=round(covered, 4),
        rounds=len(ev.rounds),
        sm_clock_mhz_start=ev.sm_clock[0] if ev.sm_clock else None,
        sm_clock_mhz_end=ev.sm_clock[-1] if len(ev.sm_clock) > 1 else None,
        timing_repeated=ev.repeated,
        loop_unexplained_ms=_finite(wall["unexplained"]),
        ref_loop_ms=_finite(wall["ref_loop"]),
        gate_ms=round(_median(cand.gate_ms[warm:]), 4),
        call_host_ms=round(_median(cand.host_ms[warm:]), 4),
        call_prep_ms=_after_warmup(cand.prep_ms, warm),
        reply_wait_ms=_after_warmup([w for j, w in sorted(cand.wait_ms.items())], warm),
        ref_prep_ms=_after_warmup(eager.prep_ms, warm),
        ref_reply_wait_ms=_after_warmup([w for j, w in sorted(eager.wait_ms.items())], warm),
    )


def _after_warmup(xs: list[float], warm: int) -> float | None:
    """Median of a per-call series past the warm-up calls (None when it has none)."""
    return round(_median(xs[warm:]), 4) if xs[warm:] else None


def _finite(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 4)


def _drift(eager: Series, warm: int) -> float:
    """|early rounds - late rounds| / early, of the eager medians (A-B-A)."""
    rows = eager.rows(warm)
    if len(rows) < 8:
        return 0.0
    rounds = sorted({eager.round[i] for i in rows})
    if len(rounds) >= 2:
        half = rounds[len(rounds) // 2]
        early = [eager.ms[i] for i in rows if eager.round[i] < half]
        late = [eager.ms[i] for i in rows if eager.round[i] >= half]
    else:
        early, late = (
            [eager.ms[i] for i in rows[: len(rows) // 2]],
            [eager.ms[i] for i in rows[len(rows) // 2 :]],
        )
    a, b = _median(early), _median(late)
    return abs(b - a) / a if a else 0.0


def _floor_ms(ev: TimingEvidence) -> float:
    bw = ev.ceilings.copy_bytes_per_s if ev.ceilings else 0.0
    peak = ev.ceilings.bf16_flops_per_s if ev.ceilings else 0.0
    t_bytes = ev.meta.io_bytes / bw * 1e3 if bw else 0.0
    t_flops = ev.meta.flops / peak * 1e3 if peak else 0.0
    return max(t_bytes, t_flops)
