"""The trusted reference worker: expected outputs and baseline timings. Never runs candidate code.

Run as `python -m kernelwright.worker.reference CTL_FD RES_FD`. It serves the parent's commands
(worker/protocol.py, `TO_REFERENCE`): `meta`, `expected` (inputs before the call and the reference's
outputs for a list of cases), `time` (eager or torch.compile, the same checked, honest loop the
candidate gets), `device_name`, `ceilings`, `quit`. Its replies are the `FROM_REFERENCE` messages.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kernelwright.worker.protocol import TimedLoop


def main(argv: list[str]) -> int:
    from kernelwright.sandbox.channel import Channel, dump_tensors
    from kernelwright.worker import protocol as p

    ctl_fd, res_fd = int(argv[0]), int(argv[1])
    key = os.read(ctl_fd, 32)
    ctl = Channel(ctl_fd, None, key)
    res = Channel(None, res_fd, key)
    # Before the job: the imports overlap whatever the judge does meanwhile. The op log of `meta`
    # (worker/strict.py) and the compile baseline import torch._dynamo: ~3 s on a 2-core CPU.
    import torch
    import torch._dynamo  # noqa: F401

    job = p.ReferenceJob.from_wire(ctl.recv()[0])

    def send(message: p.Message, payload: bytes = b"") -> None:
        p.post(res.send, message, payload)

    from kernelwright.worker import common
    from kernelwright.worker.clock import Clock, plain_outputs

    cuda = job.device == "cuda"
    device = torch.device(job.device)
    clock = Clock.capture(cuda)
    try:
        problem = common.load_module(job.problem_path, "kw_problem")
        model = common.build_model(problem, problem.Model, device)
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
                inputs = common.make_inputs(problem, common.Case("seed", 0), device)
                probe = inputs  # what the forward and the op log run on
                if (
                    cmd.budget
                    and common.numel_of(inputs) > cmd.budget
                    and hasattr(problem, "get_fuzz_inputs")
                ):
                    probe = common.make_inputs(problem, common.Case("fuzz", 0), device)
                out = call(model, probe)
                flops = float(problem.get_flops(inputs)) if hasattr(problem, "get_flops") else 0.0
                from kernelwright.worker.strict import torch_compute_ops

                ref_ops = torch_compute_ops(functools.partial(call, model, probe))
                outs = common.flatten_outputs(out)
                send(
                    p.Meta(
                        inputs=tuple(common.tensor_meta(t) for t in inputs),
                        outputs=tuple(common.tensor_meta(t) for t in outs),
                        numel=common.numel_of(inputs),
                        io_bytes=sum(
                            t.numel() * t.element_size()
                            for t in [*inputs, *outs]
                            if isinstance(t, torch.Tensor)
                        ),
                        flops=flops,
                        tolerance=getattr(problem, "TOLERANCE", None),
                        has_fuzz=hasattr(problem, "get_fuzz_inputs"),
                        ref_ops=tuple(ref_ops),
                    )
                )
            elif isinstance(cmd, p.ExpectedCmd):
                for case in cmd.cases:
                    inputs = common.make_inputs(problem, case, device)
                    before = [
                        x.detach().cpu().clone() if isinstance(x, torch.Tensor) else None for x in inputs
                    ]
                    snap, why = plain_outputs(call(model, inputs))
                    if snap is None:
                        raise TypeError(f"reference forward: {why}")
                    send(
                        p.ExpectedOutputs(
                            case=case.label(), input_meta=tuple(common.tensor_meta(t) for t in inputs)
                        ),
                        dump_tensors({"outputs": [o.cpu() for o in snap], "inputs": before}),
                    )
            elif isinstance(cmd, p.DeviceNameCmd):
                send(p.DeviceName(name=torch.cuda.get_device_name(0) if cuda else "cpu"))
            elif isinstance(cmd, p.CeilingsCmd):
                from kernelwright.worker.ceilings import measure

                send(p.Ceilings(**measure()))
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
        inputs = common.make_inputs(problem, case, device)
        if j % 2 and prev is not None:
            inputs = common.refill_(prev, inputs)
        prev = inputs
        for model in models:
            with torch.no_grad():
                _, (snap, why), t = clock.timed_call(
                    lambda model=model, inputs=inputs: model(*inputs), plain_outputs, clock.seen_streams
                )
            if snap is None:
                raise TypeError(why)
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
