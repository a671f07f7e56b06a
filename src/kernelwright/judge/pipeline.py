"""The judge: static guard, trusted reference worker, sandboxed candidate worker, trusted comparison.

This module runs in the parent. It never imports candidate code and never executes the problem file:
the reference worker does that, and comparison happens here, in a process that never ran candidate
code (DESIGN "Pipeline").
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kernelwright import environment
from kernelwright.errors import BadInput, ProblemError, WorkerProtocolError
from kernelwright.judge import compare
from kernelwright.judge.config import JudgeConfig
from kernelwright.judge.record import Expected, RunRecord
from kernelwright.judge.session import CandidateSession
from kernelwright.judge.timing import TimingEvidence, assemble_timing
from kernelwright.problem import ProblemSpec, load_problem
from kernelwright.sandbox.channel import load_tensors
from kernelwright.sandbox.launch import Worker, WorkerDied, network_isolation, scrubbed_env
from kernelwright.settings import cache_dir, cpu_input_budget
from kernelwright.verdict import Category, Verdict, decide, sha256_text
from kernelwright.worker.common import Case


def _trace(what: str, started: float) -> None:
    """KERNELWRIGHT_TRACE=1 prints where a judgement spends its time (stderr)."""
    if os.environ.get("KERNELWRIGHT_TRACE"):
        sys.stderr.write(f"[kernelwright {time.monotonic() - started:7.2f} s] {what}\n")


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
) -> Verdict:
    config = config or JudgeConfig()
    started = time.monotonic()
    spec = problem if isinstance(problem, ProblemSpec) else load_problem(problem, problem_id)
    cand_path, source = read_candidate(candidate)
    cuda = environment.cuda_available() if config.device == "auto" else config.device == "cuda"
    layers = ["fresh-process", "audit-hook", "scrubbed-env", "private-dir", "memory-watchdog"]
    if network_isolation():
        layers.append("network-namespace")
    run = RunRecord()

    def finish(run: RunRecord, timing: Any = None) -> Verdict:
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
        )

    if config.static_guard and not _static_guard(source, run):
        return finish(run)
    if candidate_language(source) == "cuda" and not cuda:
        run.add(
            "KW-J001",
            Category.NEEDS_CUDA,
            "CUDA C++ candidates (load_inline) need an NVIDIA GPU to build and run",
        )
        return finish(run)
    with tempfile.TemporaryDirectory(prefix="kw-judge-") as tmp:
        timing = _judge_in(Path(tmp), spec, source, config, cuda, run, started)
    return finish(run, timing)


def _static_guard(source: str, run: RunRecord) -> bool:
    """Record the guard's findings; False when a hard finding rejects the file outright."""
    from kernelwright.guard import scan

    clean = True
    for f in scan(source, "candidate.py"):
        run.add(f.code, f.category, f"{f.rule}: {f.message}", f"line {f.line}: {f.snippet}", f.severity)
        clean = clean and f.severity != "hard"
    return clean


def _reference_caches(config: JudgeConfig, source: str) -> dict[str, str]:
    """Persistent compile caches for the trusted reference worker (see JudgeConfig.reference_cache)."""
    if not config.reference_cache or candidate_language(source) == "cuda":
        return {}
    root = cache_dir() / "reference"
    caches = {"TORCHINDUCTOR_CACHE_DIR": root / "inductor", "TRITON_CACHE_DIR": root / "triton"}
    for path in caches.values():
        path.mkdir(parents=True, exist_ok=True)
    return {k: str(v) for k, v in caches.items()}


