"""Warm workers (judge/pool.py), the per-GPU lock (judge/gpu_lock.py) and the phase breakdown.

What must hold: a warm reference serves only its own problem and only after a clean judgement; a
candidate worker serves exactly one candidate, so nothing one candidate leaves behind reaches the
next; timing never shares the GPU while correctness work may; the phases add up to the verdict's
seconds.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from judge_helpers import RELU, write

from kernelwright.errors import ProblemError
from kernelwright.judge import JudgeConfig, judge
from kernelwright.judge.gpu_lock import GpuLock, LockTimeout
from kernelwright.judge.phases import PHASES
from kernelwright.judge.pool import WorkerPool, use_pool
from kernelwright.sandbox.jail import pids_of_uid

QUICK = JudgeConfig(seeds=0, fuzz=2, timing=False, timeout=240, call_timeout=60, compile_timeout=120)

CORRECT = """
class ModelNew(nn.Module):
    def forward(self, x):
        return launch(x)
"""

# Leaves something behind everywhere a later candidate could look: its private tmpfs, /dev/shm, and
# a detached process that keeps a file fresh. With a reused worker, the next candidate would find it.
LEAVER = """
import os, subprocess, sys

for d in (os.path.expanduser("~"), ".", "/dev/shm"):
    try:
        with open(os.path.join(d, "kw_left_behind"), "w") as fh:
            fh.write("answers")
    except OSError:
        pass
try:
    subprocess.Popen([sys.executable, "-c",
                      "import time\\nwhile True:\\n open('/dev/shm/kw_left_behind','w').write('x'); time.sleep(0.2)"],
                     start_new_session=True)
except Exception:
    pass


class ModelNew(nn.Module):
    def forward(self, x):
        return launch(x)
"""

# Correct only when nothing of an earlier candidate is visible (a leak makes it return zeros). The
# jail's own tests show /dev/shm and daemons die with a worker (test_jail.py).
FINDER = """
import os


def _leaked():  # its own HOME and working directory: where a reused worker would show it
    return any(os.path.exists(os.path.join(d, "kw_left_behind")) for d in (os.path.expanduser("~"), "."))


class ModelNew(nn.Module):
    def forward(self, x):
        y = launch(x)
        return y * 0 if _leaked() else y
