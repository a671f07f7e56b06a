"""The judge: static guard, trusted reference worker, sandboxed candidate worker, trusted comparison.

This module runs in the parent. It never imports candidate code and never executes the problem file:
the reference worker does that, and comparison happens here, in a process that never ran candidate
code (DESIGN "Pipeline").
"""

from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from kernelwright import bytecode, environment
from kernelwright.errors import BadInput, ProblemError, WorkerProtocolError
from kernelwright.judge.config import JudgeConfig
from kernelwright.judge.gpu_lock import GpuLock, NoLock
from kernelwright.judge.phases import PhaseClock
from kernelwright.judge.pool import CandidateSlot, ReferenceSlot, WorkerPool, active_pool
from kernelwright.judge.record import Expected, RunRecord
from kernelwright.problem import ProblemSpec, load_problem
from kernelwright.sandbox.channel import load_tensors
from kernelwright.sandbox.jail import REQUIRED_LAYERS, probe
from kernelwright.sandbox.launch import Worker, WorkerDied
from kernelwright.settings import cache_dir, cpu_input_budget, trace_enabled
from kernelwright.verdict import Category, Verdict, decide, sha256_text
from kernelwright.worker.protocol import (
    FROM_REFERENCE,
    CandidateJob,
    Case,
    Ceilings,
    CeilingsCmd,
    DeviceName,
    DeviceNameCmd,
    ExpectedCmd,
    ExpectedOutputs,
    Go,
    Message,
    Meta,
    MetaCmd,
    ProblemRaised,
    TimingPlan,
    WarmCmd,
    Warmed,
    post,
)

if TYPE_CHECKING:  # torch: imported by _judge_in once the workers are starting (their imports overlap)
    from kernelwright.judge.timing import TimingEvidence

M = TypeVar("M", bound=Message)


def _trace(what: str, started: float, at: float | None = None) -> None:
    """KERNELWRIGHT_TRACE=1 prints where a judgement spends its time (stderr): `what` happened `at`
    (CLOCK_MONOTONIC, default now), in seconds since `started`."""
    if trace_enabled():
        now = time.monotonic() if at is None else at
        sys.stderr.write(f"[kernelwright {now - started:7.2f} s] {what}\n")


def read_candidate(path: str | Path) -> tuple[Path, str]:
    p = Path(path)
    if not p.is_file():
        raise BadInput(f"candidate file not found: {p}")
    try:
        return p, p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read candidate {p}: {exc}") from exc


def candidate_language(source: str) -> str:
    if "load_inline" in source or "cpp_extension" in source:
        return "cuda"
    if "triton" in source:
        return "triton"
    return "pytorch"


def judge(
    problem: str | Path | ProblemSpec,
    candidate: str | Path,
    config: JudgeConfig | None = None,
    problem_id: str | None = None,
    repeat: int = 1,
) -> Verdict:
    """Judge one candidate. `repeat` > 1 judges it that many times, each in fresh worker processes,
    and reports the timing's spread over the runs (judge/repeat.py); it changes nothing where
    nothing is timed (the CPU)."""
    from kernelwright.judge.repeat import MAX_REPEAT, repeated

    if not 1 <= repeat <= MAX_REPEAT:
        raise BadInput(f"repeat must be between 1 and {MAX_REPEAT}, got {repeat}")
    spec = problem if isinstance(problem, ProblemSpec) else load_problem(problem, problem_id)
    first = _judge_once(spec, candidate, config or JudgeConfig())
    if repeat == 1 or first.timing is None:
        return first
    return repeated(first, lambda: _judge_once(spec, candidate, config or JudgeConfig()), repeat)


