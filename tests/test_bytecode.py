"""The judge's bytecode cache (kernelwright/bytecode.py): on only where the install has no bytecode,
written by the judge, read by the jailed workers through a read-only bind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kernelwright import bytecode

ROOT = Path(__file__).resolve().parents[1]


def test_off_where_torch_has_its_own_bytecode_and_switchable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KERNELWRIGHT_BYTECODE_CACHE", raising=False)
    assert bytecode.needed() is (bytecode._own_bytecode("torch") is False)
    monkeypatch.setenv("KERNELWRIGHT_BYTECODE_CACHE", "1")
    assert bytecode.needed()
    monkeypatch.setenv("KERNELWRIGHT_BYTECODE_CACHE", "0")
    assert not bytecode.needed()
    assert bytecode.worker_binds(jailed=True) == ({}, {})  # off: workers get nothing of the judge's


_DRIVER = """
import json, sys
from kernelwright import bytecode
path = bytecode.enable()
binds, env = bytecode.worker_binds(jailed=True)
import torch  # written to the cache by this (trusted) process
print("JSON " + json.dumps({"path": str(path), "binds": binds, "env": env, "prefix": sys.pycache_prefix}))
"""


def test_forced_on_the_judge_writes_and_workers_get_a_read_only_bind(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "KERNELWRIGHT_HOME": str(tmp_path),
        "KERNELWRIGHT_BYTECODE_CACHE": "1",
    }
    env.pop("PYTHONPYCACHEPREFIX", None)
    out = subprocess.run(
        [sys.executable, "-c", _DRIVER], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(next(x for x in out.stdout.splitlines() if x.startswith("JSON "))[5:])
    path = Path(got["path"])
    assert path.parent == tmp_path / "cache" and got["prefix"] == str(path)
    assert got["binds"] == {str(path): bytecode.INSIDE}  # read-only: JailSpec.ro_binds
    assert got["env"] == {"PYTHONPYCACHEPREFIX": bytecode.INSIDE}
    import torch

    assert _in_cache(path, Path(torch.__file__)).exists()  # the judge wrote it


def test_a_verdict_with_the_cache_forced_on_is_unchanged(tmp_path: Path) -> None:
    """Two verdicts on a fresh home with the cache forced on: both accepted; the first warms the cache
    with the workers' imports (the candidate worker's own module among them)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "KERNELWRIGHT_HOME": str(tmp_path),
        "KERNELWRIGHT_BYTECODE_CACHE": "1",
    }
    cmd = [
        sys.executable, "-m", "kernelwright", "verify",
        str(ROOT / "src/kernelwright/problems/level1/relu.py"), str(ROOT / "examples/relu_correct.py"),
        "--json", "--no-store", "--fuzz", "3", "--allow-weak-sandbox",
    ]  # fmt: skip
    for _ in range(2):
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
        assert json.loads(out.stdout)["verdict"] == "accepted", out.stderr[-2000:]
    cache = next((tmp_path / "cache").glob("bytecode-*"))
    assert _in_cache(cache, ROOT / "src/kernelwright/worker/candidate.py").exists()


def _in_cache(prefix: Path, source: Path) -> Path:
    """Where Python keeps `source`'s bytecode under a PYTHONPYCACHEPREFIX (no __pycache__ there)."""
    return prefix / str(source.parent).lstrip("/") / f"{source.stem}.{sys.implementation.cache_tag}.pyc"
