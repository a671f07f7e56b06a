"""One probe describes a problem, for the agent's prompt and for the MCP server's ``problem_info``.

The parent process never executes a problem file (DESIGN "Pipeline"). :func:`describe_problem` runs
``python -m kernelwright.tasks.describe PATH --answer FILE`` in an empty working directory with
``probe_env()`` (an allowlist: no API key reaches problem code), and reads its answer from a JSON
file, so whatever the problem prints cannot corrupt it. The child loads the problem and describes,
under ``torch.device("meta")`` (no memory, no compute, whatever the benchmark size): the init inputs,
the benchmark inputs, the outputs and parameters of one meta forward, and ``get_fuzz_inputs(0..n-1)``
(a seed that fails on meta is retried with real tensors, since fuzz inputs are small by contract; a
seed that fails both ways is an error line, not the end of the answer). It adds the per-dtype
tolerances, whether ``get_flops`` exists, and the hardware card for the requested device.

Two views of that one answer: ``describe_problem`` returns it as a dict (``problem_info``; an input
list that cannot be described is BadInput there), and :func:`describe` turns it into the prompt's
``TaskInfo`` and ``HardwareCard`` (whatever could not be described becomes a note; only a problem
file that does not load raises ProblemError, before any tokens are spent). Measured bandwidth and
FLOP/s come from the judge's per-device cache (``ceilings.json``), filled by the first timed verdict.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kernelwright.errors import BadInput, ProblemError
from kernelwright.problem import ProblemSpec, load_problem
from kernelwright.tasks.init_task import PROBE_TIMEOUT_S, run_probe, tensor_spec

FUZZ_SEEDS = 8
DEVICES = ("auto", "cpu", "cuda")
CPU_NOTE = "no CUDA GPU: Triton runs under TRITON_INTERPRET=1; correctness only, timing is null"
CPU_CHOSEN_NOTE = (
    "CPU judge chosen (device cpu or KERNELWRIGHT_FORCE_CPU): Triton runs under TRITON_INTERPRET=1; "
    "correctness only, timing is null"
)


@dataclass
class TaskInfo:
    """The task contract as the prompt shows it."""

    problem_id: str
    title: str
    source: str
    inputs: list[dict[str, Any]] | None = None
    init_inputs: list[dict[str, Any]] | None = None
    fuzz: list[list[dict[str, Any]]] = field(default_factory=list)
    tolerance: dict[str, float] | None = None  # the problem's TOLERANCE override, if any
    has_flops: bool = False
    notes: list[str] = field(default_factory=list)  # what could not be described, and why


@dataclass
class HardwareCard:
    device: str = "cpu"
    interpreter: bool = True
    sms: int | None = None
    l2_bytes: int | None = None
    memory_bytes: int | None = None
    capability: str | None = None
    cuda: str | None = None
    torch: str | None = None
    triton: str | None = None
    bandwidth: float | None = None  # measured copy bytes/s
    flops: float | None = None  # measured bf16 matmul FLOP/s

    @classmethod
    def from_answer(cls, hw: dict[str, Any]) -> HardwareCard:
        """The card from the probe's ``hardware`` entry (see :func:`hardware_card`)."""
        if not hw.get("timing"):
            return cls(torch=hw.get("torch"), triton=hw.get("triton"))
        return cls(
            device=hw.get("device", "cuda"),
            interpreter=False,
            sms=hw.get("sms"),
            l2_bytes=hw.get("l2_cache_bytes") or None,
            memory_bytes=hw.get("memory_bytes"),
            capability=hw.get("compute_capability"),
            cuda=hw.get("cuda"),
            torch=hw.get("torch"),
            triton=hw.get("triton"),
        )

    def lines(self) -> list[str]:
        """The card's text, one fact a line; the CPU card says what the CPU judge can and cannot tell."""
        versions = f"torch {self.torch or '?'}, triton {self.triton or '?'}"
        if self.interpreter:
            return [
                "CPU, Triton interpreter: correctness only, no timing (kernels run on the CPU, slowly)",
                versions,
            ]
        out = [
            f"GPU: {self.device}" + (f" (compute capability {self.capability})" if self.capability else "")
        ]
        if self.sms:
            out.append(f"streaming multiprocessors: {self.sms}")
        if self.l2_bytes:
            out.append(f"L2 cache: {self.l2_bytes / 2**20:.0f} MiB")
        if self.memory_bytes:
            out.append(f"device memory: {self.memory_bytes / 2**30:.0f} GiB")
        out.append(
            f"measured copy bandwidth: {self.bandwidth / 1e9:.0f} GB/s"
            if self.bandwidth
            else "measured copy bandwidth: not measured yet (the first timed verdict measures it)"
        )
        if self.flops:
            out.append(f"measured bf16 matmul rate: {self.flops / 1e12:.0f} TFLOP/s")
        out.append(versions + (f", CUDA {self.cuda}" if self.cuda else ""))
        return out

    def refresh_ceilings(self) -> None:
        """Read the judge's measured ceilings for this device, once they exist."""
        if self.interpreter or self.bandwidth:
            return
        from kernelwright.settings import cache_dir

        path = cache_dir() / "ceilings.json"
        try:
            known = json.loads(path.read_text()) if path.exists() else {}
        except (OSError, ValueError):
            return
        entry = known.get(self.device) or {}
        self.bandwidth = entry.get("copy_bytes_per_s") or None
        self.flops = entry.get("bf16_flops_per_s") or None


