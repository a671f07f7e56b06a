"""The trusted reference worker: expected outputs and baseline timings. Never runs candidate code.

Run as `python -m kernelwright.worker.reference CTL_FD RES_FD`. It serves the parent's commands
(worker/protocol.py, `TO_REFERENCE`): `meta`, `expected` (inputs before the call and the reference's
outputs for a list of cases), `time` (eager or torch.compile, the same checked, honest loop the
candidate gets), `device_name`, `ceilings`, `quit`. Its replies are the `FROM_REFERENCE` messages.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import time
import traceback
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kernelwright.worker.protocol import TimedLoop


def main(argv: list[str]) -> int:
    marks = [("python up", time.monotonic())]  # the start's stages, sent with Meta (KERNELWRIGHT_TRACE)
    from kernelwright.sandbox.channel import Channel, dump_tensors
    from kernelwright.worker import protocol as p

    ctl_fd, res_fd = int(argv[0]), int(argv[1])
    key = os.read(ctl_fd, 32)
    ctl = Channel(ctl_fd, None, key)
    res = Channel(None, res_fd, key)
    # Before the job: the imports overlap whatever the judge does meanwhile. The op log of `meta`
    # (worker/strict.py) and the compile baseline import torch._dynamo: ~3 s on a 2-core CPU.
    import torch

    marks.append(("torch imported", time.monotonic()))
    import torch._dynamo  # noqa: F401

    marks.append(("torch._dynamo imported", time.monotonic()))
    job = p.ReferenceJob.from_wire(ctl.recv()[0])
    marks.append(("job received", time.monotonic()))

    def send(message: p.Message, payload: bytes | bytearray = b"") -> None:
        p.post(res.send, message, payload)

    from kernelwright.worker import common
    from kernelwright.worker.clock import Clock, plain_outputs

    cuda = job.device == "cuda"
    device = torch.device(job.device)
    clock = Clock.capture(cuda)
    marks.append(("clock and gate ready", time.monotonic()))
    try:
        problem = common.load_module(job.problem_path, "kw_problem")
        model = common.build_model(problem, problem.Model, device)
        marks.append(("problem built", time.monotonic()))
    except BaseException as exc:  # noqa: BLE001 - a broken problem is bad input, reported to the parent
        send(
            p.ProblemRaised(
                message=f"{type(exc).__name__}: {exc}"[:1000], traceback=traceback.format_exc()[-3000:]
            )
        )
        return 0
    models: dict[str, Any] = {"eager": model}

    def call(m: Any, inputs: list) -> Any:
        with torch.no_grad():
            return m(*inputs)

    while True:
        header, _ = ctl.recv()
        op = header.get("op")
        try:
            cmd = p.TO_REFERENCE.decode(header)
            if isinstance(cmd, p.QuitCmd):
                return 0
            if isinstance(cmd, p.MetaCmd):
                meta = meta_of(problem, model, cmd, device, call)
                send(dataclasses.replace(meta, startup={**dict(marks), "meta computed": time.monotonic()}))
                marks = []  # a warm worker's next Meta reports no start
            elif isinstance(cmd, p.ExpectedCmd):
                for case in cmd.cases:
                    inputs = common.make_inputs(problem, case, device)
                    before = common.inputs_record(inputs)
                    snap, why = plain_outputs(call(model, inputs))
                    if snap is None:
                        raise TypeError(f"reference forward: {why}")
                    send(
                        p.ExpectedOutputs(
                            case=case.label(), input_meta=tuple(common.tensor_meta(t) for t in inputs)
                        ),
                        dump_tensors({"outputs": snap, "inputs": before}),
                    )
            elif isinstance(cmd, p.DeviceNameCmd):
                send(p.DeviceName(name=torch.cuda.get_device_name(0) if cuda else "cpu"))
            elif isinstance(cmd, p.CeilingsCmd):
                from kernelwright.worker.ceilings import measure

                send(p.Ceilings(**measure()))
            elif isinstance(cmd, p.WarmCmd):  # the compile baseline's build, ahead of the timing lock
                t0 = time.monotonic()
                if "compiled" not in models:
                    models["compiled"] = torch.compile(model, mode=cmd.compile_mode or None)
                call(models["compiled"], common.make_inputs(problem, cmd.case, device))
                clock.sync()
                send(p.Warmed(seconds=round(time.monotonic() - t0, 3)))
            elif isinstance(cmd, p.TimeCmd):
                for mode in cmd.modes:
                    if mode not in models:
                        models[mode] = torch.compile(model, mode=cmd.compile_mode or None)
                timed_loop([models[m] for m in cmd.modes], problem, device, clock, ctl, res, cmd.loop)
                send(p.TimeDone())
            else:
                raise ValueError(f"unknown op {op}")
        except BaseException as exc:  # noqa: BLE001
            send(
                p.ProblemRaised(
                    message=f"{op}: {type(exc).__name__}: {exc}"[:1000],
                    traceback=traceback.format_exc()[-3000:],
                )
            )
            return 0


def meta_of(problem: Any, model: Any, cmd: Any, device: Any, call: Any) -> Any:
    """The problem's sizes, ops and fuzz plan (protocol `Meta`).

    The benchmark-size inputs are sized on the meta device first; above `cmd.budget` elements they
    are never made (a CPU would take minutes, or run out of memory on KernelBench's 6.4 GB inputs).
    Without get_fuzz_inputs, fuzz cases are derived from size globals (worker/shapes.py) and each
    one is run here once: the judge plans only those the reference accepts.
    """
    from kernelwright.worker import common, shapes
    from kernelwright.worker import protocol as p
    from kernelwright.worker.strict import torch_compute_ops

    sized = shapes.estimate_inputs(problem)
    inputs = None
    if sized is None or not cmd.budget or common.numel_of(sized) <= cmd.budget:
        inputs = common.make_inputs(problem, common.Case("seed", 0), device)
    bench = inputs if inputs is not None else sized
    assert bench is not None
    names: tuple[str, ...] = ()
    if hasattr(problem, "get_fuzz_inputs"):
        source, seeds = "problem", tuple(range(cmd.fuzz))
    else:
        names = tuple(shapes.size_globals(problem))
        good = []
        for seed in range(cmd.fuzz) if names else ():
            try:
                call(model, common.make_inputs(problem, common.Case("fuzz", seed), device))
                good.append(seed)
            except Exception:  # noqa: BLE001 - a shape the reference refuses is not planned
                continue
        source, seeds = ("derived" if good else "none"), tuple(good)
    probe = inputs
    if probe is None and seeds:
        probe = common.make_inputs(problem, common.Case("fuzz", seeds[0]), device)
    outs: list = []
    ref_ops: list[str] = []
    if probe is not None:
        outs = common.flatten_outputs(call(model, probe))
        ref_ops = torch_compute_ops(functools.partial(call, model, probe))
    try:
        flops = float(problem.get_flops(bench)) if hasattr(problem, "get_flops") else 0.0
    except Exception:  # noqa: BLE001 - a get_flops that needs real values: no roofline
        flops = 0.0
    return p.Meta(
        inputs=tuple(common.tensor_meta(t) for t in bench),
        outputs=tuple(common.tensor_meta(t) for t in outs),
        numel=common.numel_of(bench),
        io_bytes=shapes.tensor_bytes([*bench, *outs]),
        flops=flops,
        tolerance=getattr(problem, "TOLERANCE", None),
        has_fuzz=bool(seeds),
        ref_ops=tuple(ref_ops),
        fuzz_source=source,  # type: ignore[arg-type]
        fuzz_seeds=seeds,
        size_globals=names,
        bench_run=inputs is not None,
    )


def timed_loop(
    models: list[Any], problem: Any, device: Any, clock: Any, ctl: Any, res: Any, loop: TimedLoop
) -> None:
    """The candidate's loop (worker/candidate.py, worker/clock.py), so the parent can calibrate wall time.

    Each call index runs every model in turn (eager, then compiled) on the same fresh inputs, each
    reported as its own timed call: the baselines are interleaved call by call, and the parent
    interleaves rounds of them with rounds of the candidate (A-B-A, judge/timing.py). The loop ends
    when the parent's reply says so (or after `loop.total` indices).
    """
    import torch

    from kernelwright.worker import common
    from kernelwright.worker.clock import plain_outputs, report_timed_call

    clock.native = loop.native  # the candidate's method, so both are timed alike
    prev: list | None = None
    for j in range(loop.total):
        case = loop.case(j)
        p0 = clock.perf()
        inputs = common.make_inputs(problem, case, device)
        if j % 2 and prev is not None:
            inputs = common.refill_(prev, inputs)
        prev = inputs
        prep_ms = (clock.perf() - p0) * 1e3
        for model in models:
            with torch.no_grad():
                _, (snap, why), t = clock.timed_call(
                    lambda model=model, inputs=inputs: model(*inputs),
                    plain_outputs,
                    clock.seen_streams,
                    prep_ms=prep_ms,
                )
            if snap is None:
                raise TypeError(why)
            prep_ms = 0.0  # the compiled call reuses the eager call's inputs
            if not report_timed_call(res.send, ctl.recv, j, snap, t, clock.method_now):
                return


if __name__ == "__main__":
    try:
        code = main(sys.argv[1:])
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        code = 3
    sys.stdout.flush()
    os._exit(code)
