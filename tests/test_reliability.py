"""Reliability (issue 17): no verdict lost (#5), memory caps from RAM and concurrency (#7), a
directory is not a file (#8), corrupt databases refused on open (#10), no password and no traceback
(#11), --allow-weak-sandbox, and workers that die with the judge (#1).

Most tests go through the CLI in-process (typer's CliRunner) with the judge replaced by `fake_judge`,
which returns a well-formed verdict at once: what is under test is what happens around a verdict.
The few that judge for real say so.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from test_store_support import KERNEL_SOURCE, PROBLEM_SOURCE, env, make_verdict
from typer.testing import CliRunner

from kernelwright import settings
from kernelwright.cli import app
from kernelwright.cli import common as cli_common
from kernelwright.problem import bundled_dir
from kernelwright.store import Store, StoreError
from kernelwright.store.signing import KEY_FILE, verify_record
from kernelwright.store.spool import pending

ROOT = Path(__file__).resolve().parents[1]
RELU = bundled_dir() / "level1" / "relu.py"
GOOD = ROOT / "examples" / "relu_correct.py"
runner = CliRunner()


def invoke(*args: Any, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, [str(a) for a in args], env=env)


def stderr_lines(res: Any) -> list[str]:
    assert "Traceback" not in (res.stdout or "") + (res.stderr or "")
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return [line for line in res.stderr.splitlines() if line.strip()]


def one_line(res: Any, code: int = 2) -> str:
    lines = stderr_lines(res)
    assert res.exit_code == code and len(lines) == 1, (res.exit_code, res.stderr, res.stdout[-500:])
    assert "internal error" not in lines[0]
    return lines[0]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def _fresh_cli_state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(cli_common, "_flush_due", True)
    monkeypatch.delenv("KERNELWRIGHT_DB", raising=False)
    monkeypatch.delenv("KERNELWRIGHT_MAX_WORKER_MB", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def fake_judge(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """`kernelwright.judge.judge` answering at once: rejected for files named *wrong*, else accepted.

    Returns the list of JudgeConfig it was called with. ``before_verdict`` (an attribute of the list)
    runs inside the judgement, to change the world while "judging" (take a lock, break the key).
    """
    import kernelwright.judge

    class Calls(list):
        before_verdict: Any = None

    calls = Calls()

    def judge(
        problem: Any, candidate: Any, config: Any = None, problem_id: Any = None, repeat: int = 1
    ) -> Any:
        calls.append(config)
        if calls.before_verdict:
            calls.before_verdict()
        path = Path(candidate)
        source = path.read_text(encoding="utf-8")
        status = "rejected" if "wrong" in path.name else "accepted"
        pid = getattr(problem, "id", None) or str(problem)
        return make_verdict(
            source, problem=pid, verdict=status, timing=None, environment=env("cpu"), candidate=str(path)
        )

    monkeypatch.setattr(kernelwright.judge, "judge", judge, raising=False)
    return calls


@pytest.fixture
def candidates(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, body in (("good", "# good\n"), ("other", "# other\n"), ("wrong", "# wrong\n")):
        path = tmp_path / f"relu_{name}.py"
        path.write_text(GOOD.read_text() + body)
        out[name] = path
    return out


def spooled() -> list[dict]:
    return [json.loads(p.read_text()) for p in pending()]


def assert_private_spool() -> None:
    folder = settings.spool_dir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in pending():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


# ---------------------------------------------------------------------------------------------- #5
def test_postgres_down_verdict_is_spooled_printed_and_exit_is_the_verdicts(
    fake_judge: list, candidates: dict[str, Path]
) -> None:
    url = f"postgresql://kw:pw-s3cret-xyz@127.0.0.1:{closed_port()}/kw"
    for name, code in (("good", 0), ("wrong", 1)):
        res = invoke("verify", RELU, candidates[name], "--db", url, "--json")
        lines = stderr_lines(res)
        assert res.exit_code == code, res.stderr
        body = json.loads(res.stdout)
        assert body["verdict"] == ("accepted" if code == 0 else "rejected") and "record_id" not in body
        assert len(lines) == 1 and "spooled to" in lines[0] and "pw-s3cret-xyz" not in lines[0]
        assert "postgresql://kw:***@127.0.0.1" in lines[0]
    entries = spooled()
    assert [e["verdict"]["verdict"] for e in entries] == ["accepted", "rejected"]
    assert all("pw-s3cret-xyz" not in json.dumps(e) for e in entries)
    assert_private_spool()


def test_sqlite_lock_held_at_open_spools_and_the_next_record_flushes(
    fake_judge: list, candidates: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "kw.db"
    url = f"sqlite:///{db}"
    Store.open(url).close()
    monkeypatch.setenv("KERNELWRIGHT_DB_BUSY_TIMEOUT_MS", "200")
    lock = sqlite3.connect(db, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # another writer holds the write lock past the busy timeout
    res = invoke("verify", RELU, candidates["good"], "--db", url, "--json")
    lines = stderr_lines(res)
    assert res.exit_code == 0 and len(lines) == 1 and "locked" in lines[0] and "spooled to" in lines[0]
    assert len(spooled()) == 1
    lock.execute("ROLLBACK")
    lock.close()

    res = invoke("verify", RELU, candidates["other"], "--db", url, "--json")
    assert res.exit_code == 0 and "record_id" in json.loads(res.stdout)
    assert "recorded 1 spooled verdict(s)" in res.stderr
    assert spooled() == []
    with Store.open(url) as store:
        rows = store.list_records()
        assert len(rows) == 2 and store.unverified == 0
        provenances = [store.get_record(r["record_id"])["verdict_json"]["provenance"] for r in rows]  # type: ignore[index]
        (spooled_one,) = [p for p in provenances if "spooled_at" in p]
        assert "locked" in spooled_one["spool_reason"]


def test_sqlite_lock_taken_while_judging_spools(
    fake_judge: Any, candidates: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "kw.db"
    url = f"sqlite:///{db}"
    monkeypatch.setenv("KERNELWRIGHT_DB_BUSY_TIMEOUT_MS", "200")
    locks: list[sqlite3.Connection] = []

    def take_lock() -> None:
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locks.append(conn)

    fake_judge.before_verdict = take_lock
    res = invoke("verify", RELU, candidates["wrong"], "--db", url)
    lines = stderr_lines(res)
    assert res.exit_code == 1 and len(lines) == 1 and "spooled to" in lines[0], res.stderr
    assert "rejected" in res.stdout  # the verdict table is printed as usual
    locks[0].close()
    res = invoke("kb", "flush-spool", "--db", url)
    assert res.exit_code == 0 and "recorded 1" in res.stdout, res.stdout + res.stderr
    with Store.open(url) as store:
        assert [r["verdict"] for r in store.list_records()] == ["rejected"]


def test_corrupt_signing_key_spools_then_flush_after_the_key_is_fixed(
    fake_judge: list, candidates: dict[str, Path], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'kw.db'}"
    key = settings.config_dir() / KEY_FILE
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    res = invoke("verify", RELU, candidates["wrong"], "--db", url, "--json")
    lines = stderr_lines(res)
    assert res.exit_code == 1 and len(lines) == 1 and "signing key" in lines[0] and "spooled" in lines[0]
    assert json.loads(res.stdout)["verdict"] == "rejected"
    res = invoke("kb", "flush-spool", "--db", url)  # the key is still corrupt: nothing is lost
    assert res.exit_code == 1 and len(spooled()) == 1

    key.unlink()  # "restore": here, a new key
    res = invoke("kb", "flush-spool", "--db", url, "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["flushed"] == 1 and spooled() == []
    with Store.open(url) as store:
        (row,) = store.list_records()
        rec = store.get_record(row["record_id"])
        assert rec is not None and rec["verified"] and verify_record(rec["verdict_json"])
        assert rec["verdict_json"]["verdict"] == "rejected"


def test_flush_keeps_other_stores_entries_and_sets_garbage_aside(
    fake_judge: list, candidates: dict[str, Path], tmp_path: Path
) -> None:
    down = f"postgresql://kw:pw@127.0.0.1:{closed_port()}/kw"
    assert invoke("verify", RELU, candidates["good"], "--db", down).exit_code == 0
    (settings.spool_dir() / "00000000-garbage.json").write_text("{not json")
    url = f"sqlite:///{tmp_path / 'kw.db'}"
    res = invoke("kb", "flush-spool", "--db", url, "--json")
    assert res.exit_code == 0
    assert json.loads(res.stdout) | {"spool": None} == {
        "flushed": 0,
        "left": 0,
        "other_stores": 1,
        "bad": 1,
        "error": None,
        "spool": None,
    }
    assert list(settings.spool_dir().glob("*.bad"))
    res = invoke("kb", "flush-spool", "--db", url, "--all", "--json")
    assert json.loads(res.stdout)["flushed"] == 1 and spooled() == []
    with Store.open(url) as store:
        assert len(store.list_records()) == 1


def test_suite_run_spools_every_verdict_when_the_store_is_down(
    fake_judge: list, candidates: dict[str, Path], tmp_path: Path
) -> None:
    problems, cands = tmp_path / "problems", tmp_path / "cands" / "relu"
    problems.mkdir()
    cands.mkdir(parents=True)
    shutil.copy(RELU, problems / "relu.py")
    for name in ("good", "wrong"):
        shutil.copy(candidates[name], cands / f"{name}.py")
    url = f"postgresql://kw:pw@127.0.0.1:{closed_port()}/kw"
    res = invoke("suite", "run", problems, "--candidates", tmp_path / "cands", "--db", url, "--json")
    assert res.exit_code == 1 and "Traceback" not in res.stderr
    body = json.loads(res.stdout)
    assert sorted(r["verdict"] for r in body["results"]) == ["accepted", "rejected"]
    assert sorted(body["summary"]["unrecorded"]) == ["relu::good.py", "relu::wrong.py"]
    assert sorted(e["item_key"] for e in spooled()) == ["relu::good.py", "relu::wrong.py"]


def test_verify_with_postgres_down_end_to_end(tmp_path: Path) -> None:
    """Judges for real, in a subprocess, as a user would: the verdict survives a dead database."""
    url = f"postgresql://kw:pw-s3cret-xyz@127.0.0.1:{closed_port()}/kw"
    home = tmp_path / "home"
    proc = subprocess.run(
        [sys.executable, "-m", "kernelwright", "verify", str(RELU), str(GOOD), "--db", url, "--json"]
        + ["--seeds", "1", "--fuzz", "1"],
        env={**os.environ, "KERNELWRIGHT_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "Traceback" not in proc.stderr and "pw-s3cret-xyz" not in proc.stderr
    body = json.loads(proc.stdout)
    assert proc.returncode == (0 if body["verdict"] == "accepted" else 1)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "spooled to" in lines[0], proc.stderr
    (entry,) = [json.loads(p.read_text()) for p in (home / "spool").glob("*.json")]
    assert entry["verdict"] == body


# ---------------------------------------------------------------------------------------------- #7
def test_worker_memory_cap_scales_with_ram_and_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       25165824 kB\nMemAvailable:   20971520 kB\n")  # 24 GiB, 20 free
    monkeypatch.setattr(settings, "MEMINFO", meminfo)
    monkeypatch.setattr(settings, "_cgroup_room_bytes", lambda: None)
    assert settings.available_memory_mb() == 20 * 1024
    assert settings.max_worker_memory_mb() == int(20 * 1024 * 0.8)
    assert settings.max_worker_memory_mb(2) == int(20 * 1024 * 0.8 / 2)  # two workers fit: 2 x 8 < 20
    assert settings.max_worker_memory_mb(1000) == settings.MIN_WORKER_MB
    monkeypatch.setenv("KERNELWRIGHT_MAX_WORKER_MB", "4000")
    assert settings.max_worker_memory_mb() == 4000  # an override lowers the cap...
    assert settings.max_worker_memory_mb(8) == int(20 * 1024 * 0.8 / 8)  # ...but never raises it
    monkeypatch.setattr(settings, "_cgroup_room_bytes", lambda: 6 * 2**30)  # a 6 GiB container
    monkeypatch.delenv("KERNELWRIGHT_MAX_WORKER_MB")
    assert settings.max_worker_memory_mb() == int(6 * 1024 * 0.8)


def test_suite_jobs_and_optimize_samples_pass_their_concurrency(
    fake_judge: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    problems, cands = tmp_path / "problems", tmp_path / "cands"
    problems.mkdir()
    cands.mkdir()
    shutil.copy(RELU, problems / "relu.py")
    shutil.copy(GOOD, cands / "relu.py")
    res = invoke("suite", "run", problems, "--candidates", cands, "--jobs", "3", "--no-store", "--json")
    assert res.exit_code == 0, res.stderr
    assert (
        fake_judge[-1].memory_limit_mb == settings.max_worker_memory_mb(3) < settings.max_worker_memory_mb(1)
    )

    import kernelwright.agent.loop
    from kernelwright.errors import BadInput

    seen: list[Any] = []

    class FakeSession:
        def __init__(self, problem: Any, out: Any, agent_cfg: Any, judge_cfg: Any, *a: Any, **k: Any) -> None:
            seen.append(judge_cfg)
            raise BadInput("stopped by the test")

    monkeypatch.setattr(kernelwright.agent.loop, "Session", FakeSession)
    res = invoke(
        "optimize", RELU, "--replay", ROOT / "recordings" / "relu-demo", "--samples", "4", "--no-store"
    )
    assert res.exit_code == 2 and "stopped by the test" in res.stderr
    assert seen[-1].memory_limit_mb == settings.max_worker_memory_mb(4)


def test_init_task_probe_has_a_memory_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A factory that allocates past the cap fails in the probe (one line), not on the machine."""
    src = tmp_path / "mine.py"
    src.write_text(
        "import torch\n\n\nclass M(torch.nn.Module):\n    def forward(self, x):\n        return x + 1\n"
    )
    big = "[torch.empty(3 * 2**30, dtype=torch.uint8)[:16].float()]"  # 3 GiB, never touched
    monkeypatch.setenv("KERNELWRIGHT_MAX_WORKER_MB", "1500")
    line = one_line(invoke("init-task", src, "--entry", "M", "--inputs", big, "--out", tmp_path / "p.py"))
    assert "allocate" in line or "MemoryError" in line
    assert not (tmp_path / "p.py").exists()


