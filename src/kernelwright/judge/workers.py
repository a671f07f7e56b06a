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

import hashlib
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
PROBLEM_INSIDE = f"{WORK}/problem.py"
CANDIDATE_INSIDE = f"{WORK}/model_new.py"
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


def start_reference(
    tmp: Path, problem_copy: Path, problem_source: str, config: JudgeConfig, cuda: bool, keep_caches: bool
) -> Worker:
    _check_work_dir()
    rw: dict[str, str] = {}
    extra: dict[str, str] = {}
    if keep_caches:
        rw[str(reference_cache_dir(problem_source))] = REF_CACHE_INSIDE
        extra = {
            "TORCHINDUCTOR_CACHE_DIR": f"{REF_CACHE_INSIDE}/inductor",
            "TRITON_CACHE_DIR": f"{REF_CACHE_INSIDE}/triton",
        }
    env = scrubbed_env(tmp / "ref", cuda, extra)
    spec = JailSpec(
        ro_binds={str(problem_copy): PROBLEM_INSIDE},
        rw_binds=rw,
        gpu=cuda,
        tmpfs_mb=REFERENCE_TMPFS_MB,
        memory_mb=config.memory_limit_mb or max_worker_memory_mb(),
        env=env,
        cwd=WORK,
        writable=WORK,
    )
    return Worker(
        "kernelwright.worker.reference", env=env, cwd=tmp, log_path=tmp / "reference.log", jail=spec
    )


def start_candidate(tmp: Path, private: Path, problem_copy: Path, config: JudgeConfig, cuda: bool) -> Worker:
    env = scrubbed_env(private, cuda)
    spec = JailSpec(
        ro_binds={str(problem_copy): PROBLEM_INSIDE, str(private / "candidate.py"): CANDIDATE_INSIDE},
        gpu=cuda,
        tmpfs_mb=CANDIDATE_TMPFS_MB,
        memory_mb=config.memory_limit_mb or max_worker_memory_mb(),
        env=env,
        cwd=WORK,
        writable=WORK,
    )
    return Worker(
        "kernelwright.worker.candidate",
        env=env,
        cwd=private,
        log_path=tmp / "candidate.log",
        memory_limit_mb=config.memory_limit_mb,
        jail=spec,
    )