# --------------------------------------------------------------------------- parent side
def describe_problem(
    problem: ProblemSpec | str | Path,
    fuzz: int = FUZZ_SEEDS,
    timeout: float = PROBE_TIMEOUT_S,
    *,
    device: str = "auto",
    strict: bool = True,
) -> dict[str, Any]:
    """Shapes/dtypes of a problem's inputs, fuzz cases and outputs, its tolerance, and the hardware card.

    Raises ProblemError when the file does not load (statically or on import), BadInput when the probe
    crashes or times out. ``strict``: init or benchmark inputs that cannot be described are BadInput
    too (``problem_info`` answers nothing rather than half a description); otherwise they are lines
    in ``errors``, like fuzz seeds that fail, which are never fatal.
    """
    if device not in DEVICES:
        raise BadInput(f"device must be one of {', '.join(DEVICES)}, not {device!r}")
    spec = problem if isinstance(problem, ProblemSpec) else load_problem(problem)
    with tempfile.TemporaryDirectory(
        prefix="kw-describe-"
    ) as cwd:  # empty: no sibling imports, as in the judge
        answer = run_probe(
            [str(spec.path), "--fuzz", str(max(0, fuzz)), "--device", device],
            module="kernelwright.tasks.describe",
            cwd=Path(cwd),
            timeout=timeout,
            what=f"describing problem {spec.path}",
        )
    if "problem_error" in answer:  # the reference itself is broken: bad input, before any tokens are spent
        raise ProblemError(f"problem {spec.path} does not load: {answer.pop('problem_error')}")
    if strict and (answer.get("inputs") is None or answer.get("init_inputs") is None):
        raise BadInput(f"describing problem {spec.path} failed: {'; '.join(answer.get('errors') or [])}")
    return {
        "problem": spec.id,
        "path": str(spec.path),
        "title": spec.title,
        "has_fuzz": spec.has_fuzz,
        **answer,
    }


