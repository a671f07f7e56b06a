"""A bytecode cache the judge writes and its jailed workers read (issue 14: a worker's start).

Some images ship torch without `.pyc` files and set PYTHONDONTWRITEBYTECODE=1 (the H200 image of
benchmarks/results/timing_h200_2026-12-02b: no `torch/__pycache__`); every process then compiles
torch's sources again: `import torch._dynamo` took 8.2-10.4 s there, 4.4 s with the bytecode in a
PYTHONPYCACHEPREFIX. A cold verdict starts three interpreters (the judge and two workers), so on such
an image the judge keeps the bytecode itself:

- only when the installed torch has none of its own (or KERNELWRIGHT_BYTECODE_CACHE=1 forces it; =0
  turns it off): with bytecode next to the sources a prefix would only hide it;
- the judge (trusted, outside any jail) writes it, under its cache dir, for the modules it imports, and
  on a cold cache also imports what the workers will (`warm`), while they start;
- workers read it through a read-only bind (PYTHONPYCACHEPREFIX, PYTHONDONTWRITEBYTECODE=1): nothing a
  candidate or a problem runs can write bytecode another process will load. Python checks each file
  against its source's size and mtime, so a changed source is compiled afresh, never a stale `.pyc` run.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from pathlib import Path

INSIDE = "/var/cache/pyc"  # where a jailed worker sees the cache (read-only)
# What the workers import that the judge itself may not: imported once by the judge on a cold cache.
WARM_MODULES = (
    "torch._dynamo",
    "triton",
    "triton.language",
    "kernelwright.worker.candidate",
    "kernelwright.worker.reference",
    "kernelwright.worker.seal",
    "kernelwright.worker.strict",
    "kernelwright.worker.launches",
)


def _own_bytecode(module: str) -> bool | None:
    """Whether `module`'s __init__ has a .pyc next to its source (None: not installed)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    origin = Path(spec.origin)
    return (origin.parent / "__pycache__" / f"{origin.stem}.{sys.implementation.cache_tag}.pyc").exists()


def needed() -> bool:
    switch = os.environ.get("KERNELWRIGHT_BYTECODE_CACHE", "")
    if switch in ("0", "1"):
        return switch == "1"
    return _own_bytecode("torch") is False


@functools.cache
def enable() -> Path | None:
    """Point this process's bytecode at the judge's cache (before torch is imported, ideally)."""
    if not needed() or sys.implementation.cache_tag is None:
        return None
    from kernelwright.settings import cache_dir

    path = cache_dir() / f"bytecode-{sys.implementation.cache_tag}"
    path.mkdir(mode=0o755, parents=True, exist_ok=True)
    sys.pycache_prefix = str(path)
    sys.dont_write_bytecode = False
    return path


def warm() -> None:
    """On a cold cache, import what the workers will, so their next start reads it (the judge pays the
    compile once, while the workers start). A warm cache costs one file check."""
    if enable() is None or _cached("torch._dynamo"):
        return
    for name in WARM_MODULES:
        if name not in sys.modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - a module this host cannot import: the worker will say so
                continue


def _cached(module: str) -> bool:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return True  # nothing to warm
    return Path(importlib.util.cache_from_source(spec.origin)).exists()  # under the prefix


def worker_binds(jailed: bool) -> tuple[dict[str, str], dict[str, str]]:
    """(read-only binds, environment) that give a worker the judge's bytecode; ({}, {}) when off."""
    path = enable()
    if path is None:
        return {}, {}
    if not jailed:  # the fallback worker sees the host's paths
        return {}, {"PYTHONPYCACHEPREFIX": str(path)}
    return {str(path): INSIDE}, {"PYTHONPYCACHEPREFIX": INSIDE}
