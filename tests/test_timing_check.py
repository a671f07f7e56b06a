"""Parent-side timing (judge/timing.py) against fakes: statistics, the interleaved rounds with a fake
reference worker, the stop rule, the wall-clock cross-checks and their quiet repeat; the worker-side
exchange and gate sizing (worker/clock.py). CI has no GPU: the `cuda` tests run on one only."""

from __future__ import annotations

import math
import os
from collections import deque
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from kernelwright.errors import WorkerProtocolError
from kernelwright.judge import timing as tm
from kernelwright.judge.record import RunRecord
from kernelwright.judge.timing import RoundHost, Series, TimingEvidence, assemble_timing, wall_evidence
from kernelwright.sandbox.channel import Channel, dump_tensors, load_tensors
from kernelwright.worker.clock import GATE_MAX_MS, GATE_MIN_MS, CallTiming, Clock, report_timed_call
from kernelwright.worker.protocol import (
    FROM_REFERENCE,
    TO_REFERENCE,
    Ceilings,
    Meta,
    Positions,
    TimeCmd,
    Timed,
    TimeDone,
    TimingPlan,
    Values,
    post,
)

ROOT = Path(__file__).resolve().parents[1]
PLAN = TimingPlan(warmup=0, calls=10, seed_base=0, positions=4, full=1 << 20, rng=0)


def meta(io_bytes: int = 0) -> Meta:
    return Meta(
        inputs=(),
        outputs=(),
        numel=0,
        io_bytes=io_bytes,
        flops=0.0,
        tolerance=None,
        has_fuzz=True,
        ref_ops=(),
    )


def series(ms: list[float], interval: float = math.nan, rounds: int = 1, **kw: Any) -> Series:
    """A series of len(ms) calls spread over `rounds` rounds; other per-call fields from kw or defaults."""
    n = len(ms)
    s = Series()
    for i, m in enumerate(ms):
        s.add(
            Timed(
                index=i,
                ms=m,
                host_ms=kw.get("host_ms", m + 0.05),
                numels=(4,),
                enqueue_ms=kw.get("enqueue_ms", 0.02),
                gate_ms=kw.get("gate_ms", 0.1),
                covered=kw["covered"][i] if "covered" in kw else True,
                method=kw.get("method", "gate"),
            ),
            interval,
            i * rounds // n,
        )
    return s


def _evidence(cand_ms: float, bytes_: int = 0) -> TimingEvidence:
    ev = TimingEvidence(
        meta=meta(bytes_), plan=PLAN, ceilings=Ceilings(copy_bytes_per_s=3e12, bf16_flops_per_s=8e14)
    )
    ev.series = {
        "eager": series([2.0] * 5 + [2.1] * 5, rounds=2),
        "compiled": series([1.5] * 10, rounds=2),
        "candidate": series([cand_ms] * 10, rounds=2),
    }
    return ev


# -- assembling the verdict's numbers --------------------------------------------------------------
def test_honest_series_give_kernel_times_speedups_overhead_drift_and_roofline() -> None:
    run = RunRecord()
    t = assemble_timing(_evidence(1.0, bytes_=1_500_000_000), run)
    assert t is not None and not run.reasons
    assert (t.candidate_ms, t.eager_ms, t.compiled_ms) == (1.0, 2.05, 1.5)
    assert (t.speedup_vs_eager, t.speedup_vs_compiled, t.samples) == (2.05, 1.5, 10)
    assert abs(t.drift - 0.05) < 1e-9  # eager 2.0 in the first round, 2.1 in the second
    assert abs(t.floor_ms - 0.5) < 1e-9 and abs(t.roofline_fraction - 0.5) < 1e-9
    assert (t.host_overhead_ms, t.total_ms) == (0.02, 1.02)  # the forward's enqueue, reported beside
    assert t.clock == tm.METHODS["gate"] and t.eager_clock is None and t.covered == 1.0
    assert t.spread == 0.0 and t.ci95 == 0.0
    assert (t.gate_ms, t.call_host_ms) == (0.1, 1.05)  # where a call's host time goes (diagnosis)


