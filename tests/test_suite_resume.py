"""`suite run` killed with SIGKILL continues with `--resume RUN_ID`: nothing finished is redone or lost."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from kernelwright.problem import bundled_dir
from kernelwright.store import Store

ROOT = Path(__file__).resolve().parents[1]


def _suite(tmp: Path) -> tuple[Path, Path]:
    problems, cands = tmp / "problems", tmp / "cands" / "relu"
    problems.mkdir()
    cands.mkdir(parents=True)
    shutil.copy(bundled_dir() / "level1" / "relu.py", problems / "relu.py")
    for i in range(5):  # five correct candidates for one problem: <stem>/*.py
        shutil.copy(ROOT / "examples" / "relu_correct.py", cands / f"c{i}.py")
        (cands / f"c{i}.py").write_text((cands / f"c{i}.py").read_text() + f"\n# variant {i}\n")
    return problems, tmp / "cands"


def _cmd(problems: Path, cands: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "kernelwright",
        "suite",
        "run",
        str(problems),
        "--candidates",
        str(cands),
        "--json",
        "--fuzz",
        "2",
        "--seeds",
        "1",
        *extra,
    ]


def test_sigkilled_suite_run_resumes_without_redoing_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    problems, cands = _suite(tmp_path)
    env = {**os.environ, "KERNELWRIGHT_HOME": str(tmp_path / "home")}
    monkeypatch.setenv("KERNELWRIGHT_HOME", env["KERNELWRIGHT_HOME"])  # this process reads the same store
    proc = subprocess.Popen(
        _cmd(problems, cands),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    store = None
    deadline = time.monotonic() + 240
    done: list[dict] = []
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if (tmp_path / "home").exists():
            store = store or Store.open()
            done = store.list_records()
            if len(done) >= 2:
                break
        assert proc.poll() is None, "the run finished before it could be killed; make the suite longer"
    os.killpg(proc.pid, signal.SIGKILL)  # the whole tree, workers included: a real, unclean death
    proc.wait(timeout=30)
    assert store is not None and len(done) >= 2
    run_id = done[0]["run_id"]
    assert run_id and all(r["run_id"] == run_id for r in done)
    before = {r["item_key"] for r in store.list_records()}
    assert 2 <= len(before) < 5

    out = subprocess.run(
        _cmd(problems, cands, "--resume", run_id), env=env, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-2000:]
    body = json.loads(out.stdout)
    assert body["run_id"] == run_id
    assert [r["verdict"] for r in body["results"]] == ["accepted"] * 5
    keys = Counter(r["item_key"] for r in store.list_records() if r["run_id"] == run_id)
    assert len(keys) == 5 and set(keys.values()) == {1}  # every item judged exactly once, none lost
    assert before <= set(keys)