def _judge_once(spec: ProblemSpec, candidate: str | Path, config: JudgeConfig) -> Verdict:
    started = time.monotonic()
    cand_path, source = read_candidate(candidate)
    cuda = environment.cuda_available() if config.device == "auto" else config.device == "cuda"
    layers: list[str] = []  # filled with the candidate worker's isolation layers (environment.sandbox)
    run = RunRecord(phases=PhaseClock(started))

    def finish(run: RunRecord, timing: Any = None) -> Verdict:
        run.phases.mark("finish")
        status, category = decide(run.reasons)
        return Verdict(
            problem=spec.id,
            candidate=str(cand_path),
            candidate_sha256=sha256_text(source),
            verdict=status,
            category=category,
            reasons=run.reasons,
            correctness=run.correctness,
            timing=timing if status == "accepted" else None,
            environment=environment.current(layers),
            seconds=round(time.monotonic() - started, 3),
            phases=run.phases.rounded(),
        )

    guarded = not config.static_guard or _static_guard(source, run)
    run.phases.mark("guard")
    if not guarded:
        return finish(run)
    if candidate_language(source) == "cuda" and not cuda:
        run.add(
            "KW-J001",
            Category.NEEDS_CUDA,
            "CUDA C++ candidates (load_inline) need an NVIDIA GPU to build and run",
        )
        return finish(run)
    if not _sandbox_ok(config, run, layers):
        return finish(run)
    pool = active_pool()
    if pool is None:  # one-shot: nothing kept, but the candidate worker still starts at once
        with WorkerPool() as own:
            timing = _judge_in(own, spec, source, config, cuda, run, started, layers)
    else:
        timing = _judge_in(pool, spec, source, config, cuda, run, started, layers)
    return finish(run, timing)


def _sandbox_ok(config: JudgeConfig, run: RunRecord, layers: list[str]) -> bool:
    """False (a rejected verdict naming what is missing) when this host cannot jail the candidate fully.

    A candidate is never run in a weaker sandbox than the design's unless the user said so
    (`--allow-weak-sandbox`); then the verdict carries a soft note and `environment.sandbox` lists
    exactly the layers that were in force (DESIGN "Isolation").
    """
    support = probe()
    names = {layer.split(":", 1)[0] for layer in support.layers}
    missing = [layer for layer in REQUIRED_LAYERS if layer not in names]
    if not missing:
        return True
    why = "; ".join(f"{m}: {support.missing.get(m, 'unavailable')}" for m in missing)
    if config.allow_weak_sandbox:
        run.add(
            "KW-W002",
            None,
            f"judged in a weaker sandbox (--allow-weak-sandbox): missing {why}",
            severity="soft",
        )
        return True
    layers.extend(support.layers)
    run.add(
        "KW-J002",
        Category.SANDBOX,
        f"this host cannot isolate the candidate fully (missing {why}); it was not run. Install "
        "bubblewrap and allow user namespaces, or pass --allow-weak-sandbox to accept a weaker sandbox",
    )
    return False


def _static_guard(source: str, run: RunRecord) -> bool:
    """Record the guard's findings; False when a hard finding rejects the file outright."""
    from kernelwright.guard import scan

    clean = True
    for f in scan(source, "candidate.py"):
        run.add(f.code, f.category, f"{f.rule}: {f.message}", f"line {f.line}: {f.snippet}", f.severity)
        clean = clean and f.severity != "hard"
    return clean


class _Deadline:
    """The judgement's deadline; time spent waiting for the GPU (other judgements) is added back."""

    def __init__(self, at: float) -> None:
        self.at = at

    def left(self) -> float:
        return max(1.0, self.at - time.monotonic())


