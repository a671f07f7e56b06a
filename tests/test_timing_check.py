"""Parent-side timing checks (timing_check.py), fed with series as the GPU workers report them."""

from __future__ import annotations

import os

import torch

from kernelwright.judge.session import RunRecord
from kernelwright.judge.timing import Series, TimingEvidence, assemble_timing
from kernelwright.sandbox.channel import Channel, load_tensors
from kernelwright.worker.clock import report_timed_call


def _evidence(cand_ms: float, cand_interval: float, bytes_: float = 0.0) -> TimingEvidence:
    ev = TimingEvidence(
        meta={"bytes": bytes_, "flops": 0.0},
        plan={"warmup": 0},
        ceilings={"copy_bytes_per_s": 3e12, "bf16_flops_per_s": 8e14},
    )
    ev.series = {
        "eager": Series(ms=[2.0] * 10, host_ms=[2.05] * 10, intervals=[7.0] * 9),  # 5 ms around each call
        "compiled": Series(ms=[1.5] * 10),
        "eager_after": Series(ms=[2.1] * 10),
        "candidate": Series(ms=[cand_ms] * 10, host_ms=[cand_ms + 0.05] * 10, intervals=[cand_interval] * 9),
    }
    return ev


def test_honest_series_give_speedups_drift_and_roofline() -> None:
    run = RunRecord()
    t = assemble_timing(_evidence(1.0, 6.0, bytes_=1.5e9), run)
    assert t is not None and not run.hard()
    assert (t.candidate_ms, t.eager_ms, t.compiled_ms) == (1.0, 2.0, 1.5)
    assert (t.speedup_vs_eager, t.speedup_vs_compiled, t.samples) == (2.0, 1.5, 10)
    assert abs(t.drift - 0.05) < 1e-9
    assert abs(t.floor_ms - 0.5) < 1e-9 and abs(t.roofline_fraction - 0.5) < 1e-9


def test_time_below_the_roofline_floor_is_timing_evasion() -> None:
    run = RunRecord()
    assemble_timing(_evidence(0.1, 5.1, bytes_=1.5e9), run)  # the floor is 0.5 ms on this card
    assert [r.code for r in run.reasons] == ["KW-E002"]


def test_work_the_claimed_time_does_not_explain_is_timing_evasion() -> None:
    run = RunRecord()
    assemble_timing(_evidence(0.2, 25.0), run)  # the parent saw ~20 ms unexplained per call
    assert "KW-E001" in [r.code for r in run.reasons]


def test_timed_call_exchange_sends_only_the_positions_asked_after_the_call() -> None:
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    key = b"k" * 32
    worker_res, parent_res = Channel(None, w1, key), Channel(r1, None, key)
    parent_ctl, worker_ctl = Channel(None, w2, key), Channel(r2, None, key)
    parent_ctl.send("positions", positions=[[0, 3], None])
    report_timed_call(worker_res.send, worker_ctl.recv, 7, [torch.arange(5.0), torch.ones(2)], 1.0, 1.1)
    timed, _ = parent_res.recv()
    values_msg, payload = parent_res.recv()
    assert (timed["kind"], timed["index"], timed["numels"]) == ("timed", 7, [5, 2])
    got = load_tensors(payload)
    assert values_msg["index"] == 7 and got[0].tolist() == [0.0, 3.0] and got[1].tolist() == [1.0, 1.0]


def test_custom_kernel_share_reported_by_the_worker_reaches_the_verdict() -> None:
    ev = _evidence(1.0, 6.0)
    ev.custom_kernel_share = 0.93
    t = assemble_timing(ev, RunRecord())
    assert t is not None and t.custom_kernel_share == 0.93
