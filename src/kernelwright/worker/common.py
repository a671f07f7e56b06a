"""Code both workers run: loading the problem, making inputs from seeds, flattening outputs.

Both workers build every input from the same (kind, seed) pair with the same code on the same
device, so the candidate never receives the reference's tensors and the reference never reads a
buffer the candidate touched (THREATS #9).
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import torch

from kernelwright.worker.protocol import Case

INIT_SEED = 20_240_611
# Inputs above this many elements travel back to the judge as a SHA-256 of their bytes, not the bytes:
# the judge only needs to know they are unchanged, and a 128 MiB input took ~1 s through the pipe
# (H200: 27 of a verdict's 55 s moved benchmark-size tensors). Smaller ones travel whole, so the
# verdict can say how many elements changed.
DIGEST_NUMEL = 1 << 20


def load_module(path: str | Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, str(path))
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)  # also seeds every CUDA device


def to_device(obj: Any, device: torch.device) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, list | tuple):
        return type(obj)(to_device(o, device) for o in obj)
    return obj


def make_inputs(problem: ModuleType, case: Case, device: torch.device) -> list:
    """Inputs for one case. Timed cases use get_inputs() shapes with fresh values per seed."""
    seed_everything(case.rng_seed)
    if case.kind == "fuzz" and hasattr(problem, "get_fuzz_inputs"):
        raw = problem.get_fuzz_inputs(case.seed)
    elif case.kind == "fuzz":  # derived from the problem's size globals (worker/shapes.py)
        from kernelwright.worker.shapes import derived_inputs

        with torch.device(device):
            raw = derived_inputs(problem, case.seed)
    else:
        # Factory calls inside get_inputs() land on `device` directly: generating 10^8 values on
        # the GPU takes milliseconds, on the CPU seconds, and every timed call needs fresh ones.
        with torch.device(device):
            raw = problem.get_inputs()
    inputs = list(to_device(list(raw), device))
    # The generators go on from a seed derived one-way from the case's: forward cannot read the inputs'
    # seed back (`torch.initial_seed()`) and regenerate them in NumPy without touching them (red team,
    # third round: cheat_rt_seal3_rng_seed_regen), and both workers still agree on a forward that draws
    # random numbers itself.
    seed_everything(forward_seed(case.rng_seed))
    return inputs


def forward_seed(rng_seed: int) -> int:
    """The generators' seed while forward runs: a one-way function of the case's input seed."""
    digest = hashlib.sha256(b"kernelwright forward seed\0" + rng_seed.to_bytes(16, "little", signed=True))
    return int.from_bytes(digest.digest()[:8], "little") >> 1


def refill_(old: list, new: list) -> list:
    """Copy `new` values into `old` buffers (same data_ptr, fresh values: THREATS #4)."""
    out = []
    for o, n in zip(old, new, strict=True):
        if isinstance(o, torch.Tensor) and isinstance(n, torch.Tensor) and o.shape == n.shape:
            o.copy_(n)
            out.append(o)
        else:
            out.append(n)
    return out


def flatten_outputs(out: Any) -> list[Any]:
    """A forward may return a tensor or a (nested) tuple/list of tensors."""
    if isinstance(out, list | tuple):
        flat: list[Any] = []
        for o in out:
            flat.extend(flatten_outputs(o))
        return flat
    return [out]


def build_model(problem: ModuleType, cls: type, device: torch.device) -> torch.nn.Module:
    seed_everything(INIT_SEED)
    init = problem.get_init_inputs()
    model = cls(*init)
    return model.to(device).eval() if isinstance(model, torch.nn.Module) else model


def align_parameters(candidate: torch.nn.Module, reference_state: dict[str, torch.Tensor]) -> list[str]:
    """Load the reference's state where names and shapes match (DESIGN: parameter alignment)."""
    own = candidate.state_dict()
    matched = {k: v for k, v in reference_state.items() if k in own and own[k].shape == v.shape}
    if matched:
        candidate.load_state_dict(matched, strict=False)
    return sorted(matched)


def tensor_meta(t: Any) -> dict[str, Any]:
    if isinstance(t, torch.Tensor):
        return {"type": "tensor", "shape": list(t.shape), "dtype": str(t.dtype).removeprefix("torch.")}
    return {"type": type(t).__name__, "value": repr(t)[:80]}


def numel_of(inputs: list) -> int:
    return sum(t.numel() for t in inputs if isinstance(t, torch.Tensor))


def device_for(cuda: bool) -> torch.device:
    return torch.device("cuda") if cuda else torch.device("cpu")


def tensor_digest(t: torch.Tensor) -> dict[str, Any]:
    """Shape, dtype and the SHA-256 of the bytes (bit for bit: -0.0 and NaN payloads count)."""
    raw = t.detach().contiguous().reshape(-1).view(torch.uint8).cpu().numpy()
    return {
        "sha256": hashlib.sha256(raw.data).hexdigest(),
        "shape": list(t.shape),
        "dtype": str(t.dtype).removeprefix("torch."),
        "numel": t.numel(),
    }


def inputs_record(inputs: list) -> list:
    """What the judge gets of a call's inputs: CPU copies of small tensors, digests of large ones."""
    out: list[Any] = []
    for x in inputs:
        if not isinstance(x, torch.Tensor):
            out.append(None)
        elif x.numel() > DIGEST_NUMEL:
            out.append(tensor_digest(x))
        else:
            out.append(x.detach().cpu().clone())
    return out