def test_time_below_the_roofline_floor_is_timing_evasion() -> None:
    run = RunRecord()
    assemble_timing(_evidence(0.1, bytes_=1_500_000_000), run)  # the floor is 0.5 ms on this card
    assert [r.code for r in run.reasons] == ["KW-E002"]


def test_calls_the_gate_did_not_cover_stay_out_of_the_kernel_time() -> None:
    cov = [True] * 8 + [False] * 2  # two calls whose host enqueue outlasted the gate: host time inside
    s = series([1.0] * 8 + [9.0] * 2, covered=cov)
    assert s.kernel(0) == ([1.0] * 8, 0.8)
    never = series([3.0] * 10, covered=[False] * 10)  # a forward that synchronises inside: all count
    assert never.kernel(0) == ([3.0] * 10, 0.0)


def test_baselines_timed_otherwise_than_the_candidate_say_so() -> None:
    ev = _evidence(1.0)
    ev.series["candidate"] = series([1.0] * 10, rounds=2, method="gate+sync")  # native code
    t = assemble_timing(ev, RunRecord())
    assert t is not None and t.clock == tm.METHODS["gate+sync"] and t.eager_clock == tm.METHODS["gate"]


def test_custom_kernel_share_reported_by_the_worker_reaches_the_verdict() -> None:
    ev = _evidence(1.0)
    ev.custom_kernel_share = 0.93
    t = assemble_timing(ev, RunRecord())
    assert t is not None and t.custom_kernel_share == 0.93


def test_median_confidence_interval_and_spread() -> None:
    xs = [1.0, 1.01, 0.99, 1.02, 0.98, 1.0, 1.01, 0.99] * 8  # 64 samples, IQR 0.02
    assert abs(tm.iqr_spread(xs) - 0.02) < 1e-9
    assert abs(tm.median_ci(xs) - 1.57 * 0.02 / 8) < 1e-9
    assert tm.median_ci([1.0, 2.0]) == math.inf


# -- the wall-clock cross-checks and their repeat ---------------------------------------------------
def _rounds(n: int, quiet: bool, retry_from: int | None = None) -> list[RoundHost]:
    busy = 0.1 if quiet else 0.95
    return [
        RoundHost(0.0, None, (None, None), busy=busy, retry=retry_from is not None and i >= retry_from)
        for i in range(n)
    ]


def test_wall_evidence_compares_each_round_with_the_reference_round_beside_it() -> None:
    # reference loop: 1.5 ms a call around its 0.1 ms gate and 0.5 ms of device time (threshold 3 ms)
    eager = series([0.5] * 20, interval=2.1, rounds=2)
    honest = series([0.2] * 20, interval=1.9, rounds=2)  # the candidate's loop costs the same
    assert wall_evidence(honest, eager, 0, {0, 1}) is None
    hidden = series([0.2] * 20, interval=6.0, rounds=2)  # 4.2 ms more per call than the reference loop
    code, message = wall_evidence(hidden, eager, 0, {0, 1}) or ("", "")
    assert code == "KW-E001" and "4.200 ms" in message
    lag = series([0.2] * 20, interval=1.9, rounds=2, host_ms=3.5)  # the worker's own clock disagrees
    assert (wall_evidence(lag, eager, 0, {0, 1}) or ("",))[0] == "KW-E003"


def _finish(first: bool, again: bool, quiet_retry: bool) -> TimingEvidence:
    ev = TimingEvidence(meta=meta(), plan=PLAN)
    eager = series([0.5] * 40, interval=2.1, rounds=4)
    cand = series([0.2] * 40, interval=6.0 if first else 1.9, rounds=4)
    for i in range(20, 40):  # the repeat: rounds 2 and 3
        cand.intervals[i] = 6.0 if again else 1.9
    ev.series = {"eager": eager, "candidate": cand}
    ev.rounds = _rounds(2, quiet=False) + _rounds(2, quiet=quiet_retry, retry_from=0)
    ev._retry_from, ev.repeated = 2, True
    ev._first_evidence = wall_evidence(cand, eager, 0, {0, 1})
    ev._finish_wall()
    return ev