def _judge_in(
    tmp: Path, spec: ProblemSpec, source: str, config: JudgeConfig, cuda: bool, run: RunRecord, started: float
) -> Any:
    private = tmp / "sandbox"
    private.mkdir()
    problem_copy = tmp / "problem.py"
    shutil.copyfile(spec.path, problem_copy)
    (private / "candidate.py").write_text(source, encoding="utf-8")
    device = "cuda" if cuda else "cpu"
    deadline = started + config.timeout

    def left() -> float:
        return max(1.0, deadline - time.monotonic())

    ref = Worker(
        "kernelwright.worker.reference",
        env=scrubbed_env(tmp / "ref", cuda, _reference_caches(config, source)),
        cwd=tmp,
        log_path=tmp / "reference.log",
        isolate_network=False,
    )
    try:
        ref.send("job", problem_path=str(problem_copy), device=device)
        ref.send("cmd", op="meta")
        meta = _ref_reply(ref, "meta", min(left(), config.compile_timeout + config.call_timeout), spec)
        _trace("reference ready", started)
        cases, notes = _plan_cases(meta, config, cuda)
        run.correctness.notes.extend(notes)
        expected = _expected(ref, cases, spec, min(left(), config.call_timeout * 2))
        _trace("expected outputs", started)
        reuse_index, tail = _tail_cases(expected)
        expected += _expected(ref, tail, spec, min(left(), config.call_timeout * 2))
        cases = cases + tail
        for i, out in enumerate(expected[0].outputs if expected else []):
            why = compare.degenerate(out, meta.get("tolerance"))
            if why:
                run.add("KW-W001", None, f"degenerate reference (output {i}): {why}", severity="soft")
        timing_plan = _timing_plan(config, meta) if cuda and config.timing else None
        evidence = TimingEvidence(meta=meta, plan=timing_plan) if timing_plan else None
        if timing_plan and evidence:
            evidence.ceilings = _ceilings(ref, left(), spec)
            _trace("ceilings", started)
            _timed_reference(ref, "eager", evidence, left(), spec)
            _trace("eager timed", started)
            if config.compile_baseline:
                _timed_reference(ref, "compiled", evidence, left(), spec)
        _trace("baselines done", started)
        _run_candidate(
            tmp,
            private,
            problem_copy,
            config,
            cuda,
            cases,
            expected,
            meta,
            run,
            timing_plan,
            evidence,
            left,
            reuse_index,
        )
        _trace("candidate done", started)
        if evidence and evidence.series.get("candidate") and not run.hard():
            _timed_reference(ref, "eager_after", evidence, left(), spec)
        _trace("A-B-A eager done", started)
        ref.send("cmd", op="quit")
    finally:
        ref.close(grace=2.0)
    if evidence and evidence.series.get("candidate") and not run.hard():
        return assemble_timing(evidence, run)
    return None


def _expected(ref: Worker, cases: list[Case], spec: ProblemSpec, timeout: float) -> list[Expected]:
    ref.send("cmd", op="expected", cases=[c.to_json() for c in cases])
    out = []
    for case in cases:
        _, payload = _ref_reply(ref, "expected", timeout, spec, payload=True)
        data = load_tensors(payload)
        out.append(Expected(case, data["outputs"], data["inputs"]))
    return out


def _ref_reply(ref: Worker, kind: str, timeout: float, spec: ProblemSpec, payload: bool = False) -> Any:
    try:
        msg, data = ref.recv(timeout, f"running the reference ({kind})")
    except WorkerDied as exc:
        last = exc.log_tail.strip().splitlines()[-1:] or [""]
        raise ProblemError(f"problem {spec.path}: the reference failed: {exc.reason}: {last[0]}") from exc
    if msg["kind"] == "problem_error":
        raise ProblemError(f"problem {spec.path}: the reference raised {msg['message'].splitlines()[0]}")
    if msg["kind"] != kind:
        raise ProblemError(f"problem {spec.path}: unexpected reference reply {msg['kind']}")
    return (msg, data) if payload else msg


def _plan_cases(meta: dict, config: JudgeConfig, cuda: bool) -> tuple[list[Case], list[str]]:
    salt = secrets.randbelow(2**31)
    notes: list[str] = []
    seeds = config.seeds
    fuzz = config.fuzz if meta.get("has_fuzz") else 0
    if not meta.get("has_fuzz"):
        notes.append("the problem has no get_fuzz_inputs: checked at the benchmark shape only")
    if not cuda and meta["numel"] > cpu_input_budget() and fuzz:
        notes.append(
            f"benchmark-size inputs ({meta['numel']:,} elements) exceed the CPU interpreter budget "
            f"({cpu_input_budget():,}): judged on {fuzz + seeds} fuzz cases instead"
        )
        fuzz, seeds = fuzz + seeds, 0
    cases = [Case("seed", i, salt) for i in range(seeds)] + [Case("fuzz", i, salt) for i in range(fuzz)]
    return cases, notes