"""


def _uid(verdict) -> int:  # noqa: ANN001
    layer = next(s for s in verdict.environment.sandbox if s.startswith("uid-drop:"))
    return int(layer.split(":", 1)[1])


def _phases_add_up(verdict) -> None:  # noqa: ANN001
    assert set(verdict.phases) <= set(PHASES), verdict.phases
    assert abs(sum(verdict.phases.values()) - verdict.seconds) < 0.05, (verdict.phases, verdict.seconds)


def test_warm_reference_serves_its_problem_and_candidate_workers_serve_one_candidate(tmp_path: Path) -> None:
    correct = write(tmp_path, "correct", CORRECT)
    leaver = write(tmp_path, "leaver", LEAVER)
    finder = write(tmp_path, "finder", FINDER)
    with use_pool(spares=1, references=2) as pool:
        # its verdict does not matter (the audit hook names the Popen): what it leaves behind does
        probe = QUICK.model_copy(update={"static_guard": False})  # the guard would stop both at the door
        first = judge(RELU, leaver, probe)
        assert first.correctness is not None and first.correctness.trials + first.correctness.fuzz_cases > 0
        assert pool.stats["references_started"] == 1 and pool.stats["candidates_started"] == 2  # one spare
        second = judge(RELU, finder, probe)
        assert second.accepted, [r.message for r in second.reasons]  # nothing of `leaver` is visible
        assert pool.stats["references_reused"] == 1 and pool.stats["spares_used"] == 1
        assert _uid(first) != _uid(second)
        assert pids_of_uid(_uid(first)) == []  # its detached process died with its worker
        # the warm reference did not run the problem's start again: its phase is a forward, not a start
        assert second.phases["reference_start"] < first.phases["reference_start"]
        for v in (first, second):
            _phases_add_up(v)
        # another problem source never gets this problem's reference
        other = tmp_path / "relu_copy.py"
        other.write_text(RELU.read_text() + "\n# a different source\n")
        third = judge(other, correct, QUICK)
        assert third.accepted
        assert pool.stats["references_started"] == 2 and pool.stats["references_reused"] == 1
        idle = pool.idle()
        assert idle["references"] == 2 and idle["candidates"] == 1
        alive = [s.worker.proc.pid for s in pool._idle_refs] + [
            s.worker.proc.pid for v in pool._candidates.values() for s in v
        ]
    # closing the pool ends every warm worker
    for pid in alive:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


def test_reference_of_a_failed_judgement_is_not_kept(tmp_path: Path) -> None:
    problem = tmp_path / "breaks.py"
    problem.write_text(
        RELU.read_text()
        + "\n\ndef get_fuzz_inputs(seed):\n    if seed == 1:\n        raise RuntimeError('bad case')\n"
        "    return [torch.randn(64)]\n"
    )
    correct = write(tmp_path, "correct", CORRECT)
    with use_pool(spares=0, references=2) as pool:
        with pytest.raises(ProblemError, match="bad case"):
            judge(problem, correct, QUICK)
        assert pool.idle() == {"references": 0, "candidates": 0}
        assert pool.stats["candidates_started"] == 1  # started at once, never given a job, closed


def test_one_shot_judge_keeps_nothing(tmp_path: Path) -> None:
    v = judge(RELU, write(tmp_path, "correct", CORRECT), QUICK)
    assert v.accepted
    _phases_add_up(v)
    assert {"guard", "reference_start", "reference_outputs", "candidate_start", "correctness"} <= set(
        v.phases
    )
    assert pids_of_uid(_uid(v)) == []


def test_a_pool_starts_nothing_unasked_and_a_closed_one_keeps_nothing() -> None:
    pool = WorkerPool(spares=3, references=3)
    assert pool.idle() == {"references": 0, "candidates": 0}  # lazy: no judge() asked yet
    pool.close()
    slot = pool.candidate(False, None)  # a closed pool still serves, and keeps nothing
    try:
        assert slot.alive() and pool.idle()["candidates"] == 0
    finally:
        slot.close()
    assert not slot.home.exists()


# -- the GPU lock (no GPU needed: it is files and flock) ---------------------------------------------
def _lock() -> GpuLock:
    return GpuLock(key=f"test-{uuid.uuid4().hex[:8]}")


def test_correctness_work_shares_the_gpu_and_timing_has_it_alone() -> None:
    a = _lock()
    b = GpuLock(key=a.gpu_file.stem)
    a.share(1)
    b.share(1)  # two judgements' correctness at once
    t = GpuLock(key=a.gpu_file.stem)
    with pytest.raises(LockTimeout):
        t.exclusive(0.3)  # timing waits for both
    a.release()
    b.release()
    t.exclusive(1)
    c = GpuLock(key=a.gpu_file.stem)
    with pytest.raises(LockTimeout):
        c.share(0.3)  # nothing runs on the GPU while it is timed
    with pytest.raises(LockTimeout):
        c.exclusive(0.3)
    t.release()
    c.share(1)
    c.release()
    assert t.waited >= 0.3


def test_a_waiting_timer_is_not_starved_by_new_correctness_work() -> None:
    reader = _lock()
    key = reader.gpu_file.stem
    reader.share(1)
    timer = GpuLock(key=key)
    got: list[float] = []
    th = threading.Thread(target=lambda: (timer.exclusive(10), got.append(time.monotonic())))
    th.start()
    time.sleep(0.3)  # the timer now waits at the turnstile's far side
    late = GpuLock(key=key)
    with pytest.raises(LockTimeout):
        late.share(0.4)  # a new reader queues behind the waiting timer
    reader.release()
    th.join(5)
    assert got, "the timer never got the GPU"
    timer.release()
    late.share(1)
    late.release()


def test_the_lock_holds_across_processes() -> None:
    lock = _lock()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from kernelwright.judge.gpu_lock import GpuLock\n"
            f"GpuLock(key={lock.gpu_file.stem!r}).exclusive(5)\n"
            "print('held', flush=True)\n"
            "time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockTimeout):
            lock.share(0.5)
    finally:
        holder.kill()
        holder.wait()
    lock.share(2)  # the holder's death released it
    lock.release()


@pytest.mark.cuda
def test_concurrent_judgements_on_one_gpu_are_timed_one_at_a_time(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    candidate = write(tmp_path, "correct", CORRECT)
    cfg = JudgeConfig(seeds=1, fuzz=2, timed_calls=30, timeout=600)
    with use_pool(spares=3, references=3), ThreadPoolExecutor(3) as ex:
        verdicts = list(ex.map(lambda _: judge(RELU, candidate, cfg), range(3)))
    for v in verdicts:
        assert v.accepted and v.timing is not None, [r.message for r in v.reasons]
        _phases_add_up(v)
    # three timing phases on one GPU: at least two of them waited for another's to end
    assert sum(1 for v in verdicts if v.phases.get("gpu_wait", 0) > 0.05) >= 2, [v.phases for v in verdicts]


def test_one_reference_worker_at_a_time_owns_a_problems_compile_cache() -> None:
    """Two at once would write into each other's files under two uids (seen on an H200: Inductor's
    PermissionError in the cache); the second compiles without the cache instead."""
    from kernelwright.judge.pool import ReferenceSlot, reference_key
    from kernelwright.judge.workers import REF_CACHE_INSIDE

    source = RELU.read_text()
    key = reference_key(source, QUICK, False)
    first = ReferenceSlot.start(key, source, QUICK)
    second = ReferenceSlot.start(key, source, QUICK)
    try:
        assert first.cache_lock is not None and second.cache_lock is None
        assert REF_CACHE_INSIDE in first.worker.jail.spec.rw_binds.values()  # type: ignore[union-attr]
        assert REF_CACHE_INSIDE not in second.worker.jail.spec.rw_binds.values()  # type: ignore[union-attr]
    finally:
        first.close(quit=False)
        second.close(quit=False)
    third = ReferenceSlot.start(key, source, QUICK)  # the first one's close released the cache
    try:
        assert third.cache_lock is not None
    finally:
        third.close(quit=False)


def test_the_reference_builds_the_compile_baseline_on_request_and_stays_in_step() -> None:
    """WarmCmd (judge/pipeline.py sends it before the candidate's correctness on a GPU): the reference
    builds torch.compile and runs it once, answers Warmed, then serves the next command as before."""
    from kernelwright.judge.pipeline import _ref_reply
    from kernelwright.problem import load_problem
    from kernelwright.worker.protocol import (
        Case,
        ExpectedCmd,
        ExpectedOutputs,
        Meta,
        MetaCmd,
        WarmCmd,
        Warmed,
        post,
    )

    spec = load_problem(RELU)
    pool = WorkerPool(references=1)
    slot = pool.reference(spec.source, JudgeConfig(), cuda=False)
    try:
        post(slot.worker.send, MetaCmd(budget=1 << 16, fuzz=1))
        _ref_reply(slot.worker, Meta, 120, spec)
        case = Case("fuzz", 0, 7)
        post(slot.worker.send, WarmCmd(compile_mode=None, case=case))
        warm, _ = _ref_reply(slot.worker, Warmed, 300, spec)
        assert warm.seconds > 0
        post(slot.worker.send, ExpectedCmd(cases=(case,)))
        got, payload = _ref_reply(slot.worker, ExpectedOutputs, 120, spec)
        assert got.case == case.label() and payload
    finally:
        pool.give_back(slot, False)
        pool.close()
