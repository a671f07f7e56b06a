"""Settings read from the environment, through typed readers, in one place."""

from __future__ import annotations

import math
import os
from pathlib import Path

from platformdirs import user_cache_dir, user_config_dir, user_data_dir

DB_ENV = "KERNELWRIGHT_DB"
# Settings that change how a candidate is judged; forwarded so a remote worker judges like the driver.
FORWARDED_ENV = ("KERNELWRIGHT_FORCE_CPU", "KERNELWRIGHT_CPU_INPUT_BUDGET", "KERNELWRIGHT_MAX_WORKER_MB")


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        from kernelwright.errors import BadInput

        raise BadInput(f"{name}={raw!r} is not a finite number")
    return value


def _int(name: str, default: int) -> int:
    return int(_float(name, float(default)))


def home() -> Path | None:
    """KERNELWRIGHT_HOME, when set, holds config, data and cache (handy for tests and CI).

    One that names an existing file is bad input (exit 2): every later mkdir under it would fail with
    an error that does not say which setting is wrong.
    """
    raw = os.environ.get("KERNELWRIGHT_HOME")
    if not raw:
        return None
    path = Path(raw)
    if path.exists() and not path.is_dir():
        from kernelwright.errors import BadInput

        raise BadInput(f"KERNELWRIGHT_HOME={raw} is not a directory")
    return path


def config_dir() -> Path:
    """Where the key pair lives: ``$KERNELWRIGHT_HOME`` or the platform's user config dir."""
    return home() or Path(user_config_dir("kernelwright"))


def data_dir() -> Path:
    """Where the default database lives: ``$KERNELWRIGHT_HOME`` or the platform's user data dir."""
    return home() or Path(user_data_dir("kernelwright"))


def db_url() -> str | None:
    """``$KERNELWRIGHT_DB``: an SQLAlchemy URL for the store (None: the default SQLite file)."""
    return os.environ.get(DB_ENV) or None


def db_busy_timeout_ms() -> int:
    """``$KERNELWRIGHT_DB_BUSY_TIMEOUT_MS``: how long an SQLite writer waits for the write lock (60 s).

    Past it the write fails and the CLI spools the verdict (store/spool.py) instead of losing it.
    """
    return max(0, _int("KERNELWRIGHT_DB_BUSY_TIMEOUT_MS", 60_000))


def spool_dir() -> Path:
    """Where verdicts that could not be recorded wait to be retried (``kernelwright kb flush-spool``)."""
    return data_dir() / "spool"


def debug() -> bool:
    """KERNELWRIGHT_DEBUG=1: an internal error shows its traceback instead of one line."""
    return os.environ.get("KERNELWRIGHT_DEBUG", "") not in ("", "0")


def forwarded_settings() -> dict[str, str]:
    """The judging settings set in this process, to hand to a remote judge (Ray)."""
    return {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}


def cache_dir() -> Path:
    base = home()
    path = base / "cache" if base else Path(user_cache_dir("kernelwright"))
    path.mkdir(parents=True, exist_ok=True)
    return path


MEMORY_SHARE = 0.8  # of the memory available to this process, shared by the concurrent workers
MIN_WORKER_MB = 256  # below this nothing imports torch; a cap this low is a misconfiguration anyway
MEMINFO = Path("/proc/meminfo")
CGROUP_ROOT = Path("/sys/fs/cgroup")


def _read_int(path: Path) -> int | None:
    try:
        raw = path.read_text().strip()
    except OSError:
        return None
    return int(raw) if raw.isdigit() else None  # "max" (cgroup v2): no limit


def _cgroup_room_bytes() -> int | None:
    """Bytes left under this process's cgroup memory limit (a container's RAM), or None without one."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, rel = line.split(":", 2)
        rel = rel.lstrip("/")
        if controllers == "":  # cgroup v2
            base = CGROUP_ROOT / rel
            limit, used = _read_int(base / "memory.max"), _read_int(base / "memory.current")
        elif "memory" in controllers.split(","):
            base = CGROUP_ROOT / "memory" / rel
            limit = _read_int(base / "memory.limit_in_bytes")
            used = _read_int(base / "memory.usage_in_bytes")
        else:
            continue
        if limit is not None and limit < 1 << 60:  # v1 says "unlimited" with a huge number
            return max(0, limit - (used or 0))
    return None


def available_memory_mb() -> int | None:
    """Memory this process can use now, in MiB: MemAvailable (else MemTotal) of /proc/meminfo,
    lowered to the room under the cgroup limit in a container. None where neither can be read."""
    fields: dict[str, int] = {}
    try:
        for line in MEMINFO.read_text().splitlines():
            name, _, rest = line.partition(":")
            parts = rest.split()
            if parts and parts[0].isdigit():
                fields[name] = int(parts[0]) * 1024  # kB
    except OSError:
        pass
    candidates = [
        b for b in (fields.get("MemAvailable") or fields.get("MemTotal"), _cgroup_room_bytes()) if b
    ]
    return min(candidates) // 2**20 if candidates else None


def max_worker_memory_mb(jobs: int = 1) -> int:
    """Memory ceiling (MiB) for one candidate worker's process tree when ``jobs`` judge at once.

    ~80% of the memory available now, divided by the concurrent workers, so N workers that all hit
    their cap still leave the machine standing; ``$KERNELWRIGHT_MAX_WORKER_MB`` can only lower it.
    The trusted reference worker of each judgement is not counted: its size is the problem's, not an
    attacker's. Without /proc (not Linux) the old fixed 12 GB default applies.
    """
    jobs = max(1, int(jobs))
    avail = available_memory_mb()
    computed = max(MIN_WORKER_MB, int(avail * MEMORY_SHARE / jobs)) if avail else 12_000
    return min(computed, _int("KERNELWRIGHT_MAX_WORKER_MB", computed))


def cpu_input_budget() -> int:
    """Largest total input element count judged at `get_inputs()` size on the CPU interpreter.

    Above it, the benchmark-size seeds are replaced by extra fuzz cases (said in the verdict): the
    Triton interpreter runs ~1e6-1e7 elements/s for simple kernels, far slower for tl.dot.
    """
    return _int("KERNELWRIGHT_CPU_INPUT_BUDGET", 1 << 18)


def force_cpu() -> bool:
    return os.environ.get("KERNELWRIGHT_FORCE_CPU", "") not in ("", "0")


def trace_enabled() -> bool:
    """KERNELWRIGHT_TRACE=1: the judge prints where a judgement spends its time (stderr)."""
    return os.environ.get("KERNELWRIGHT_TRACE", "") not in ("", "0")