def describe(
    spec: ProblemSpec, device: str = "auto", fuzz: int = FUZZ_SEEDS
) -> tuple[TaskInfo, HardwareCard]:
    """The prompt's view of :func:`describe_problem`: task contract and hardware card.

    Raises ProblemError when the problem file does not even load; anything less (a shape that cannot
    be described, a probe that crashed) becomes a note in the prompt.
    """
    info = TaskInfo(problem_id=spec.id, title=spec.title, source=spec.source)
    try:
        answer = describe_problem(spec, fuzz=fuzz, device=device, strict=False)
    except ProblemError:
        raise
    except BadInput as exc:  # the probe itself failed: the agent still gets the source, and this line
        info.notes.append(str(exc))
        return info, HardwareCard()
    info.inputs, info.init_inputs = answer.get("inputs"), answer.get("init_inputs")
    info.fuzz = answer.get("fuzz_cases") or []
    info.tolerance = answer.get("tolerance_override")
    info.has_flops = bool(answer.get("has_flops"))
    info.notes.extend(answer.get("errors") or [])
    card = HardwareCard.from_answer(answer.get("hardware") or {})
    card.refresh_ceilings()
    return info, card


def shape_text(rows: list[dict[str, Any]] | None) -> str:
    """`arg0: float32[8192, 4096]`-style text for one input list."""
    if rows is None:
        return "unknown"
    if not rows:
        return "(none)"
    parts = []
    for i, r in enumerate(rows):
        if "shape" in r:
            parts.append(f"arg{i}: {r['dtype']}[{', '.join(map(str, r['shape']))}]")
        elif "type" in r:
            parts.append(f"arg{i}: {r['type']} = {r.get('repr')}")
        else:
            parts.append(f"arg{i} = {r.get('repr')}")
    return "; ".join(parts)


# --------------------------------------------------------------------------- subprocess side
def _one_line(exc: BaseException) -> str:
    return (f"{type(exc).__name__}: {exc}".splitlines() or [type(exc).__name__])[0][:300]


def _spec(value: Any) -> dict[str, Any]:
    """``tensor_spec``, but a value it cannot describe is shown by type and repr instead of failing."""
    try:
        return tensor_spec(value)
    except TypeError:
        return {"kind": "other", "type": type(value).__name__, "repr": repr(value)[:80]}


def _attempt(errors: list[str], what: str, call: Callable[[], Any]) -> Any:
    """``call()``, or None with one line in ``errors``: one failing call must not cost the rest."""
    try:
        return call()
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - problem code: anything can come out
        errors.append(f"{what}: {_one_line(exc)}")
        return None


def _fuzz_case(problem: Any, seed: int, errors: list[str]) -> list[dict[str, Any]] | None:
    import torch

    try:
        with torch.device("meta"):
            return [_spec(v) for v in problem.get_fuzz_inputs(seed)]
    except (Exception, SystemExit):  # noqa: BLE001 - e.g. .item() on meta: try real tensors next
        pass
    return _attempt(  # small by contract: fine to allocate
        errors, f"get_fuzz_inputs({seed})", lambda: [_spec(v) for v in problem.get_fuzz_inputs(seed)]
    )


def _versions() -> dict[str, str | None]:
    import torch

    try:
        import triton

        triton_version: str | None = triton.__version__
    except Exception:  # noqa: BLE001 - a CPU box without Triton still gets a card
        triton_version = None
    return {"torch": torch.__version__.split("+")[0], "triton": triton_version}


def hardware_card(device: str = "auto") -> dict[str, Any]:
    """What the agent needs to know about the machine that will judge its kernel.

    ``device`` as the judge takes it: auto (CUDA unless KERNELWRIGHT_FORCE_CPU or no GPU), cpu, cuda.
    """
    import torch

    from kernelwright.settings import force_cpu

    # as the judge picks its device: an explicit cuda wins over KERNELWRIGHT_FORCE_CPU, auto does not
    cuda = (device == "cuda" or (device == "auto" and not force_cpu())) and torch.cuda.is_available()
    if not cuda:
        note = CPU_CHOSEN_NOTE if device == "cpu" or torch.cuda.is_available() else CPU_NOTE
        return {"device": "CPU interpreter", "timing": False, "note": note, **_versions()}
    props = torch.cuda.get_device_properties(0)
    return {
        "device": props.name,
        "timing": True,
        "sms": props.multi_processor_count,
        "l2_cache_bytes": int(getattr(props, "L2_cache_size", 0) or 0),
        "memory_bytes": props.total_memory,
        "compute_capability": f"{props.major}.{props.minor}",
        "gpu_count": torch.cuda.device_count(),
        "cuda": torch.version.cuda,
        **_versions(),
    }