def test_evidence_that_holds_on_a_quiet_repeat_rejects() -> None:
    ev = _finish(first=True, again=True, quiet_retry=True)
    run = RunRecord()
    assemble_timing(ev, run)
    assert [r.code for r in run.reasons] == ["KW-E001"] and run.hard()
    assert "quiet host" in run.reasons[0].message


@pytest.mark.parametrize(("again", "quiet_retry"), [(False, True), (True, False), (False, False)])
def test_evidence_that_does_not_survive_a_quiet_repeat_is_a_soft_note(again: bool, quiet_retry: bool) -> None:
    ev = _finish(first=True, again=again, quiet_retry=quiet_retry)
    run = RunRecord()
    t = assemble_timing(ev, run)
    assert [r.code for r in run.reasons] == ["KW-W004"] and not run.hard()
    assert run.reasons[0].message.startswith("inconclusive, timing repeated")
    assert t is not None and t.timing_repeated


def test_busy_host_measures() -> None:
    assert tm.busy_fraction((10.0, 100.0), (60.0, 200.0)) == 0.5
    assert tm.busy_fraction(None, (1.0, 2.0)) is None and tm.run_delay_ms(None) is None
    if os.path.exists("/proc/stat"):
        assert tm.cpu_times() is not None
        assert tm.run_delay_ms(os.getpid()) is not None
    assert RoundHost(0.0, None, (None, None), busy=0.9).quiet is False
    assert RoundHost(0.0, None, (None, None), busy=0.1, run_delay=0.2).quiet is False
    assert RoundHost(0.0, None, (None, None), busy=0.1, run_delay=0.01).quiet is True


# -- the interleaved rounds, driven by the candidate's timed calls ------------------------------------
class FakeReference:
    """The reference worker's timed loop as the parent sees it: Timed, then Values once answered."""

    def __init__(self, ms: dict[str, float]) -> None:
        self.ms = ms
        self.proc = SimpleNamespace(pid=None)
        self.out: deque[tuple[dict, bytes]] = deque()
        self.modes: tuple[str, ...] = ()
        self.total = 0
        self.at = (0, 0)  # (index, mode) of the last Timed sent
        self.done = False
        self.log: list[str] = []

    def _timed(self) -> None:
        j, m = self.at
        msg = Timed(index=j, ms=self.ms[self.modes[m]] * (1 + 0.001 * (j % 3)), host_ms=1.0, numels=(4,))
        self.out.append((msg.to_wire(), b""))
        self.log.append(f"ref {self.modes[m]} {j}")

    def send(self, kind: str, **fields: Any) -> None:
        msg = TO_REFERENCE.decode({"kind": kind, **fields})
        if isinstance(msg, TimeCmd):
            self.modes, self.total = msg.modes, msg.loop.total
            self._timed()
            return
        assert isinstance(msg, Positions)
        j, m = self.at
        self.out.append((Values(index=j).to_wire(), dump_tensors([torch.full((4,), float(j))])))
        m += 1
        if m == len(self.modes):
            j, m = j + 1, 0
        if not msg.more or j >= self.total:
            self.out.append((TimeDone().to_wire(), b""))
            self.done = True
            return
        self.at = (j, m)
        self._timed()

    def recv(self, timeout: float, what: str) -> tuple[dict, bytes]:
        return self.out.popleft()


class FakeCandidate:
    def __init__(self) -> None:
        self.replies: list[Positions] = []

    def send(self, kind: str, **fields: Any) -> None:
        self.replies.append(Positions.from_wire({"kind": kind, **fields}))


def drive(
    ev: TimingEvidence, cand_ms: float, wrong_at: int = -1
) -> tuple[FakeCandidate, RunRecord, list[str]]:
    cand, run, log = FakeCandidate(), RunRecord(), []
    for j in range(ev.plan.loop.total):
        log.append(f"cand {j}")
        ev.on_timed(
            cand, Timed(index=j, ms=cand_ms * (1 + 0.001 * (j % 5)), host_ms=1.0, numels=(4,)), "candidate"
        )
        value = float(j) + (100.0 if j == wrong_at else 0.0)
        ev.on_values(Values(index=j), dump_tensors([torch.full((4,), value)]), "candidate")
        if not cand.replies[-1].more:
            break
    ev.check_values(run)  # as the session does when the candidate's loop ends
    return cand, run, log


