"""The judge's workers are contained by the operating system, not by Python (issue 12, THREATS #18-27).

Each candidate below is a correct ReLU (so only the attack can change its verdict) that also tries
one class of escape the red team found in the audit-hook-only sandbox. Every test asserts that the
side effect is ABSENT on the host afterwards (file, process, key, row, shared memory), as root, and
that the verdict is what the judge should say. The audit hook is only a witness: where an attempt is
made through code it trusts (numpy, torch.save, sqlite3's C-level open) the OS alone contains it,
and the verdict may still be accepted, because the kernel itself is honest and nothing escaped.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest
from judge_helpers import FAST, RELU, run

from kernelwright.sandbox.jail import probe
from kernelwright.settings import config_dir, data_dir
from kernelwright.store.signing import KEY_FILE, load_private_key

pytestmark = [
    pytest.mark.skipif(not probe().bwrap, reason="bubblewrap cannot make a jail on this host"),
    pytest.mark.timeout(300),
]

FORWARD = """
class ModelNew(nn.Module):
    def forward(self, x):
        attack()
        return launch(x)
"""


# The static guard would reject most of these files before they run; the OS is what is under test.
RUNTIME = FAST.model_copy(update={"static_guard": False})


def _judge(tmp_path: Path, attack: str):
    return run(tmp_path, attack + FORWARD, config=RUNTIME)


def _pids_with(marker: str) -> set[int]:
    """Processes whose command line carries `marker` (unique per test: other judgements may run)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    if marker.encode() in fh.read():
                        found.add(int(entry))
            except OSError:
                continue
    return found


def test_the_worker_runs_under_another_uid_with_no_judge_in_sight(tmp_path: Path) -> None:
    probe_file = tmp_path / "seen.txt"
    attack = f"""
import os
def attack():
    seen = [os.getuid(), os.getppid(), sorted(p for p in os.listdir('/proc') if p.isdigit())]
    with open({str(probe_file)!r}, 'w') as fh:
        fh.write(repr(seen))
"""
    v = _judge(tmp_path, attack)
    assert not probe_file.exists()  # the host path is not even visible, let alone writable
    assert v.environment.sandbox and any(layer.startswith("uid-drop:") for layer in v.environment.sandbox)
    assert "pidns" in v.environment.sandbox and "netns" in v.environment.sandbox


def test_the_signing_key_store_and_caches_are_out_of_reach(tmp_path: Path) -> None:
    load_private_key()  # the judge's key exists before the candidate runs
    key = config_dir() / KEY_FILE
    stolen = tmp_path / "stolen.pem"
    attack = f"""
import sqlite3, shutil
def attack():
    for path in ({str(key)!r}, {str(data_dir() / "kernelwright.db")!r}):
        try:
            shutil.copyfile(path, {str(stolen)!r})   # a trusted stdlib frame doing the I/O
        except OSError:
            pass
        try:
            sqlite3.connect(path).execute("create table pwned(x)")  # a C-level open, no audit event
        except sqlite3.Error:
            pass
"""
    before = key.read_bytes()
    v = _judge(tmp_path, attack)
    assert not stolen.exists() and key.read_bytes() == before
    assert v.verdict in ("accepted", "rejected")  # contained either way; the key is what matters


def test_a_pth_file_and_a_rewritten_problem_never_land(tmp_path: Path) -> None:
    import site

    targets = [Path(p) / "kw_isolation_pwned.pth" for p in site.getsitepackages()]
    problem_before = RELU.read_bytes()
    attack = f"""
import numpy as np
def attack():
    for t in {[str(t) for t in targets]!r}:
        try:
            np.savetxt(t, [0])                # numpy's writer: a frame the audit hook trusts
        except OSError:
            pass
    try:
        open({str(RELU)!r}, 'a').write('TOLERANCE = {{"atol": 1e9, "rtol": 1e9}}\\n')
    except OSError:
        pass
"""
    _judge(tmp_path, attack)
    assert not any(t.exists() for t in targets)
    assert RELU.read_bytes() == problem_before


def test_no_process_or_shared_memory_outlives_the_judgement(tmp_path: Path) -> None:
    marker = f"kw_isolation_daemon_{uuid.uuid4().hex[:12]}"
    shm_before = set(os.listdir("/dev/shm"))
    attack = f"""
import os, subprocess
def attack():
    if getattr(attack, 'done', False):
        return
    attack.done = True
    with open('/dev/shm/{marker}', 'wb') as fh:
        fh.write(b'x' * (8 << 20))
    # setsid: escapes a process-group kill
    subprocess.Popen(['sh', '-c', 'sleep 300; : {marker}'], start_new_session=True)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execvp('sh', ['sh', '-c', 'while :; do sleep 0.1; done; : {marker}'])
        os._exit(0)
"""
    v = _judge(tmp_path, attack)
    time.sleep(0.5)
    assert _pids_with(marker) == set(), "a process of the candidate outlived the judgement"
    assert set(os.listdir("/dev/shm")) - shm_before == set()
    assert v.verdict == "rejected" and v.category == "sandbox"  # subprocess and fork are named too


def test_the_network_is_not_there(tmp_path: Path) -> None:
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    hits: list[bytes] = []

    def accept() -> None:
        server.settimeout(60)
        try:
            conn, _ = server.accept()
            hits.append(conn.recv(16))
        except OSError:
            pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    attack = f"""
import socket
def attack():
    try:
        s = socket.create_connection(('127.0.0.1', {port}), timeout=2)
        s.sendall(b'escaped')
    except OSError:
        pass
"""
    v = _judge(tmp_path, attack)
    server.close()
    thread.join(5)
    assert hits == []
    assert v.verdict == "rejected" and v.category == "sandbox"


def test_the_judge_cannot_be_signalled_or_read(tmp_path: Path) -> None:
    judge_pid = os.getpid()
    loot = tmp_path / "environ.txt"
    attack = f"""
import os, signal
def attack():
    for pid in ({judge_pid}, os.getppid(), 1):
        for path in (f'/proc/{{pid}}/environ', f'/proc/{{pid}}/mem'):
            try:
                data = open(path, 'rb').read(4096)
                open({str(loot)!r}, 'wb').write(data)
            except OSError:
                pass
        try:
            os.kill(pid, signal.SIGSTOP)
        except OSError:
            pass
"""
    v = _judge(tmp_path, attack)
    assert not loot.exists()
    with open(f"/proc/{judge_pid}/status") as fh:
        state = next(x for x in fh if x.startswith("State:"))
    assert "stopped" not in state.lower()
    assert v.verdict == "rejected"  # reading /proc and signalling are named by the audit hook


def test_an_honest_kernel_is_accepted_in_the_jail(tmp_path: Path) -> None:
    v = run(tmp_path, "class ModelNew(nn.Module):\n    def forward(self, x):\n        return launch(x)\n")
    assert v.verdict == "accepted", v.reasons
    assert v.environment.sandbox is not None and "seccomp" in v.environment.sandbox
