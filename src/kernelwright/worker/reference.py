"""The trusted reference worker: expected outputs and baseline timings. Never runs candidate code.

Run as `python -m kernelwright.worker.reference CTL_FD RES_FD`. It serves commands from the parent:
`meta`, `expected` (inputs before the call and the reference's outputs for a list of cases),
`time` (eager or torch.compile, the same checked, honest loop the candidate gets), `quit`.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from typing import Any


def main(argv: list[str]) -> int:
    from kernelwright.sandbox.channel import Channel, dump_tensors

    ctl_fd, res_fd = int(argv[0]), int(argv[1])
    key = os.read(ctl_fd, 32)
    ctl = Channel(ctl_fd, None, key)
    res = Channel(None, res_fd, key)
    job, _ = ctl.recv()

    import torch

    from kernelwright.worker import common
    from kernelwright.worker.clock import Clock, plain_outputs

    cuda = job["device"] == "cuda"
    device = torch.device(job["device"])
    clock = Clock.capture(cuda)
    try:
        problem = common.load_module(job["problem_path"], "kw_problem")
        model = common.build_model(problem, problem.Model, device)
    except BaseException as exc:  # noqa: BLE001 - a broken problem is bad input, reported to the parent
        res.send(
            "problem_error",
            message=f"{type(exc).__name__}: {exc}"[:1000],
            traceback=traceback.format_exc()[-3000:],
        )
        return 0
    models: dict[str, Any] = {"eager": model}

    def call(m: Any, inputs: list) -> Any:
        with torch.no_grad():
            return m(*inputs)

    while True:
        cmd, _ = ctl.recv()
        op = cmd["op"]
        try:
            if op == "quit":
                return 0
            if op == "meta":
                inputs = common.make_inputs(problem, common.Case("seed", 0), device)
                out = call(model, inputs)
                flops = float(problem.get_flops(inputs)) if hasattr(problem, "get_flops") else 0.0
                from kernelwright.worker.strict import torch_compute_ops

                ref_ops = torch_compute_ops(functools.partial(call, model, inputs))
                outs = common.flatten_outputs(out)
                res.send(
                    "meta",
                    inputs=[common.tensor_meta(t) for t in inputs],
                    outputs=[common.tensor_meta(t) for t in outs],
                    numel=common.numel_of(inputs),
                    bytes=sum(
                        t.numel() * t.element_size() for t in [*inputs, *outs] if isinstance(t, torch.Tensor)
                    ),
                    flops=flops,
                    tolerance=getattr(problem, "TOLERANCE", None),
                    has_fuzz=hasattr(problem, "get_fuzz_inputs"),
                    ref_ops=ref_ops,
                )
            elif op == "expected":
                for raw in cmd["cases"]:
                    case = common.Case.from_json(raw)
                    inputs = common.make_inputs(problem, case, device)
                    before = [
                        x.detach().cpu().clone() if isinstance(x, torch.Tensor) else None for x in inputs
                    ]
                    snap, why = plain_outputs(call(model, inputs))
                    if snap is None:
                        raise TypeError(f"reference forward: {why}")
                    res.send(
                        "expected",
                        dump_tensors({"outputs": [o.cpu() for o in snap], "inputs": before}),
                        case=case.label(),
                        input_meta=[common.tensor_meta(t) for t in inputs],
                    )
            elif op == "device_name":
                res.send("device_name", name=torch.cuda.get_device_name(0) if cuda else "cpu")
            elif op == "ceilings":
                from kernelwright.worker.ceilings import measure

                res.send("ceilings", b"", **measure())
            elif op == "time":
                mode = cmd["mode"]
                if mode not in models:
                    models[mode] = torch.compile(model, mode=cmd.get("compile_mode") or None)
                timed_loop(models[mode], problem, device, clock, ctl, res, cmd)
            else:
                raise ValueError(f"unknown op {op}")
        except BaseException as exc:  # noqa: BLE001
            res.send(
                "problem_error",
                message=f"{op}: {type(exc).__name__}: {exc}"[:1000],
                traceback=traceback.format_exc()[-3000:],
            )
            return 0


def timed_loop(model: Any, problem: Any, device: Any, clock: Any, ctl: Any, res: Any, cmd: dict) -> None:
    """The same loop as the candidate's (worker/candidate.py), so the parent can calibrate wall time."""
    import torch

    from kernelwright.worker import common
    from kernelwright.worker.clock import plain_outputs, report_timed_call

    prev: list | None = None
    for j in range(cmd["warmup"] + cmd["calls"]):
        case = common.Case("timed", cmd["seed_base"] + j)
        inputs = common.make_inputs(problem, case, device)
        if j % 2 and prev is not None:
            inputs = common.refill_(prev, inputs)
        prev = inputs
        with torch.no_grad():
            out, ms, host_ms, _ = clock.time_call(lambda inputs=inputs: model(*inputs))
        snap, why = plain_outputs(out)
        if snap is None:
            raise TypeError(why)
        report_timed_call(res.send, ctl.recv, j, snap, ms, host_ms)
    res.send("time_done")


if __name__ == "__main__":
    try:
        code = main(sys.argv[1:])
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        code = 3
    sys.stdout.flush()
    os._exit(code)