def interleaved(
    modes: tuple[str, ...] = ("eager", "compiled"), calls: int = 20
) -> tuple[TimingEvidence, FakeReference]:
    plan = TimingPlan(warmup=2, calls=calls, seed_base=0, positions=4, full=1 << 20, rng=1, max_calls=200)
    ev = TimingEvidence(meta=meta(), plan=plan)
    ref = FakeReference({"eager": 0.02, "compiled": 0.015})
    ev.ref, ev.modes = ref, modes  # type: ignore[assignment]
    return ev, ref


def test_rounds_interleave_reference_and_candidate_and_stop_when_the_median_is_tight() -> None:
    ev, ref = interleaved()
    cand, run, _ = drive(ev, 0.01)
    assert not run.reasons and ref.done and not ref.out  # the reference's loop ended cleanly
    assert [r.more for r in cand.replies] == [True] * 21 + [False]  # 2 warm-up + 20: the CI was tight
    c, e, k = ev.series["candidate"], ev.series["eager"], ev.series["compiled"]
    assert len(c.rows(2)) == 20 and c.checked == 22  # every candidate call compared with eager's values
    assert len(ev.rounds) == 2 and set(c.round) == set(e.round) == {0, 1}
    # eager and compiled alternate call by call in the reference's loop
    assert e.index[:3] == [0, 1, 2] and k.index[:3] == [0, 1, 2]
    t = assemble_timing(ev, run)
    assert t is not None and t.rounds == 2 and t.samples == 20
    assert t.speedup_vs_eager == pytest.approx(2.0, rel=0.01) and t.speedup_vs_compiled == pytest.approx(
        1.5, rel=0.01
    )


def test_each_candidate_round_sits_between_two_reference_rounds() -> None:
    ev, ref = interleaved(modes=("eager",))
    order: list[str] = []
    cand = FakeCandidate()
    for j in range(ev.plan.loop.total):
        before = len(ref.log)
        ev.on_timed(cand, Timed(index=j, ms=0.01, host_ms=1.0, numels=(4,)), "candidate")
        order += [f"cand {j}"] + ref.log[before:]  # the reference runs before the parent answers call j
        ev.on_values(Values(index=j), dump_tensors([torch.full((4,), float(j))]), "candidate")
        if not cand.replies[-1].more:
            break
    first_cand = order.index("cand 2")
    # the reference ran warm-up and round 0 (indices 0..11, held at 12) before the candidate's round 0
    assert "ref eager 12" in order[: first_cand + 1] and "ref eager 13" not in order[: first_cand + 1]
    # and its round 1 (12..21, held at 22) after the candidate's call 11, before its call 12
    i11, i12 = order.index("cand 11"), order.index("cand 12")
    assert all(f"ref eager {j}" in order[i11:i12] for j in range(13, 23))


def test_a_wrong_timed_answer_is_caught_in_the_interleaved_loop() -> None:
    ev, _ = interleaved()
    _, run, _ = drive(ev, 0.01, wrong_at=7)
    assert [r.code for r in run.reasons] == ["KW-O004"]


def test_noisy_samples_run_to_the_call_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tm, "MAX_CALLS", 40)
    ev, ref = interleaved(calls=10)
    cand, run, _ = FakeCandidate(), RunRecord(), None
    for j in range(ev.plan.loop.total):
        noisy = 0.01 * (1 + 0.5 * ((j * 7919) % 13) / 13)  # IQR/median ~25%: the CI never gets to 1%
        ev.on_timed(cand, Timed(index=j, ms=noisy, host_ms=1.0, numels=(4,)), "candidate")
        ev.on_values(Values(index=j), dump_tensors([torch.full((4,), float(j))]), "candidate")
        if not cand.replies[-1].more:
            break
    ev.check_values(run)
    assert len(ev.series["candidate"].rows(2)) == 40 and ref.done and not run.reasons


