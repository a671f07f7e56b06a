"""How the judge starts its two workers: each in its own jail (sandbox/jail.py), with only what it needs.

The candidate worker sees: the read-only system, the Python install and this package, a read-only
copy of the problem, its candidate file, and one private size-capped tmpfs (HOME, TMPDIR, Triton's
cache). Nothing of the judge's: not the signing key, the store, the judge's caches or the original
problem file (DESIGN "Isolation", THREATS #18-27).

The reference worker runs problem code, which an MCP client may supply, so it is jailed the same way.
It also writes the persistent Inductor/Triton caches of the compile baseline; those are kept *per
problem* (keyed by the problem source's hash and the toolchain), so a hostile problem can poison only
its own baseline, never another problem's (THREATS #23).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path

from kernelwright import environment
from kernelwright.judge.config import JudgeConfig
from kernelwright.sandbox.jail import JailSpec
from kernelwright.sandbox.launch import Worker, scrubbed_env
from kernelwright.settings import cache_dir, max_worker_memory_mb

# Paths inside the jails. Plain names: nothing here says "judge" to a candidate that looks around.
# The writable tmpfs is not at /tmp, so a path the host has under /tmp (the judge's temp files, a
# test's tmp_path) is plainly *outside* the worker's own directory and the audit hook names the try;
# and no bound host path may lie under it, or the audit hook would take the harness's own frames
# (a checkout at /work/main, say) for the candidate's: `_check_work_dir` refuses that.
WORK = "/scratch"
INPUT_INSIDE = f"{WORK}/in"  # read-only: problem.py (both workers) and model_new.py (the candidate's)
PROBLEM_FILE, CANDIDATE_FILE = "problem.py", "model_new.py"
REF_CACHE_INSIDE = "/var/cache/reference"
# The candidate's tmpfs holds Triton's and torch-extension build caches: a CUDA C++ extension build
# with its objects takes ~200-400 MB; 2 GiB leaves room and still caps a disk-filling candidate.
CANDIDATE_TMPFS_MB = 2048
REFERENCE_TMPFS_MB = 2048


def _check_work_dir() -> None:
    import sys

    from kernelwright.secrets import package_root

    for path in (package_root(), sys.prefix, sys.base_prefix):
        if path == WORK or path.startswith(WORK + "/"):
            raise RuntimeError(f"{path} lies under the jail's work dir {WORK}: move it, or change WORK")


def reference_cache_dir(problem_source: str) -> Path:
    """The compile-baseline cache of one problem on this toolchain (THREATS #23: never shared)."""
    env = environment.current([])
    key = hashlib.sha256(
        "\0".join([problem_source, str(env.torch), str(env.triton), str(env.device)]).encode()
    ).hexdigest()[:24]
    path = cache_dir() / "reference" / key
    for sub in ("inductor", "triton"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    return path


def lock_reference_cache(problem_source: str) -> int | None:
    """An open descriptor holding this problem's compile cache alone, or None when another reference
    worker (a thread or another judge process) holds it.

    The cache is chowned to the worker's fresh uid at its start, so two workers at once would write
    into each other's files and fail (H200, three concurrent judgements of one problem: Inductor's
    PermissionError on the cache). The second one compiles without the cache instead.
    """
    path = reference_cache_dir(problem_source).with_suffix(".lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd
    except BlockingIOError:
        os.close(fd)
        return None


def start_reference(
    home: Path, problem_source: str, config: JudgeConfig, cuda: bool, cache_lock: int | None
) -> Worker:
    """A reference worker for one problem: `home/in/problem.py` is bound read-only at INPUT_INSIDE.

    `home` belongs to the worker (judge/pool.py): the problem copy and, without bubblewrap, the
    worker's HOME. The per-problem compile caches are bound read-write when `config.reference_cache`
    and the caller holds them (`cache_lock`, from lock_reference_cache).
    """
    _check_work_dir()
    rw: dict[str, str] = {}
    extra: dict[str, str] = {}
    if config.reference_cache and cache_lock is not None:
        rw[str(reference_cache_dir(problem_source))] = REF_CACHE_INSIDE
        extra = {
            "TORCHINDUCTOR_CACHE_DIR": f"{REF_CACHE_INSIDE}/inductor",
            "TRITON_CACHE_DIR": f"{REF_CACHE_INSIDE}/triton",
        }
    (home / "in").mkdir(exist_ok=True)
    (home / "in" / "problem.py").write_text(problem_source, encoding="utf-8")
    code_binds, code_env = _bytecode()
    env = scrubbed_env(home / "home", cuda, {**extra, **code_env})
    spec = JailSpec(
        ro_binds={str(home / "in"): INPUT_INSIDE, **code_binds},
        rw_binds=rw,
        gpu=cuda,
        tmpfs_mb=REFERENCE_TMPFS_MB,
        memory_mb=config.memory_limit_mb or max_worker_memory_mb(),
        env=env,
        cwd=WORK,
        writable=WORK,
        host_writable=str(home),  # without bubblewrap: problem.py under the worker's own dir
    )
    return Worker("kernelwright.worker.reference", env=env, cwd=home, jail=spec)


def start_candidate(home: Path, cuda: bool, memory_limit_mb: int | None) -> Worker:
    """A candidate worker that starts now and waits for its job (judge/pool.py pre-starts them).

    `home/in` is bound read-only at INPUT_INSIDE and empty at start: the judge writes the problem
    and the candidate there when it hands the worker a job, so a pre-started worker has loaded torch
    and Triton before any candidate exists.
    """
    _check_work_dir()
    (home / "in").mkdir(exist_ok=True)
    code_binds, code_env = _bytecode()
    env = scrubbed_env(home / "home", cuda, code_env)
    spec = JailSpec(
        ro_binds={str(home / "in"): INPUT_INSIDE, **code_binds},
        gpu=cuda,
        tmpfs_mb=CANDIDATE_TMPFS_MB,
        memory_mb=memory_limit_mb or max_worker_memory_mb(),
        env=env,
        cwd=WORK,
        writable=WORK,
        # Without bubblewrap the candidate's file must lie under its private dir too, or the audit
        # hook would take the candidate's frames for the harness's (sandbox/policy.py).
        host_writable=str(home),
    )
    return Worker(
        "kernelwright.worker.candidate", env=env, cwd=home, memory_limit_mb=memory_limit_mb, jail=spec
    )


def _bytecode() -> tuple[dict[str, str], dict[str, str]]:
    """The judge's bytecode cache for a worker, read-only, where the install has none (bytecode.py)."""
    from kernelwright import bytecode
    from kernelwright.sandbox.jail import probe

    return bytecode.worker_binds(jailed=probe().bwrap is not None)


def private_dir(worker: Worker, home: Path) -> str:
    """The candidate's private directory as it sees it: the tmpfs, or `home` without bubblewrap."""
    return worker.jail.writable if worker.jail is not None else str(home)