def _judge_in(
    pool: WorkerPool,
    spec: ProblemSpec,
    source: str,
    config: JudgeConfig,
    cuda: bool,
    run: RunRecord,
    started: float,
    layers: list[str],
) -> Any:
    deadline = _Deadline(started + config.timeout)
    left = deadline.left
    gpu: GpuLock = GpuLock() if cuda else NoLock()
    # Started first, so its interpreter, torch and Triton load while the reference works (a pool's
    # spare has done that already).
    cand = pool.candidate(cuda, config.memory_limit_mb)
    ref: ReferenceSlot | None = None
    clean = False
    try:
        ref = pool.reference(spec.source, config, cuda)
        # torch (the comparison needs it) loads here, while both workers load theirs: ~3 s off a
        # one-shot verdict on 2 cores (docs/BENCHMARKS.md "Verdict speed").
        from kernelwright.judge import compare
        from kernelwright.judge.timing import TimingEvidence

        bytecode.warm()  # a cold bytecode cache: compile what the workers import while they start

        _hold(gpu, "share", deadline, run, config)
        post(
            ref.worker.send,
            MetaCmd(budget=0 if cuda else cpu_input_budget(), fuzz=config.fuzz + config.seeds),
        )
        meta, _ = _ref_reply(
            ref.worker, Meta, min(left(), config.compile_timeout + config.call_timeout), spec
        )
        run.phases.mark("reference_start")
        for stage, at in meta.startup.items():  # the reference worker's own stages (same monotonic clock)
            _trace(f"  reference worker: {stage}", started, at)
        _trace("reference ready" + (" (warm)" if ref.warm else ""), started)
        cases = _plan_cases(meta, config, cuda, run)
        if not cases:
            clean = True
            return None
        expected = _expected(ref.worker, cases, spec, min(left(), config.call_timeout * 2))
        reuse_index, tail = _tail_cases(expected)
        big = expected[reuse_index].case
        # the ablation's own case: the largest shape with fresh values (a salt of its own)
        ablation = Case(big.kind, big.seed, (big.salt + 2) % 2**31)
        expected += _expected(ref.worker, [*tail, ablation], spec, min(left(), config.call_timeout * 2))
        ablation_expected = expected.pop()
        cases = cases + tail
        run.phases.mark("reference_outputs")
        _trace("expected outputs", started)
        for i, out in enumerate(expected[0].outputs if expected else []):
            why = compare.degenerate(out, meta.tolerance)
            if why:
                run.add("KW-W001", None, f"degenerate reference (output {i}): {why}", severity="soft")
        native = candidate_language(source) == "cuda"
        timing_plan = _timing_plan(config, native) if cuda and config.timing else None
        evidence = TimingEvidence(meta=meta, plan=timing_plan) if timing_plan else None
        if timing_plan and evidence:
            # The baselines are timed in rounds interleaved with the candidate's timed calls, driven
            # from its first one (judge/timing.py): eager, then compiled, call by call.
            evidence.ref, evidence.ref_timeout = ref.worker, left
            evidence.modes = ("eager", "compiled") if config.compile_baseline else ("eager",)

        warming = False
        if timing_plan and config.compile_baseline:
            # The reference builds the compile baseline now, while the candidate checks correctness:
            # ~6.6 s (relu, H200, cold cache) that timing used to spend holding the GPU alone.
            post(ref.worker.send, WarmCmd(compile_mode=timing_plan.compile_mode,
                                          case=timing_plan.loop.case(timing_plan.loop.total)))  # fmt: skip
            warming = True

        def warmed() -> None:
            nonlocal warming
            if warming and ref is not None:
                warming = False
                with run.phases.part("compile_baseline"):
                    _ref_reply(ref.worker, Warmed, left(), spec)

        def before_timing() -> None:
            """The candidate is done with correctness: take the GPU alone, then let it time."""
            assert evidence is not None and ref is not None
            warmed()  # before the lock: the build needs no exclusive GPU
            _hold(gpu, "exclusive", deadline, run, config)
            evidence.ceilings = _ceilings(ref.worker, left(), spec)
            post(cand.worker.send, Go())

        _run_candidate(cand, spec, source, config, cuda, cases, expected, meta, run, timing_plan,
                       evidence, left, reuse_index, layers, before_timing if evidence else None,
                       ablation_expected)  # fmt: skip
        if evidence is not None:
            evidence.close_reference()  # a candidate that stopped mid-timing leaves it waiting
            evidence.check_values(run)  # every timed call's values against eager's (judge/timing.py)
        if pool.references:
            # A candidate rejected before timing: a pool keeps this reference, so it waits for the
            # build (kept for the problem's next candidate) and the worker stays in step. Without a
            # pool the worker is closed below, build and all: a rejected one-shot verdict does not
            # wait for a compile nobody will use.
            warmed()
        _trace("candidate and interleaved baselines done", started)
        clean = not warming
    finally:
        gpu.release()
        if ref is not None:
            pool.give_back(ref, clean)  # kept warm for this problem's next candidate, or closed
        if cand.used:
            cand.close()  # a candidate worker serves one candidate, whatever happened
        else:
            pool.unused(cand)
    if evidence and evidence.series.get("candidate") and not run.hard():
        from kernelwright.judge.timing import assemble_timing

        return assemble_timing(evidence, run)
    return None


