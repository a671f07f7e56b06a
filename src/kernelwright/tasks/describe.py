"""What the prompt says about the task and the machine, learned without running problem code here.

The parent process never executes a problem file (DESIGN "Pipeline"): shapes, dtypes, the tolerance
and the GPU's properties come from a short-lived subprocess that loads the problem and calls
`get_inputs()` under `torch.device("meta")` (no memory, whatever the benchmark size) and
`get_fuzz_inputs(0..7)`. The subprocess gets the environment without secrets. Measured bandwidth and
FLOP/s come from the judge's per-device cache (`ceilings.json`), filled by the first timed verdict.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kernelwright.errors import ProblemError
from kernelwright.problem import ProblemSpec
from kernelwright.secrets import probe_env

DESCRIBE_TIMEOUT_S = 120.0
FUZZ_SEEDS = 8

_SCRIPT = r"""
import json, os, runpy, sys
out = {"inputs": None, "init_inputs": None, "fuzz": [], "tolerance": None, "errors": [], "hardware": {}}
try:
    import torch
except Exception as exc:
    print(json.dumps({"fatal": f"torch does not import: {exc}"})); sys.exit(0)

def desc(values):
    rows = []
    for v in values:
        if isinstance(v, torch.Tensor):
            rows.append({"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", "")})
        else:
            rows.append({"value": repr(v)[:80], "type": type(v).__name__})
    return rows

try:
    ns = runpy.run_path(sys.argv[1], run_name="kw_problem")
except Exception as exc:
    print(json.dumps({"problem_error": f"{type(exc).__name__}: {exc}"})); sys.exit(0)
try:
    out["init_inputs"] = desc(ns["get_init_inputs"]())
except Exception as exc:
    out["errors"].append(f"get_init_inputs(): {type(exc).__name__}: {exc}")
try:
    with torch.device("meta"):
        out["inputs"] = desc(ns["get_inputs"]())
except Exception as exc:
    out["errors"].append(f"get_inputs() on meta: {type(exc).__name__}: {exc}")
fuzz = ns.get("get_fuzz_inputs")
if callable(fuzz):
    for seed in range(int(sys.argv[2])):
        try:
            with torch.device("meta"):
                out["fuzz"].append(desc(fuzz(seed)))
        except Exception:
            try:
                out["fuzz"].append(desc(fuzz(seed)))  # small by contract: fine to allocate
            except Exception as exc:
                out["errors"].append(f"get_fuzz_inputs({seed}): {type(exc).__name__}: {exc}")
tol = ns.get("TOLERANCE")
out["tolerance"] = tol if isinstance(tol, dict) else None
out["has_flops"] = callable(ns.get("get_flops"))
want_cuda = sys.argv[3] == "cuda" or (sys.argv[3] == "auto" and not os.environ.get("KERNELWRIGHT_FORCE_CPU"))
if want_cuda and torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    out["hardware"] = {"device": p.name, "sms": p.multi_processor_count,
                       "l2_bytes": getattr(p, "L2_cache_size", None), "memory_bytes": p.total_memory,
                       "capability": f"{p.major}.{p.minor}", "cuda": torch.version.cuda}
out["torch"] = torch.__version__.split("+")[0]
try:
    import triton
    out["triton"] = triton.__version__
except Exception:
    out["triton"] = None
print(json.dumps(out))
"""


@dataclass
class TaskInfo:
    """The task contract as the prompt shows it."""

    problem_id: str
    title: str
    source: str
    inputs: list[dict[str, Any]] | None = None
    init_inputs: list[dict[str, Any]] | None = None
    fuzz: list[list[dict[str, Any]]] = field(default_factory=list)
    tolerance: dict[str, float] | None = None
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


def describe(spec: ProblemSpec, device: str = "auto") -> tuple[TaskInfo, HardwareCard]:
    """Task contract and hardware card. Raises ProblemError when the problem file does not even run;
    anything less (a shape that cannot be described) becomes a note in the prompt."""
    info = TaskInfo(problem_id=spec.id, title=spec.title, source=spec.source)
    card = HardwareCard()
    data: dict[str, Any]
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(spec.path), str(FUZZ_SEEDS), device],
            capture_output=True,
            text=True,
            timeout=DESCRIBE_TIMEOUT_S,
            env=probe_env(),
            cwd=str(Path(spec.path).parent),
        )
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        data = (
            json.loads(lines[-1])
            if lines
            else {"fatal": (proc.stderr.strip().splitlines() or ["no output"])[-1]}
        )
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        data = {"fatal": f"describing the problem failed: {exc}"}
    if "problem_error" in data:  # the reference itself is broken: bad input, before any tokens are spent
        raise ProblemError(f"problem {spec.path} does not load: {data['problem_error']}")
    if "fatal" in data:
        info.notes.append(str(data["fatal"]))
        return info, card
    info.inputs, info.init_inputs, info.fuzz = (
        data.get("inputs"),
        data.get("init_inputs"),
        data.get("fuzz") or [],
    )
    info.tolerance = data.get("tolerance")
    info.notes.extend(data.get("errors") or [])
    hw = data.get("hardware") or {}
    card = HardwareCard(
        device=hw.get("device", "cpu"),
        interpreter=not hw,
        sms=hw.get("sms"),
        l2_bytes=hw.get("l2_bytes"),
        memory_bytes=hw.get("memory_bytes"),
        capability=hw.get("capability"),
        cuda=hw.get("cuda"),
        torch=data.get("torch"),
        triton=data.get("triton"),
    )
    card.refresh_ceilings()
    return info, card


def shape_text(rows: list[dict[str, Any]] | None) -> str:
    """`x: float32[8192, 4096]`-style text for one input list."""
    if rows is None:
        return "unknown"
    if not rows:
        return "(none)"
    parts = []
    for i, r in enumerate(rows):
        if "shape" in r:
            parts.append(f"arg{i}: {r['dtype']}[{', '.join(map(str, r['shape']))}]")
        else:
            parts.append(f"arg{i}: {r.get('type')} = {r.get('value')}")
    return "; ".join(parts)