def test_timed_calls_out_of_order_are_a_protocol_violation() -> None:
    ev, _ = interleaved()
    cand = FakeCandidate()
    ev.on_timed(cand, Timed(index=0, ms=0.01, host_ms=1.0, numels=(4,)), "candidate")
    with pytest.raises(WorkerProtocolError):  # the session reports it as tampering (KW-T002)
        ev.on_timed(cand, Timed(index=0, ms=0.01, host_ms=1.0, numels=(4,)), "candidate")


def test_a_candidate_that_stops_early_leaves_no_reference_waiting() -> None:
    ev, ref = interleaved()
    cand = FakeCandidate()
    for j in range(5):  # then the candidate raises: no more timed calls
        ev.on_timed(cand, Timed(index=j, ms=0.01, host_ms=1.0, numels=(4,)), "candidate")
    assert not ref.done
    ev.close_reference()
    assert ref.done and not ref.out


def test_evidence_on_a_busy_host_is_repeated_before_it_can_reject(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tm, "wait_quiet", lambda: None)
    seen = iter([("KW-E001", "4 ms unexplained"), None])  # the first check sees evidence, the repeat none
    monkeypatch.setattr(tm, "wall_evidence", lambda *a: next(seen))
    ev, ref = interleaved()
    cand, run, _ = drive(ev, 0.01)
    assert ev.repeated and ref.done
    assert (
        len(ev.rounds) == 2 + tm.RETRY_ROUNDS
        and [r.retry for r in ev.rounds][-tm.RETRY_ROUNDS :] == [True] * 3
    )
    assemble_timing(ev, run)
    assert [r.code for r in run.reasons] == ["KW-W004"]


# -- worker side: the exchange, the gate's length ---------------------------------------------------
def test_timed_call_exchange_sends_only_the_positions_asked_after_the_call() -> None:
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    key = b"k" * 32
    worker_res, parent_res = Channel(None, w1, key), Channel(r1, None, key)
    parent_ctl, worker_ctl = Channel(None, w2, key), Channel(r2, None, key)
    post(parent_ctl.send, Positions(index=7, positions=((0, 3), None), more=False))
    t = CallTiming(ms=1.0, host_ms=1.3, enqueue_ms=0.05, gate_ms=0.2, covered=True)
    more = report_timed_call(
        worker_res.send, worker_ctl.recv, 7, [torch.arange(5.0), torch.ones(2)], t, "gate"
    )
    timed = FROM_REFERENCE.decode(parent_res.recv()[0])
    values_msg, payload = parent_res.recv()
    assert isinstance(timed, Timed) and (timed.index, timed.numels, timed.ms) == (7, (5, 2), 1.0)
    assert (timed.enqueue_ms, timed.gate_ms, timed.covered, timed.method) == (0.05, 0.2, True, "gate")
    got = load_tensors(payload)
    assert values_msg["index"] == 7 and got[0].tolist() == [0.0, 3.0] and got[1].tolist() == [1.0, 1.0]
    assert more is False


def test_the_gate_follows_the_forwards_enqueue_time() -> None:
    clock = Clock(cuda=False)
    clock._adapt_gate(0.1, True)
    assert clock.gate_ms == pytest.approx(2 * 0.1 + 0.03)
    clock._adapt_gate(0.001, True)  # the largest of the recent window still rules
    assert clock.gate_ms == pytest.approx(0.23)
    for _ in range(10):
        clock._adapt_gate(0.001, True)
    assert clock.gate_ms == GATE_MIN_MS
    clock._adapt_gate(0.001, False)  # not covered: doubled
    assert clock.gate_ms == 2 * GATE_MIN_MS
    clock._adapt_gate(100.0, True)
    assert clock.gate_ms == GATE_MAX_MS


def test_cpu_timed_call_reports_host_time() -> None:
    clock = Clock(cuda=False)
    out, snap, t = clock.timed_call(lambda: torch.ones(3), lambda o: o.sum())
    assert out.tolist() == [1.0] * 3 and snap.item() == 3.0 and clock.method_now == "host"
    assert t.ms >= 0 and t.ms == t.host_ms