def _hold(gpu: GpuLock, how: str, deadline: _Deadline, run: RunRecord, config: JudgeConfig) -> None:
    """Take the GPU shared or alone; the wait is its own phase and extends the deadline."""
    before = gpu.waited
    getattr(gpu, how)(timeout=config.timeout)
    waited = gpu.waited - before
    deadline.at += waited
    run.phases.take("gpu_wait", waited)


def _expected(ref: Worker, cases: list[Case], spec: ProblemSpec, timeout: float) -> list[Expected]:
    post(ref.send, ExpectedCmd(cases=tuple(cases)))
    out = []
    for case in cases:
        _, payload = _ref_reply(ref, ExpectedOutputs, timeout, spec)
        data = load_tensors(payload)
        out.append(Expected(case, data["outputs"], data["inputs"]))
    return out


def _ref_reply(ref: Worker, want: type[M], timeout: float, spec: ProblemSpec) -> tuple[M, bytearray]:
    """The reference's reply of type `want` and its payload; ProblemError for anything else."""
    kind = want.KIND.value
    try:
        header, data = ref.recv(timeout, f"running the reference ({kind})")
    except WorkerDied as exc:
        last = exc.log_tail.strip().splitlines()[-1:] or [""]
        raise ProblemError(f"problem {spec.path}: the reference failed: {exc.reason}: {last[0]}") from exc
    try:
        msg = FROM_REFERENCE.decode(header)
    except WorkerProtocolError as exc:
        raise ProblemError(f"problem {spec.path}: the reference sent a bad {kind} reply: {exc}") from exc
    if isinstance(msg, ProblemRaised):
        raise ProblemError(f"problem {spec.path}: the reference raised {msg.message.splitlines()[0]}")
    if not isinstance(msg, want):
        raise ProblemError(f"problem {spec.path}: unexpected reference reply {msg.KIND.value}")
    return msg, data


def _plan_cases(meta: Meta, config: JudgeConfig, cuda: bool, run: RunRecord) -> list[Case]:
    """The checked cases; [] when none can run here (then `run` says why: KW-J003, skipped)."""
    salt = secrets.randbelow(2**31)
    notes = run.correctness.notes
    fuzz_seeds = list(meta.fuzz_seeds)
    run.correctness.fuzz_source = meta.fuzz_source
    if meta.fuzz_source == "derived":
        notes.append(
            f"the problem has no get_fuzz_inputs: fuzz cases derived from its size globals "
            f"({', '.join(meta.size_globals)}) set to tiny, ragged, non-power-of-two values "
            f"({len(fuzz_seeds)} accepted by the reference)"
        )
    elif meta.fuzz_source == "none":
        run.add(
            "KW-W005",
            None,
            "checked at the benchmark shape only: the problem has no get_fuzz_inputs and no size "
            "globals to derive other shapes from, so a kernel right only at this shape would pass",
            severity="soft",
        )
    seeds, fuzz = config.seeds, min(config.fuzz, len(fuzz_seeds))
    budget = cpu_input_budget()
    if not cuda and (meta.numel > budget or not meta.bench_run):
        if not fuzz_seeds:
            run.add(
                "KW-J003",
                Category.NEEDS_CUDA,
                f"benchmark-size inputs ({meta.numel:,} elements) are beyond the CPU interpreter's budget "
                f"({budget:,}) and the problem has no other shapes (no get_fuzz_inputs, no size globals "
                "to derive them from): judge it on a GPU",
            )
            return []
        fuzz, seeds = min(len(fuzz_seeds), config.fuzz + config.seeds), 0
        notes.append(
            f"benchmark-size inputs ({meta.numel:,} elements) exceed the CPU interpreter budget "
            f"({budget:,}): judged on {fuzz} fuzz cases instead"
        )
    cases = [Case("seed", i, salt) for i in range(seeds)] + [Case("fuzz", s, salt) for s in fuzz_seeds[:fuzz]]
    if not cases:  # --seeds 0 on a problem with no other shapes: the benchmark shape, once
        notes.append("no fuzz case could be made: checked at the benchmark shape once")
        cases = [Case("seed", 0, salt)]
    return cases


