"""Parent-side timing: positions to check, every timed output compared, wall-time and roofline checks.

After each timed call the worker reports its device time; only then does the parent say which output
positions to send back (chosen from a secret seed, the same for reference and candidate at call j).
A candidate cannot know in advance which elements are checked, so computing part of the output, or
computing it later, fails (THREATS #4, #5, #13). Outputs up to `full_check_numel` come back whole.

Cross-checks (THREATS #1, #2, #17): the parent's own clock between consecutive timed calls,
calibrated on the reference worker running the identical loop, must account for the claimed device
time; and no claimed time may fall below the roofline floor of the problem on this card.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kernelwright.judge import compare
from kernelwright.sandbox.channel import load_tensors
from kernelwright.verdict import Category, Timing

if TYPE_CHECKING:
    from kernelwright.judge.record import RunRecord
    from kernelwright.sandbox.launch import Worker

# A claimed time below this fraction of the roofline floor is impossible on this card: the floor is
# min bytes over measured copy bandwidth (or FLOPs over measured peak), and measured ceilings sit
# within ~10% of what any kernel reaches.
FLOOR_MARGIN = 0.8


@dataclass
class Series:
    ms: list[float] = field(default_factory=list)
    host_ms: list[float] = field(default_factory=list)
    intervals: list[float] = field(default_factory=list)
    checked: int = 0
    last_seen: float | None = None

    def steady(self, warmup: int) -> list[float]:
        return self.ms[warmup:] or self.ms


@dataclass
class TimingEvidence:
    meta: dict
    plan: dict = field(default_factory=dict)
    expected: dict[int, list] = field(default_factory=dict)
    positions: dict[int, list] = field(default_factory=dict)
    series: dict[str, Series] = field(default_factory=dict)  # eager, compiled, candidate, eager_after
    ceilings: dict = field(default_factory=dict)
    custom_kernel_share: float | None = None  # reported by the candidate worker (worker/kernel_share.py)

    def _positions(self, index: int, numels: list[int]) -> list:
        if index not in self.positions:
            rng = random.Random(self.plan["rng"] * 1_000_003 + index)
            self.positions[index] = [
                None if n <= self.plan["full"] else sorted(rng.sample(range(n), self.plan["positions"]))
                for n in numels
            ]
        return self.positions[index]

    def on_timed(self, worker: Worker, msg: dict, who: str) -> None:
        s = self.series.setdefault(who, Series())
        now = time.monotonic()
        if s.last_seen is not None:
            s.intervals.append((now - s.last_seen) * 1e3)
        s.last_seen = now
        s.ms.append(float(msg["ms"]))
        s.host_ms.append(float(msg["host_ms"]))
        worker.send("positions", index=msg["index"], positions=self._positions(msg["index"], msg["numels"]))

    def on_values(self, msg: dict, payload: bytes, who: str, run: RunRecord | None) -> None:
        values = load_tensors(payload)
        j = msg["index"]
        s = self.series.setdefault(who, Series())
        if who == "eager" and j not in self.expected:
            self.expected[j] = values
            return
        if j not in self.expected:
            return
        bad = [
            m
            for m in compare.compare_outputs(
                self.expected[j], values, self.meta.get("tolerance"), f"timed call {j}"
            )
            if not m.ok
        ]
        s.checked += 1
        if bad and run is not None:
            if who == "candidate":
                run.add(
                    "KW-O004",
                    Category.WRONG_OUTPUT,
                    f"a timed call gave a wrong answer (every timed call is checked): {bad[0].message}",
                )
            else:
                run.add(
                    "KW-W002",
                    None,
                    f"the {who} baseline disagrees with eager: {bad[0].message}",
                    severity="soft",
                )

    def exchange(self, worker: Worker, timeout: float, who: str) -> Series:
        """Run one reference timing loop ('eager' first: it records the expected values) to the end."""
        self.series[who] = Series()
        for _ in range(self.plan["warmup"] + self.plan["calls"]):
            msg, _ = worker.recv(timeout, f"timing the reference ({who})")
            if msg["kind"] != "timed":
                raise RuntimeError(msg.get("message", str(msg)))
            self.on_timed(worker, msg, who)
            msg, payload = worker.recv(timeout, f"timing the reference ({who})")
            self.on_values(msg, payload, who, None)
        return self.series[who]


def _median(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else 0.0


def _quantile(xs: list[float], q: float) -> float:
    ys = sorted(xs)
    return ys[min(len(ys) - 1, max(0, int(round(q * (len(ys) - 1)))))] if ys else 0.0


def assemble_timing(ev: TimingEvidence, run: RunRecord) -> Timing | None:
    warm = ev.plan.get("warmup", 0)
    cand = ev.series.get("candidate")
    eager = ev.series.get("eager")
    if cand is None or eager is None or not cand.ms:
        return None
    run.correctness.timed_calls_checked = cand.checked
    c_ms = cand.steady(warm)
    e_ms = eager.steady(warm)
    cand_med, eager_med = _median(c_ms), _median(e_ms)
    compiled, after = ev.series.get("compiled"), ev.series.get("eager_after")
    comp_med = _median(compiled.steady(warm)) if compiled and compiled.ms else None
    after_med = _median(after.steady(warm)) if after and after.ms else eager_med
    floor = _floor_ms(ev)
    _check_wall(cand, eager, warm, run)
    if floor > 0 and cand_med < FLOOR_MARGIN * floor:
        run.add(
            "KW-E002",
            Category.TIMING_EVASION,
            f"claimed {cand_med:.4f} ms per call is below the roofline floor of {floor:.4f} ms on this card",
        )
    spread = (_quantile(c_ms, 0.8) - _quantile(c_ms, 0.2)) / cand_med if cand_med else 0.0
    return Timing(
        candidate_ms=round(cand_med, 6),
        eager_ms=round(eager_med, 6),
        compiled_ms=round(comp_med, 6) if comp_med else None,
        speedup_vs_eager=round(eager_med / cand_med, 4) if cand_med else 0.0,
        speedup_vs_compiled=round(comp_med / cand_med, 4) if comp_med and cand_med else None,
        samples=len(c_ms),
        spread=round(spread, 4),
        candidate_p20_ms=round(_quantile(c_ms, 0.2), 6),
        candidate_p80_ms=round(_quantile(c_ms, 0.8), 6),
        eager_spread=round((_quantile(e_ms, 0.8) - _quantile(e_ms, 0.2)) / eager_med, 4)
        if eager_med
        else 0.0,
        drift=round(abs(after_med - eager_med) / eager_med, 4) if eager_med else 0.0,
        floor_ms=round(floor, 6),
        roofline_fraction=round(floor / cand_med, 4) if cand_med and floor else 0.0,
        host_wall_ms=round(_median(cand.intervals), 4),
        custom_kernel_share=ev.custom_kernel_share,
    )


def _floor_ms(ev: TimingEvidence) -> float:
    bw = float(ev.ceilings.get("copy_bytes_per_s", 0.0))
    peak = float(ev.ceilings.get("bf16_flops_per_s", 0.0))
    t_bytes = ev.meta.get("bytes", 0) / bw * 1e3 if bw else 0.0
    t_flops = ev.meta.get("flops", 0.0) / peak * 1e3 if peak else 0.0
    return max(t_bytes, t_flops)


def _check_wall(cand: Series, eager: Series, warm: int, run: RunRecord) -> None:
    """The parent's clock must account for the device time the worker claims (THREATS #1, #2)."""
    c_iv, e_iv = cand.intervals[warm:] or cand.intervals, eager.intervals[warm:] or eager.intervals
    if not c_iv or not e_iv:
        return
    overhead = _median(e_iv) - _median(eager.steady(warm))  # the loop's cost around the timed region
    unexplained = _median(c_iv) - overhead - _median(cand.steady(warm))
    if unexplained > max(2.0, 3.0 * _median(cand.steady(warm)), 0.5 * overhead):
        run.add(
            "KW-E001",
            Category.TIMING_EVASION,
            f"the parent observed {_median(c_iv):.3f} ms per timed call but the worker claimed "
            f"{_median(cand.steady(warm)):.3f} ms of device time; the identical reference loop costs "
            f"{overhead:.3f} ms around its calls, leaving {unexplained:.3f} ms unexplained",
        )
    lag = [h - m for h, m in zip(cand.host_ms[warm:], cand.ms[warm:], strict=False)]
    if lag and _median(lag) > max(1.0, _median(cand.steady(warm))):
        run.add(
            "KW-E003",
            Category.TIMING_EVASION,
            f"host wall time exceeds device-event time by {_median(lag):.3f} ms per call (median): "
            "the events do not bracket the work",
        )