# ----------------------------------------------------------------------------------- weak sandbox
def test_allow_weak_sandbox_reaches_the_judge_config(fake_judge: list, tmp_path: Path) -> None:
    for args in (("verify", RELU, GOOD, "--no-store"),):
        assert invoke(*args).exit_code == 0 and fake_judge[-1].allow_weak_sandbox is False
        assert invoke(*args, "--allow-weak-sandbox").exit_code == 0 and fake_judge[-1].allow_weak_sandbox
    problems, cands = tmp_path / "problems", tmp_path / "cands"
    problems.mkdir()
    cands.mkdir()
    shutil.copy(RELU, problems / "relu.py")
    shutil.copy(GOOD, cands / "relu.py")
    res = invoke("suite", "run", problems, "--candidates", cands, "--no-store", "--allow-weak-sandbox")
    assert res.exit_code == 0 and fake_judge[-1].allow_weak_sandbox
    for command in (["verify"], ["optimize"], ["optimize-suite"], ["suite", "run"]):
        assert "missing some isolation layers" in " ".join(invoke(*command, "--help").stdout.split())


# ---------------------------------------------------------------------------------------------- #8
def test_verify_a_directory_is_one_line_before_judging(fake_judge: list, tmp_path: Path) -> None:
    folder = tmp_path / "cands"
    folder.mkdir()
    assert one_line(invoke("verify", RELU, f"{folder}/")).endswith("is a directory, not a file")
    assert one_line(invoke("verify", f"{folder}/", GOOD)).endswith("is a directory, not a file")
    assert fake_judge == []


