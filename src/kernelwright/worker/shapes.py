"""Other shapes for problems that bring none: fuzz cases derived from a problem's size globals.

KernelBench problems have no `get_fuzz_inputs`: only the benchmark shape would be checked, and a kernel
right only at that shape (no bounds mask, a hard-coded size) would pass (issue #15). Their shapes come
from module-level integers (`batch_size = 16`, `dim = 16384`, `M, K, N`) read by `get_inputs()`.
Re-evaluating `get_inputs()` with those integers set to tiny, ragged and non-power-of-two values gives
other shapes with the problem's own value distributions.

Only globals that `get_inputs` reads and neither `get_init_inputs` nor the `Model` class reads are
changed: those would change the model itself (`in_features`) or what it computes (`dim = 1` as a
reduction axis). Both workers derive the same shapes from the same seed; the reference worker runs
each derived case once (`meta`) and the judge plans only the ones the reference accepts.

`estimate_inputs` evaluates `get_inputs()` on PyTorch's meta device: shapes and dtypes without
allocating, so a problem with multi-GB default inputs is sized before anything is allocated.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

# Tiny, ragged, non-power-of-two; never above a global's own value. Seed i takes SIZES[(i + k) % n]
# for the k-th global, so two globals rarely share a value (an M == N bug stays visible).
SIZES = (1, 3, 7, 17, 33, 65, 127, 200)


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _read_by(obj: Any) -> set[str]:
    """Global names a function, or any method of a class, may read."""
    if isinstance(obj, types.FunctionType):
        return _names(obj.__code__)
    if isinstance(obj, type):
        out: set[str] = set()
        for value in vars(obj).values():
            fn = getattr(value, "__func__", value)
            if isinstance(fn, types.FunctionType):
                out |= _names(fn.__code__)
        return out
    return set()


def size_globals(problem: types.ModuleType) -> list[str]:
    """Positive int globals read by get_inputs only (sorted: the same order in both workers)."""
    get_inputs = getattr(problem, "get_inputs", None)
    if not isinstance(get_inputs, types.FunctionType):
        return []
    fixed = _read_by(getattr(problem, "get_init_inputs", None)) | _read_by(getattr(problem, "Model", None))
    out = []
    for name in sorted(_read_by(get_inputs) - fixed):
        value = vars(problem).get(name)
        if type(value) is int and value > 0:
            out.append(name)
    return out


def derived_sizes(problem: types.ModuleType, seed: int) -> dict[str, int]:
    out = {}
    for k, name in enumerate(size_globals(problem)):
        original = vars(problem)[name]
        allowed = [s for s in SIZES if s < original] or [original]
        out[name] = allowed[(seed + k) % len(allowed)]
    return out


@contextmanager
def _globals_set(problem: types.ModuleType, values: dict[str, int]) -> Iterator[None]:
    old = {name: vars(problem)[name] for name in values}
    try:
        for name, value in values.items():
            setattr(problem, name, value)
        yield
    finally:
        for name, value in old.items():
            setattr(problem, name, value)


def derived_inputs(problem: types.ModuleType, seed: int) -> list:
    """get_inputs() with the size globals at seed's derived values (ValueError when there are none)."""
    sizes = derived_sizes(problem, seed)
    if not sizes:
        raise ValueError("the problem has no size globals to derive fuzz shapes from")
    with _globals_set(problem, sizes):
        return list(problem.get_inputs())


def estimate_inputs(problem: types.ModuleType) -> list | None:
    """get_inputs() on the meta device (shapes and dtypes, no memory), or None when it cannot run there
    (inputs built with NumPy, moved with .cuda(), or from data files)."""
    try:
        with torch.device("meta"):
            raw = list(problem.get_inputs())
    except Exception:  # noqa: BLE001 - any failure only means "no estimate"
        return None
    tensors = [t for t in raw if isinstance(t, torch.Tensor)]
    if any(t.device.type != "meta" for t in tensors):
        return None  # made without the factory functions: already allocated, not an estimate
    return raw


def tensor_bytes(inputs: list) -> int:
    return sum(t.numel() * t.element_size() for t in inputs if isinstance(t, torch.Tensor))