def _describe(args: Any) -> dict[str, Any]:
    import dataclasses

    import torch

    from kernelwright.judge import tolerances
    from kernelwright.worker.common import flatten_outputs, load_module

    try:
        problem = load_module(args.path, "kw_problem")
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the one failure that makes the problem unusable
        return {"problem_error": _one_line(exc)}
    errors: list[str] = []
    override = getattr(problem, "TOLERANCE", None)
    if override is not None and not isinstance(override, dict):
        errors.append(f"TOLERANCE must be a dict like {{'atol': 1e-3, 'rtol': 1e-3}}, not {override!r:.80}")
        override = None
    with torch.device("meta"):  # shapes without memory or compute, however large get_inputs() is
        torch.manual_seed(0)
        init = _attempt(errors, "get_init_inputs()", lambda: list(problem.get_init_inputs()))
        inputs = _attempt(errors, "get_inputs() on meta", lambda: list(problem.get_inputs()))
    fuzz: list[list[dict[str, Any]]] = []
    if callable(getattr(problem, "get_fuzz_inputs", None)):
        for seed in range(args.fuzz):
            case = _fuzz_case(problem, seed, errors)
            if case is not None:
                fuzz.append(case)
    outputs: list[dict[str, Any]] | None = None
    params: list[dict[str, Any]] | None = None
    note: str | None = "output shapes unknown (the inputs could not be described)"
    if init is not None and inputs is not None:
        try:
            with torch.device("meta"):
                model = problem.Model(*init)
                outputs = [_spec(o) for o in flatten_outputs(model(*inputs))]
            params = [
                {"name": n, "shape": list(p.shape), "dtype": str(p.dtype).removeprefix("torch.")}
                for n, p in model.state_dict().items()
            ]
            note = None
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - some ops have no meta kernel; inputs still help
            outputs, params = None, None
            note = f"output shapes unknown (meta run failed: {type(exc).__name__})"
    described = [_spec(v) for v in inputs or []]
    dtypes = [o["dtype"] for o in outputs or [] if "dtype" in o] or [
        s["dtype"] for s in described if "dtype" in s
    ]
    tol: dict[str, Any] = {}
    for d in dict.fromkeys(dtypes):
        dtype = getattr(torch, d, None)
        if not isinstance(dtype, torch.dtype):
            continue
        try:
            tol[d] = dataclasses.asdict(tolerances.resolve(dtype, override))
        except (TypeError, ValueError) as exc:  # a TOLERANCE whose values are not numbers
            errors.append(f"TOLERANCE for {d}: {_one_line(exc)}")
    return {
        "init_inputs": None if init is None else [_spec(v) for v in init],
        "inputs": None if inputs is None else described,
        "input_numel": None
        if inputs is None
        else sum(int(t.numel()) for t in inputs if isinstance(t, torch.Tensor)),
        "fuzz_cases": fuzz,
        "outputs": outputs,
        "parameters": params,
        "tolerance": tol,
        "tolerance_override": override,
        "has_flops": callable(getattr(problem, "get_flops", None)),
        "note": note,
        "errors": errors,
        "hardware": hardware_card(args.device),
    }


def _main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m kernelwright.tasks.describe")
    parser.add_argument("path")
    parser.add_argument("--answer", required=True)
    parser.add_argument("--fuzz", type=int, default=FUZZ_SEEDS)
    parser.add_argument("--device", choices=DEVICES, default="auto")
    args = parser.parse_args(argv)
    try:
        answer = _describe(args)
    except Exception as exc:  # noqa: BLE001 - reported to the parent as one line
        answer = {"error": _one_line(exc)}
    Path(args.answer).write_text(json.dumps(answer, default=repr))  # a TOLERANCE of odd values still goes
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