# --------------------------------------------------------------------------------------------- #10
def _store_with_records(path: Path, n: int = 30) -> None:
    with Store.open(f"sqlite:///{path}") as store:
        for _ in range(n):
            store.record_verdict(
                make_verdict(), problem_source=PROBLEM_SOURCE, candidate_source=KERNEL_SOURCE
            )


def test_zero_byte_database_is_refused_not_initialised(fake_judge: list, tmp_path: Path) -> None:
    db = tmp_path / "kw.db"
    db.write_bytes(b"")
    url = f"sqlite:///{db}"
    with pytest.raises(StoreError, match="empty"):
        Store.open(url)
    for args in (["kb", "list", "--db", url], ["export", "--out", "x.jsonl", "--db", url]):
        assert "0 bytes" in one_line(invoke(*args))
    assert "0 bytes" in one_line(invoke("verify", RELU, GOOD, "--db", url))
    assert fake_judge == [] and db.stat().st_size == 0  # never silently turned into an empty store
    default = settings.data_dir() / "kernelwright.db"  # the default file, emptied: refused as well
    default.parent.mkdir(parents=True, exist_ok=True)
    default.write_bytes(b"")
    assert "0 bytes" in one_line(invoke("kb", "list"))


def test_non_sqlite_and_corrupt_databases_are_one_clear_line(fake_judge: list, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database\n" * 200)
    assert "not a database" in one_line(invoke("kb", "list", "--db", f"sqlite:///{junk}"))

    db = tmp_path / "kw.db"
    _store_with_records(db)
    with open(db, "r+b") as fh:  # break a b-tree page header: the file still opens as SQLite
        fh.seek(4096 * 2)
        fh.write(b"\x0d" + b"\xff" * 20)
    url = f"sqlite:///{db}"
    with pytest.raises(StoreError, match="the database"):
        Store.open(url)
    for args in (
        ["kb", "list", "--db", url],
        ["export", "--out", "x.jsonl", "--db", url],
        ["verify", RELU, GOOD, "--db", url],
    ):
        line = one_line(invoke(*args))
        assert "integrity check" in line or "malformed" in line, line
    assert fake_judge == []  # verify refused before judging, and wrote nothing into the broken file


def test_database_created_by_kernelwright_is_private(tmp_path: Path) -> None:
    db = tmp_path / "new" / "kw.db"
    Store.open(f"sqlite:///{db}").close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


# --------------------------------------------------------------------------------------------- #11
def test_unreachable_postgres_for_kb_is_one_line_without_password() -> None:
    url = f"postgresql://kw:pw-s3cret-xyz@127.0.0.1:{closed_port()}/kw"
    for args in (["kb", "list", "--db", url], ["export", "--out", "x.jsonl", "--db", url]):
        line = one_line(invoke(*args))
        assert "pw-s3cret-xyz" not in line and "kw:***@127.0.0.1" in line


def test_one_non_utf8_candidate_does_not_abort_the_suite(tmp_path: Path) -> None:
    """Real judge; both candidates stop before any worker starts (unreadable, or the static guard)."""
    problems, cands = tmp_path / "problems", tmp_path / "cands" / "relu"
    problems.mkdir()
    cands.mkdir(parents=True)
    shutil.copy(RELU, problems / "relu.py")
    (cands / "a_latin1.py").write_bytes("# caf\xe9\nclass ModelNew: pass\n".encode("latin-1"))
    (cands / "b_broken.py").write_text("def broken(:\n")
    res = invoke("suite", "run", problems, "--candidates", tmp_path / "cands", "--json")
    assert res.exit_code == 1 and "Traceback" not in res.stderr
    body = json.loads(res.stdout)
    assert [r["verdict"] for r in body["results"]] == ["rejected"]
    (error,) = body["summary"]["errors"]
    assert error["item"] == "relu::a_latin1.py" and "cannot read candidate" in error["error"]


# ---------------------------------------------------------------------------------------------- #1
Seen = dict[int, tuple[float, str, int, float]]  # pid -> (create_time, cmdline, uid, cpu seconds)
SPIN_CPU_S = 15.0  # importing torch and Triton costs ~5 CPU seconds: past this the worker is in forward


def _tree(root: int) -> Seen:
    """``root`` and every descendant, as seen now."""
    import psutil

    out = {}
    try:
        procs = [psutil.Process(root), *psutil.Process(root).children(recursive=True)]
    except psutil.NoSuchProcess:
        return out
    for p in procs:
        try:
            cpu = p.cpu_times()
            out[p.pid] = (p.create_time(), " ".join(p.cmdline()), p.uids().real, cpu.user + cpu.system)
        except psutil.Error:
            continue
    return out


def _survivors(seen: Seen) -> list[str]:
    import psutil

    alive = []
    for pid, (created, cmd, uid, _) in seen.items():
        try:
            p = psutil.Process(pid)
            if abs(p.create_time() - created) < 0.01 and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(f"pid {pid} uid {uid} {p.status()}: {cmd[:160]}")
        except psutil.NoSuchProcess:
            continue
    return alive


def _kill(seen: Seen) -> None:
    import psutil

    for pid, (created, *_) in seen.items():
        try:
            p = psutil.Process(pid)
            if abs(p.create_time() - created) < 0.01:  # the very process seen, not a reused pid
                p.kill()
        except psutil.Error:
            continue


@pytest.mark.timeout(500)
def test_candidate_dies_with_a_sigtermed_judge(tmp_path: Path) -> None:
    """Judges for real: a candidate spinning in forward must not outlive its judge (issue 17 #1)."""
    cand = tmp_path / "spin.py"
    shutil.copy(ROOT / "tests" / "adversarial" / "cheat_hang.py", cand)  # launches its kernel, then spins
    config = tmp_path / "judge.toml"  # the judge's own per-call deadline must not end the spin first
    config.write_text("[judge]\ntimeout = 900\ncall_timeout = 600\ncompile_timeout = 600\n")
    judge = subprocess.Popen(
        [sys.executable, "-m", "kernelwright", "verify", str(RELU), str(cand), "--no-store"]
        + ["--config", str(config), "--seeds", "1", "--fuzz", "1", "--allow-weak-sandbox"],
        env={**os.environ, "KERNELWRIGHT_HOME": str(tmp_path / "home")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    seen: Seen = {}
    survivors: list[str] = []
    spinning = False
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and judge.poll() is None and not spinning:
            tree = _tree(judge.pid)
            seen.update(tree)
            # Killed while it still reads its pipe, a worker would end by itself (EOF), proving nothing.
            spinning = any("worker.candidate" in c and cpu > SPIN_CPU_S for _, c, _, cpu in tree.values())
            time.sleep(0.5)
        assert judge.poll() is None, f"the judge ended first: {judge.stderr.read()[-800:]}"  # type: ignore[union-attr]
        assert spinning, "the candidate worker never got to spin in forward"
        seen.update(_tree(judge.pid))
        os.kill(judge.pid, signal.SIGTERM)
        judge.wait(timeout=30)
        end = time.monotonic() + 10
        survivors = _survivors(seen)
        while survivors and time.monotonic() < end:
            time.sleep(0.5)
            survivors = _survivors(seen)
    finally:
        if judge.poll() is None:
            judge.kill()
        _kill(seen)  # never leave a spinning process behind, whatever the outcome
    assert not survivors, "outlived the SIGTERMed judge:\n" + "\n".join(survivors)