def test_positions_default_to_another_call() -> None:
    assert Positions.from_wire({"kind": "positions", "index": 1, "positions": [None]}).more is True


# -- on a GPU -----------------------------------------------------------------------------------------
@pytest.mark.cuda
def test_the_gate_holds_back_work_queued_on_another_stream() -> None:
    clock = Clock.capture(True)
    assert clock.method == "gate" and clock.gate_full
    side = torch.cuda.Stream()
    x = torch.randn(1 << 26, device="cuda")
    start, side_end = clock._event_cls(enable_timing=True), clock._event_cls(enable_timing=True)
    clock.sync()
    clock.gate(2.0)
    clock._record(start, clock._stream)
    with torch.cuda.stream(side):
        torch.relu(x)
        clock._record(side_end, side)
    clock.sync()
    assert clock._elapsed(start, side_end) > 0.0  # the side stream's relu ended after the start event


@pytest.mark.cuda
def test_judge_kernel_time_agrees_with_do_bench(tmp_path: Path) -> None:
    import triton.testing

    from kernelwright.judge import JudgeConfig, judge
    from kernelwright.problem import bundled_dir
    from kernelwright.worker import common

    problem, kernel = bundled_dir() / "level1" / "relu.py", ROOT / "examples" / "relu_correct.py"
    v = judge(problem, kernel, JudgeConfig(seeds=1, fuzz=2, compile_baseline=False, allow_weak_sandbox=True))
    assert v.verdict == "accepted" and v.timing is not None
    prob = common.load_module(problem, "p_relu")
    model = common.build_model(prob, common.load_module(kernel, "k_relu").ModelNew, torch.device("cuda"))
    x = common.make_inputs(prob, common.Case("seed", 0), torch.device("cuda"))
    ms = triton.testing.do_bench(lambda: model(*x), return_mode="median")
    assert 0.9 < v.timing.candidate_ms / ms < 1.1
    assert v.timing.host_overhead_ms > 0 and v.timing.total_ms > v.timing.candidate_ms


def test_timed_values_are_compared_in_one_batch_and_the_wrong_call_is_named() -> None:
    exp = {j: [torch.full((4,), float(j))] for j in range(6)}
    right = [(j, [torch.full((4,), float(j))]) for j in range(6)]
    assert tm.first_wrong_call(right, exp, None) is None
    wrong = [*right[:3], (3, [torch.tensor([3.0, 3.0, -7.0, 3.0])]), *right[4:]]
    msg = tm.first_wrong_call(wrong, exp, None)
    assert msg is not None and msg.startswith("timed call 3: 1 of 4 elements differ")
    # values that cannot be joined (another dtype, a non-tensor) are compared call by call
    odd = [*right[:5], (5, [torch.full((4,), 5.0, dtype=torch.float64)])]
    assert "timed call 5: dtype torch.float64" in (tm.first_wrong_call(odd, exp, None) or "")
    junk = [*right[:2], (2, ["not a tensor"]), *right[3:]]
    assert "timed call 2: got str" in (tm.first_wrong_call(junk, exp, None) or "")


def test_values_wait_for_their_expected_values_and_compiled_disagreement_is_a_soft_warning() -> None:
    ev = TimingEvidence(
        meta=meta(), plan=TimingPlan(warmup=0, calls=2, seed_base=0, positions=4, full=8, rng=1)
    )
    run = RunRecord()
    ev.on_values(Values(index=0), dump_tensors([torch.ones(4)]), "candidate")
    ev.check_values(run)  # eager's values for call 0 are not in yet: kept, not counted
    assert "candidate" not in ev.series or ev.series["candidate"].checked == 0
    ev.on_values(Values(index=0), dump_tensors([torch.ones(4)]), "eager")
    ev.on_values(Values(index=0), dump_tensors([torch.zeros(4)]), "compiled")
    ev.check_values(run)
    assert ev.series["candidate"].checked == 1 and ev.series["compiled"].checked == 1
    assert [(r.code, r.severity) for r in run.reasons] == [("KW-W002", "soft")]
    ev.check_values(run)  # checked values are not compared twice
    assert ev.series["candidate"].checked == 1 and len(run.reasons) == 1
