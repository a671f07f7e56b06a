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
from typing import Any

import pytest

from kernelwright.problem import bundled_dir
from kernelwright.store import Store
from kernelwright.verdict import sha256_text

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


def _invoke(*args: object) -> Any:
    from typer.testing import CliRunner

    from kernelwright.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def test_resume_is_keyed_by_content_an_edited_or_tampered_item_is_judged_again(tmp_path: Path) -> None:
    """Issue 17 #8: `--resume` matched by file name, so an edited candidate kept its old verdict.

    Judges for real, cheaply: every candidate has a syntax error, which the static guard rejects
    before any worker starts.
    """
    from sqlalchemy import text

    problems, cands = tmp_path / "problems", tmp_path / "cands" / "relu"
    problems.mkdir()
    cands.mkdir(parents=True)
    shutil.copy(bundled_dir() / "level1" / "relu.py", problems / "relu.py")
    for name in ("a", "b", "c"):
        (cands / f"{name}.py").write_text(f"def {name}(:\n")
    url = f"sqlite:///{tmp_path / 'kw.db'}"
    args = ("suite", "run", problems, "--candidates", tmp_path / "cands", "--db", url, "--json")
    first = _invoke(*args)
    assert first.exit_code == 1, first.stderr
    run_id = json.loads(first.stdout)["run_id"]

    (cands / "a.py").write_text("def a_edited(:\n")  # edited after it was judged
    with Store.open(url) as store, store.engine.begin() as conn:  # a row edited in the database
        conn.execute(
            text(
                "UPDATE kw_verdicts SET verdict_json = replace(verdict_json, 'syntax', 'SYNTAX') WHERE item_key = :k"
            ),
            {"k": "relu::b.py"},
        )
    again = _invoke(*args, "--resume", run_id)
    assert again.exit_code == 1, again.stderr
    body = json.loads(again.stdout)
    shas = {r["candidate"].rsplit("/", 1)[1]: r["candidate_sha256"] for r in body["results"]}
    assert shas["a.py"] == sha256_text("def a_edited(:\n")  # the new file's verdict, not the old one
    with Store.open(url) as store:
        judged = Counter(r["item_key"] for r in store.list_records(include_unverified=True))
    assert judged == {"relu::a.py": 2, "relu::b.py": 2, "relu::c.py": 1}  # c alone was kept
