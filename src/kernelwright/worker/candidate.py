"""The candidate worker: a fresh, sandboxed process per candidate. Untrusted code runs only here.

Run as `python -m kernelwright.worker.candidate CTL_FD RES_FD` by the parent (sandbox/launch.py).
Order matters and is the defence:
 1. read the channel key, import torch and Triton, then read the job from the control pipe;
 2. capture timing/sync originals (worker/clock.py), load the problem and
    build the reference model's parameters, wrap Triton launches and extension loaders;
 3. install the audit policy; only then import the candidate.
Outputs, post-call inputs and timings go to the parent as the typed messages of worker/protocol.py
(`FROM_CANDIDATE`); the parent alone holds the expected outputs and decides. Nothing here decides a verdict; a compromised worker can only make itself look wrong.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from pathlib import Path
from typing import Any


def _short_tb(limit: int = 6) -> str:
    return "".join(traceback.format_exc(limit=-limit))[-3000:]


def main(argv: list[str]) -> int:
    from kernelwright.sandbox.channel import Channel, dump_tensors

    # Bound as locals now, before the candidate is imported: rebinding the module's names later does
    # not reach this function (the integrity snapshot also reports it; worker/integrity.py).
    from kernelwright.worker.protocol import (
        Ablation,
        BadOutput,
        Built,
        CandidateJob,
        CaseResult,
        Contract,
        Done,
        Go,
        Message,
        Raised,
        Ready,
        SealProbe,
        Share,
        Stage,
        Starting,
        Strict,
        Tampered,
        Violation,
        post,
    )

    ctl_fd, res_fd = int(argv[0]), int(argv[1])
    key = os.read(ctl_fd, 32)
    ctl = Channel(ctl_fd, None, key)
    res = Channel(None, res_fd, key)
    # torch and Triton before the job: a pre-started worker (judge/pool.py) has them loaded by the
    # time a candidate is known. Nothing of the candidate exists in this process yet.
    import torch
    import torch._dynamo  # noqa: F401 - the op log and deterministic mode import it: ~3 s on a CPU
    import triton  # noqa: F401 - imported before the policy so its own set-up is unaudited

    from kernelwright.worker.clock import CallTiming, Clock, plain_outputs, report_timed_call

    # A worker started for a GPU (judge/workers.py sets TRITON_INTERPRET only for the CPU) makes its
    # CUDA context and its clock, whose gate kernel is a Triton build, before the job too: a pre-started
    # worker then has them ready (H200: a pooled verdict still waited ~2 s for the candidate worker).
    early: Clock | None = None
    if os.environ.get("TRITON_INTERPRET") != "1" and torch.cuda.is_available():
        torch.cuda.init()
        torch.empty(1, device="cuda")
        early = Clock.capture(True)

    job = CandidateJob.from_wire(ctl.recv()[0])
    lock = threading.Lock()
    res_send = res.send  # bound now: rebinding Channel.send later does not reach this closure

    def send_raw(kind: str, payload: bytes | bytearray = b"", **fields: Any) -> None:
        with lock:
            res_send(kind, payload, **fields)

    def send(message: Message, payload: bytes | bytearray = b"") -> None:
        post(send_raw, message, payload)

    def error(stage: Stage, exc: BaseException, case: str | None = None) -> None:
        send(
            Raised(
                stage=stage,
                case=case,
                type=type(exc).__name__,
                module=type(exc).__module__,
                message=str(exc)[:2000],
                traceback=_short_tb(),
            )
        )

    cuda = job.device == "cuda"
    device = torch.device(job.device)

    from kernelwright.sandbox.policy import AuditPolicy, audit_native_writes
    from kernelwright.worker import common, seal
    from kernelwright.worker.launches import (
        LaunchLedger,
        cpu_autotune_benchmarker,
        poison_uninitialised_memory,
    )

    clock = early if early is not None and cuda else Clock.capture(cuda)
    # Module names are the files' own stems (problem, model_new, as KernelBench names them): nothing
    # judge-specific for the candidate to find in sys.modules (THREATS #26).
    problem = common.load_module(job.problem_path, Path(job.problem_path).stem)
    ref_model = common.build_model(problem, problem.Model, device)
    ref_state = {k: v.detach().clone() for k, v in ref_model.state_dict().items()}
    del ref_model
    ledger = LaunchLedger()
    ledger.install_triton()
    ledger.install_extensions()
    seal_report = seal.install(ledger._s.originals, job.private_dir)  # after the wrappers (worker/seal.py)
    if not cuda:
        cpu_autotune_benchmarker()
    else:
        torch.cuda.init()
        torch.empty(1, device=device)  # create the context before the policy

    def report(category: Any, code: str, message: str) -> None:
        send(Violation(category=category, code=code, message=message))

    from kernelwright.worker.integrity import Integrity, guard_environment

    # The op trace feeds the op policy (judge/session.py `_check_ops`): bound now, before the
    # candidate can rebind the module's name (red team: cheat_rt_ledger_closure).
    from kernelwright.worker.strict import OpTrace, traced

    # Switching deterministic mode imports torch._dynamo, which rebinds torch.manual_seed: do it once
    # before the snapshot so the harness's own side effects are not mistaken for tampering.
    poison_uninitialised_memory(True)
    poison_uninitialised_memory(False)
    audit_native_writes()
    integrity = Integrity()
    guard_environment()
    # No reference to the policy is kept: the audit hook CPython holds is the only one (policy.py).
    AuditPolicy(job.private_dir, report).install()
    send(Ready())

    def check_integrity(stage: str) -> None:
        names = clock.tampered() + integrity.changes() + ledger.forged()
        if names:
            send(Tampered(names=tuple(sorted(set(names))), stage=stage))

    inputs_record = common.inputs_record  # bound before the candidate is imported (rebinding is moot)

    # -- import the candidate ------------------------------------------------------------------
    try:
        cand = common.load_module(job.candidate_path, Path(job.candidate_path).stem)
    except BaseException as exc:  # noqa: BLE001 - anything the import raises is the candidate's fault
        error("import", exc)
        return 0
    model_cls = getattr(cand, "ModelNew", None)
    if not isinstance(model_cls, type):
        send(Contract(message="the candidate defines no class ModelNew (it must subclass torch.nn.Module)"))
        return 0
    try:
        model = common.build_model(problem, model_cls, device)
        matched = common.align_parameters(model, ref_state) if isinstance(model, torch.nn.Module) else []
    except BaseException as exc:  # noqa: BLE001
        error("init", exc)
        return 0
    send(Built(aligned=tuple(matched)))
    check_integrity("import")

    baseline_threads: list[int] = []  # Python threads after the first call (lazy pools start then)

    op_trace = OpTrace()  # every correctness call's ops, for the op policy (judge/session.py)

    def run_case(
        case: common.Case, *, reuse: list | None = None, trace: bool = False, sealed: bool = True
    ) -> tuple[list | None, list, Any]:
        """One checked call: returns (snapshot outputs or None, inputs after the call, timing)."""
        p0 = clock.perf()
        inputs = common.make_inputs(problem, case, device)
        if reuse is not None:
            inputs = common.refill_(reuse, inputs)
        prep_ms = (clock.perf() - p0) * 1e3
        if case.kind != "timed":
            shapes = ", ".join(
                "x".join(map(str, t.shape)) + f" {str(t.dtype)[6:]}"
                for t in inputs
                if isinstance(t, torch.Tensor)
            )
            send(Starting(case=case.label(), inputs=shapes))
        before = threading.active_count()
        with torch.no_grad():
            if case.kind == "timed":  # the gated method; the snapshot is stream-ordered after the end event
                _, early, t = clock.timed_call(
                    lambda: model(*inputs), plain_outputs, clock.seen_streams, prep_ms=prep_ms
                )
            else:
                fwd = (
                    (lambda: traced(op_trace, lambda: model(*inputs), inputs if sealed else None))
                    if trace
                    else (lambda: model(*inputs))
                )
                _, ms, host_ms, early = clock.time_call(fwd, plain_outputs)
                t = CallTiming(ms, host_ms, host_ms, 0.0, False)
        snap, why = early
        after = threading.active_count()
        if not baseline_threads:
            baseline_threads.append(before)
        if after > max(before, baseline_threads[0]):
            send(
                Violation(
                    category="sandbox",
                    code="KW-R106",
                    message=f"{after - before} thread(s) still running after forward returned (THREATS #13)",
                )
            )
        if why:
            send(BadOutput(case=case.label(), message=why))
            return None, inputs, t
        return snap, inputs, t

    def cpu_tensors(xs: list) -> list:  # dump_tensors copies device tensors straight into the message
        return [x.detach() if isinstance(x, torch.Tensor) else None for x in xs]

    # -- ablation: skip every custom launch; the parent checks the output now fails ---------------
    # Its inputs are fresh (their own salt) and it runs before a case the parent picked at random, so
    # neither the inputs' content nor the call's position says "this is the ablation" (red team:
    # cheat_rt_ablation_replay_detect fingerprinted the largest case's inputs, seen a third time).
    ablation_case = job.ablation_case

    def ablate() -> None:
        ledger.reset()
        ledger.ablate = True
        try:
            # Traced and sealed like every correctness call: reading raw bytes does not tell it apart
            # (red team: a forward that saw real bytes knew it was the ablation and answered wrong).
            snap, _, _ = run_case(ablation_case, trace=True)
            payload = dump_tensors({"outputs": cpu_tensors(snap)}) if snap is not None else b""
            send(Ablation(skipped=ledger.skipped, case=ablation_case.label()), payload)
        except BaseException as exc:  # noqa: BLE001 - a forward that breaks without its kernels did use them
            send(
                Ablation(
                    skipped=ledger.skipped,
                    case=ablation_case.label(),
                    raised=f"{type(exc).__name__}: {exc}"[:300],
                )
            )
        ledger.ablate = False

    # -- correctness: every case, then one repeat -----------------------------------------------
    cases = job.cases
    poison_uninitialised_memory(True)
    ledger.before_launch = clock.delay_foreign_stream if clock.cuda else None
    kept: list | None = None  # the buffers the last case refills with fresh values
    for i, case in enumerate(cases):
        if i == job.ablate_at:
            ablate()
        ledger.reset()
        label = f"{case.label()}#{i}"
        try:
            snap, inputs, t = run_case(case, reuse=kept if i == len(cases) - 1 else None, trace=True)
            if i == job.reuse_index:
                kept = inputs
        except BaseException as exc:  # noqa: BLE001
            error("forward", exc, case=label)
            return 0
        if snap is None:
            return 0
        send(
            CaseResult(case=label, launches=dict(ledger.counts), failures=tuple(ledger.failures), ms=t.ms),
            dump_tensors({"outputs": cpu_tensors(snap), "inputs": inputs_record(inputs)}),
        )
        check_integrity(label)

    if job.ablate_at >= len(cases):
        ablate()

    # -- the seal's probe (CPU): the ablation's case sealed and open, so the parent can name work done
    # on raw bytes (a forward right only when it can read them) instead of calling it a wrong answer.
    # Both calls are traced; from inside, the open one differs only to a forward that reads raw bytes.
    if not cuda:
        got: dict[str, list] = {}
        # Sealed, open, open, sealed: a forward whose answer alternates between calls (right every
        # other call) cannot look like "right only when open" (corpus: cheat_call_parity).
        for name, sealed in (("sealed", True), ("open", False), ("open2", False), ("sealed2", True)):
            try:
                snap, _, _ = run_case(ablation_case, trace=True, sealed=sealed)
                got[name] = cpu_tensors(snap) if snap is not None else []
            except BaseException:  # noqa: BLE001 - a forward that raises here has no answer to compare
                got[name] = []
        send(SealProbe(case=ablation_case.label()), dump_tensors(got))
        check_integrity("seal probe")

    # Every correctness call was traced (not one call a forward could single out and answer honestly).
    for pseudo in seal_report():  # hidden work the seal saw: lookup tables, Python in a window (seal.py)
        op_trace.add(pseudo)
    send(Strict(ops=tuple(op_trace.ops), hidden=tuple(op_trace.hidden)))
    poison_uninitialised_memory(False)
    ledger.before_launch = None

    timing = job.timing
    if timing:
        # Wait until the judge holds this GPU's timing lock: correctness work of other judgements
        # may share the GPU, timing never does (judge/gpu_lock.py).
        Go.from_wire(ctl.recv()[0])
    if timing and clock.cuda:
        from kernelwright.worker.kernel_share import measure_custom_share

        try:
            share_inputs = common.make_inputs(problem, ablation_case, device)
            send(Share(share=measure_custom_share(clock, ledger, lambda: model(*share_inputs))))
        except BaseException as exc:  # noqa: BLE001 - a report only; the timed calls will say more
            send(Share(share=None, error=f"{type(exc).__name__}: {exc}"[:300]))

    # -- timing: every timed call is checked too (no phases: THREATS #5) -------------------------
    if timing:
        # Native code launches on streams the ledger cannot see: synchronise the device before the end
        # event (the parent asks for it from the source; a load_inline the ledger saw asks for it too).
        clock.native = timing.native or ledger.native
        ledger.before_launch = clock.note_stream if clock.cuda else None  # streams to join (clock.py)
        prev: list | None = None
        for j in range(timing.total):  # at most; the parent says when to stop
            case = timing.case(j)
            try:
                snap, prev, t = run_case(case, reuse=prev if j % 2 else None)
            except BaseException as exc:  # noqa: BLE001
                error("timing", exc, case=case.label())
                return 0
            if snap is None:
                return 0
            if not report_timed_call(send_raw, ctl.recv, j, snap, t, clock.method_now):
                break
        ledger.before_launch = None
        check_integrity("timing")
    send(Done(launches=dict(ledger.counts)))
    return 0


if __name__ == "__main__":
    try:
        code = main(sys.argv[1:])
    except BaseException:  # noqa: BLE001 - the parent reads the log; the exit status says it broke
        traceback.print_exc()
        code = 3
    sys.stdout.flush()
    os._exit(code)