def _tail_cases(expected: list[Expected]) -> tuple[int, list[Case]]:
    """A repeat of the largest case, then its shape with fresh values written into its buffers.

    The repeat must give the same answer (THREATS #15); the fresh one defeats caches keyed by
    data_ptr, id or shape (THREATS #4), even on the CPU where nothing is timed. The largest case,
    because on a one-element input a stale answer can match by chance.
    """
    index = max(
        range(len(expected)), key=lambda i: sum(int(t.numel()) for t in expected[i].inputs if t is not None)
    )
    big = expected[index].case  # also the ablation case: a skipped ReLU can look right on one element
    return index, [big, Case(big.kind, big.seed, (big.salt + 1) % 2**31)]


def _timing_plan(config: JudgeConfig, meta: dict) -> dict:
    return {
        "warmup": config.warmup_calls,
        "calls": config.timed_calls,
        "seed_base": secrets.randbelow(2**30),
        "positions": config.sample_positions,
        "full": config.full_check_numel,
        "rng": secrets.randbelow(2**31),
        "compile_mode": config.compile_mode,
    }


def _timed_reference(ref: Worker, who: str, ev: TimingEvidence, left: float, spec: ProblemSpec) -> None:
    plan = ev.plan
    ref.send(
        "cmd",
        op="time",
        mode="compiled" if who == "compiled" else "eager",
        warmup=plan["warmup"],
        calls=plan["calls"],
        seed_base=plan["seed_base"],
        compile_mode=plan.get("compile_mode"),
    )
    try:
        ev.exchange(ref, left, who)
        msg, _ = ref.recv(left, f"timing {who}")
    except (WorkerDied, RuntimeError) as exc:
        raise ProblemError(f"problem {spec.path}: timing the reference ({who}) failed: {exc}") from exc
    if msg["kind"] != "time_done":
        raise ProblemError(
            f"problem {spec.path}: timing the reference ({who}) failed: {msg.get('message', msg)}"
        )


def _ceilings(ref: Worker, left: float, spec: ProblemSpec) -> dict:
    """Measured copy bandwidth and bf16 matmul rate of this card, cached per device name."""
    import json

    from kernelwright.settings import cache_dir

    ref.send("cmd", op="device_name")
    name = _ref_reply(ref, "device_name", left, spec)["name"]
    path = cache_dir() / "ceilings.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    if name not in known:
        ref.send("cmd", op="ceilings")
        msg = _ref_reply(ref, "ceilings", left, spec)
        known[name] = {k: msg[k] for k in ("copy_bytes_per_s", "bf16_flops_per_s")}
        path.write_text(json.dumps(known, indent=1))
    return known[name]


def _run_candidate(
    tmp: Path,
    private: Path,
    problem_copy: Path,
    config: JudgeConfig,
    cuda: bool,
    cases: list[Case],
    expected: list[Expected],
    meta: dict,
    run: RunRecord,
    timing_plan: dict | None,
    evidence: TimingEvidence | None,
    left: Any,
    reuse_index: int,
) -> None:
    cand = Worker(
        "kernelwright.worker.candidate",
        env=scrubbed_env(private, cuda),
        cwd=private,
        log_path=tmp / "candidate.log",
        isolate_network=True,
        memory_limit_mb=config.memory_limit_mb,
    )
    tol = meta.get("tolerance")
    session = CandidateSession(cand, run, cases, expected, tol, config)
    session.ref_ops = list(meta.get("ref_ops") or [])
    try:
        cand.send(
            "job",
            problem_path=str(problem_copy),
            candidate_path=str(private / "candidate.py"),
            private_dir=str(private),
            device="cuda" if cuda else "cpu",
            cases=[c.to_json() for c in cases],
            ablation_case=cases[reuse_index].to_json(),
            strict=config.strict,
            timing=timing_plan,
            reuse_index=reuse_index,
        )
        session.drive(left, timing_plan, evidence)
    except WorkerDied as exc:
        run.add("KW-X001", Category.CRASH_OR_TIMEOUT, exc.reason, exc.log_tail)
    except WorkerProtocolError as exc:
        run.add(
            "KW-T002",
            Category.TAMPERING,
            f"the result channel was forged or corrupted: {exc}",
            cand.log_tail(),
        )
    finally:
        cand.close(grace=2.0)
