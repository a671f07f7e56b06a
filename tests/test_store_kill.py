"""Durability: a writer killed with SIGKILL loses nothing it committed; parallel writers all land."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from test_store_support import (  # noqa: F401 - db_url is a fixture
    KERNEL_SOURCE,
    PROBLEM_SOURCE,
    child_env,
    db_url,
    make_verdict,
)

from kernelwright.store import Store
from kernelwright.store.signing import verify_record

N_ITEMS = 40

WRITER = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, {tests!r})
    from test_store_support import KERNEL_SOURCE, PROBLEM_SOURCE, make_verdict
    from kernelwright.store import Store

    url, run_id, worker, n, delay = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    store = Store.open(url)
    for i in range(n):
        key = f"{{worker}}-{{i}}"
        rec = store.record_verdict(make_verdict(problem=f"problems/p{{i % 5}}.py"), problem_source=PROBLEM_SOURCE,
                                   candidate_source=KERNEL_SOURCE, run_id=run_id, item_key=key)
        print(json.dumps({{"key": key, "record_id": rec.record_id}}), flush=True)
        time.sleep(delay)
    print("DONE", flush=True)
""").format(tests=str(Path(__file__).resolve().parent))


def spawn(
    script: Path, url: str, run_id: str, worker: str, n: int, delay: float, home: Path
) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(script), url, run_id, worker, str(n), str(delay)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(home),
    )


def test_sigkill_loses_no_committed_record_and_run_resumes(db_url: str, tmp_path: Path) -> None:  # noqa: F811
    home = Path(os.environ["KERNELWRIGHT_HOME"])
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    store = Store.open(db_url)
    run_id = store.start_run("suite", {"items": N_ITEMS})

    proc = spawn(script, db_url, run_id, "w", N_ITEMS, 0.02, home)
    reported: dict[str, str] = {}
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    while len(reported) < 8 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        doc = json.loads(line)
        reported[doc["key"]] = doc["record_id"]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert len(reported) >= 8, proc.stderr.read() if proc.stderr else ""

    # Everything the child was told was recorded is there, signed and intact.
    done = store.finished_items(run_id)
    for key, record_id in reported.items():
        assert done[key]["record_id"] == record_id
    assert len(done) < N_ITEMS  # the kill really interrupted the run
    assert all(verify_record(v) for v in done.values())
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"

    # Resume: do only what is missing, then finish.
    store.reopen_run(run_id)
    for i in range(N_ITEMS):
        key = f"w-{i}"
        if key in done:
            continue
        store.record_verdict(
            make_verdict(problem=f"problems/p{i % 5}.py"),
            problem_source=PROBLEM_SOURCE,
            candidate_source=KERNEL_SOURCE,
            run_id=run_id,
            item_key=key,
        )
    store.finish_run(run_id, {"items": N_ITEMS})
    final = store.finished_items(run_id)
    assert set(final) == {f"w-{i}" for i in range(N_ITEMS)}
    info = store.get_run(run_id)
    assert info["records"] == N_ITEMS and info["status"] == "finished"  # no item recorded twice
    store.close()


@pytest.mark.slow
def test_parallel_writers_all_land(db_url: str, tmp_path: Path) -> None:  # noqa: F811
    """Several processes writing the same problem/candidate/environment at once (SQLite locks, PG races)."""
    home = Path(os.environ["KERNELWRIGHT_HOME"])
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    store = Store.open(db_url)  # creates the schema and the key before the workers start
    store.signer  # noqa: B018
    run_id = store.start_run("suite", {})
    procs = [spawn(script, db_url, run_id, f"p{w}", 12, 0.0, home) for w in range(5)]
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        assert out.strip().endswith("DONE")
    done = store.finished_items(run_id)
    assert len(done) == 60 and all(verify_record(v) for v in done.values())
    assert len({v["public_key"] for v in done.values()}) == 1
    store.close()


def test_parallel_first_open_creates_schema_once(db_url: str) -> None:  # noqa: F811
    """Workers opening a brand-new database together must not trip over each other's CREATE TABLE."""
    home = Path(os.environ["KERNELWRIGHT_HOME"])
    code = "import sys; from kernelwright.store import Store; s = Store.open(sys.argv[1]); print(s.schema_version())"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, db_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(home),
        )
        for _ in range(5)
    ]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert out.strip() == "1"