def _numel(t: Any) -> int:
    """Elements of an input as the reference sent it: a CPU tensor, or a large one's digest."""
    return int(t["numel"]) if isinstance(t, dict) else int(t.numel())


def _tail_cases(expected: list[Expected]) -> tuple[int, list[Case]]:
    """A repeat of the largest case, then its shape with fresh values written into its buffers.

    The repeat must give the same answer (THREATS #15); the fresh one defeats caches keyed by
    data_ptr, id or shape (THREATS #4), even on the CPU where nothing is timed. The largest case,
    because on a one-element input a stale answer can match by chance.
    """
    index = max(
        range(len(expected)), key=lambda i: sum(_numel(t) for t in expected[i].inputs if t is not None)
    )
    big = expected[index].case  # also the ablation case: a skipped ReLU can look right on one element
    return index, [big, Case(big.kind, big.seed, (big.salt + 1) % 2**31)]


def _timing_plan(config: JudgeConfig, native: bool) -> TimingPlan:
    from kernelwright.judge.timing import MAX_CALLS, RETRY_ROUNDS, ROUND_CALLS

    return TimingPlan(
        warmup=config.warmup_calls,
        calls=config.timed_calls,
        seed_base=secrets.randbelow(2**30),
        positions=config.sample_positions,
        full=config.full_check_numel,
        rng=secrets.randbelow(2**31),
        compile_mode=config.compile_mode,
        native=native,
        # the parent stops earlier (judge/timing.py); a repeat of the wall-clock check needs headroom
        max_calls=max(config.timed_calls, MAX_CALLS) + RETRY_ROUNDS * ROUND_CALLS,
    )


def _ceilings(ref: Worker, left: float, spec: ProblemSpec) -> Ceilings:
    """Measured copy bandwidth and bf16 matmul rate of this card, cached per device name."""
    import json

    post(ref.send, DeviceNameCmd())
    name = _ref_reply(ref, DeviceName, left, spec)[0].name
    path = cache_dir() / "ceilings.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    if name not in known:
        post(ref.send, CeilingsCmd())
        measured = _ref_reply(ref, Ceilings, left, spec)[0]
        known[name] = {
            "copy_bytes_per_s": measured.copy_bytes_per_s,
            "bf16_flops_per_s": measured.bf16_flops_per_s,
        }
        path.write_text(json.dumps(known, indent=1))
    row = known[name]
    return Ceilings(
        copy_bytes_per_s=float(row["copy_bytes_per_s"]), bf16_flops_per_s=float(row["bf16_flops_per_s"])
    )


def _run_candidate(
    slot: CandidateSlot,
    spec: ProblemSpec,
    source: str,
    config: JudgeConfig,
    cuda: bool,
    cases: list[Case],
    expected: list[Expected],
    meta: Meta,
    run: RunRecord,
    timing_plan: TimingPlan | None,
    evidence: TimingEvidence | None,
    left: Any,
    reuse_index: int,
    layers: list[str],
    before_timing: Any,
    ablation: Expected,
) -> None:
    from kernelwright.judge.session import CandidateSession

    cand = slot.worker
    layers.extend(cand.layers)
    problem_path, candidate_path, private = slot.load(spec.source, source)
    if evidence is not None:
        evidence.candidate_pid = cand.proc.pid  # its run-queue delay says whether the host was busy
    session = CandidateSession(cand, run, cases, expected, meta.tolerance, config)
    session.ref_ops = list(meta.ref_ops)
    session.before_timing = before_timing
    session.ablation_expected = ablation
    try:
        post(
            cand.send,
            CandidateJob(
                problem_path=problem_path,
                candidate_path=candidate_path,
                private_dir=private,
                device="cuda" if cuda else "cpu",
                cases=tuple(cases),
                ablation_case=ablation.case,
                ablate_at=secrets.randbelow(len(cases) + 1),  # secret: the worker learns it with the job
                strict=config.strict,
                timing=timing_plan.loop if timing_plan else None,  # the secret positions seed stays here
                reuse_index=reuse_index,
            ),
        )
        session.drive(left, timing_plan, evidence)
    except WorkerDied as exc:
        run.add("KW-X001", Category.CRASH_OR_TIMEOUT, exc.reason, exc.log_tail)
