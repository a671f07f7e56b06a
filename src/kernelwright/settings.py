"""Settings read from the environment, through typed readers, in one place."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        from kernelwright.errors import BadInput

        raise BadInput(f"{name}={raw!r} is not a number") from exc


def _int(name: str, default: int) -> int:
    return int(_float(name, float(default)))


def home() -> Path | None:
    """KERNELWRIGHT_HOME, when set, holds config, data and cache (handy for tests and CI)."""
    raw = os.environ.get("KERNELWRIGHT_HOME")
    return Path(raw) if raw else None


def cache_dir() -> Path:
    base = home()
    path = base / "cache" if base else Path(user_cache_dir("kernelwright"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_worker_memory_mb() -> int:
    """Host-memory ceiling for one candidate worker's process tree (the watchdog kills above it)."""
    return _int("KERNELWRIGHT_MAX_WORKER_MB", 12_000)


def cpu_input_budget() -> int:
    """Largest total input element count judged at `get_inputs()` size on the CPU interpreter.

    Above it, the benchmark-size seeds are replaced by extra fuzz cases (said in the verdict): the
    Triton interpreter runs ~1e6-1e7 elements/s for simple kernels, far slower for tl.dot.
    """
    return _int("KERNELWRIGHT_CPU_INPUT_BUDGET", 1 << 18)


def force_cpu() -> bool:
    return os.environ.get("KERNELWRIGHT_FORCE_CPU", "") not in ("", "0")
