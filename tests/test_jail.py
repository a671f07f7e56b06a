"""The OS sandbox (sandbox/jail.py), proven by attackers: each test runs a small hostile program in a
real jailed worker, checks that its side effect is absent afterwards, and that a legitimate
look-alike still works. Runs as root (like CI), where every layer must be present.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from kernelwright.sandbox import jail as jail_mod
from kernelwright.sandbox.jail import JailSpec, package_root, pids_of_uid, probe
from kernelwright.sandbox.launch import Worker, WorkerDied

SUPPORT = probe()
needs_bwrap = pytest.mark.skipif(SUPPORT.bwrap is None, reason=f"no usable bubblewrap: {SUPPORT.missing}")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the uid drop needs a root judge")
needs_cgroup = pytest.mark.skipif(
    not (SUPPORT.cgroup_v1_memory or SUPPORT.cgroup_v2_memory), reason="no memory cgroup here"
)
pytestmark = [needs_bwrap, pytest.mark.timeout(180)]

# The worker module: reads the key and a job, exec()s the job's code with `send` and `args`, and
# answers "done" with `result`, or "error". Hostile snippets below run through it.
RUNNER = """
import os, sys, traceback
from kernelwright.sandbox.channel import Channel
ctl_fd, res_fd = int(sys.argv[1]), int(sys.argv[2])
key = os.read(ctl_fd, 32)
ctl, res = Channel(ctl_fd, None, key), Channel(None, res_fd, key)
job, _ = ctl.recv()
ns = {"os": os, "sys": sys, "send": lambda **kw: res.send("note", **kw), "args": job["args"], "result": {}}
try:
    exec(job["code"], ns)
    res.send("done", **ns["result"])
except BaseException as exc:
    res.send("error", message=f"{type(exc).__name__}: {exc}", tb=traceback.format_exc()[-2000:])
"""


@pytest.fixture
def job_dir(tmp_path: Path) -> Path:
    d = tmp_path / "job"
    d.mkdir()
    (d / "kwjt_runner.py").write_text(RUNNER)
    return d


def spawn(job_dir: Path, code: str, args: dict | None = None, **spec_fields: Any) -> Worker:
    fields: dict[str, Any] = {"ro_binds": {}, "env": {}}
    fields.update(spec_fields)
    fields["ro_binds"] = {str(job_dir): "/job", **fields["ro_binds"]}
    fields["env"] = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"/job:{package_root()}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        **fields["env"],
    }
    memory = fields.pop("watchdog_mb", None)
    w = Worker("kwjt_runner", env={}, cwd=Path("/"), jail=JailSpec(**fields), memory_limit_mb=memory)
    w.send("job", code=textwrap.dedent(code), args=args or {})
    return w


def run(job_dir: Path, code: str, args: dict | None = None, timeout: float = 120, **spec: Any) -> dict:
    w = spawn(job_dir, code, args, **spec)
    try:
        msg, _ = w.recv(timeout, "running the test program")
        assert msg["kind"] == "done", msg
        return msg
    finally:
        w.close(grace=5)


def jailed_python(w: Worker) -> psutil.Process:
    """The python process inside the jail, as the host sees it."""
    for child in psutil.Process(w.proc.pid).children(recursive=True):
        if "python" in os.path.basename(child.exe() if child.exe() else ""):
            return child
    raise AssertionError("no python process under the worker")


# -- what the judge gets --------------------------------------------------------------------------
@needs_root
def test_every_required_layer_is_present_here(job_dir: Path) -> None:
    w = spawn(job_dir, "result['uid'] = os.getuid()")
    try:
        msg, _ = w.recv(60, "reporting")
        assert msg["kind"] == "done", msg
        assert w.isolation_complete, (w.layers, SUPPORT.missing)
        assert w.layers[0] == f"uid-drop:{w.uid}" and msg["uid"] == w.uid
        assert {"seccomp", "netns", "pidns", "ro-system", "die-with-parent"} <= set(w.layers)
    finally:
        w.close()


@needs_root
def test_worker_runs_under_a_fresh_uid_with_no_groups(job_dir: Path) -> None:
    w = spawn(job_dir, "send(ready=1); import time; time.sleep(60)")
    try:
        assert w.recv(60, "starting")[0]["kind"] == "note"
        status = Path(f"/proc/{jailed_python(w).pid}/status").read_text()
        uids = next(line.split()[1:] for line in status.splitlines() if line.startswith("Uid:"))
        groups = next(line.split()[1:] for line in status.splitlines() if line.startswith("Groups:"))
        assert {int(u) for u in uids} == {w.uid} and w.uid not in (0, os.getuid())
        assert groups == []
        assert psutil.Process(w.proc.pid).uids().real == w.uid  # bubblewrap itself is unprivileged
    finally:
        w.close(grace=0)
    assert pids_of_uid(w.uid) == []  # type: ignore[arg-type]


# -- secrets and trusted state ----------------------------------------------------------------------
def test_passwd_names_the_worker_and_no_host_account(job_dir: Path) -> None:
    msg = run(
        job_dir,
        """
        import getpass, grp, pwd
        me = pwd.getpwuid(os.getuid())
        result.update(name=me.pw_name, home=me.pw_dir, HOME=os.environ["HOME"],
                      user=getpass.getuser(), group=grp.getgrgid(os.getgid()).gr_name,
                      accounts=sorted(p.pw_name for p in pwd.getpwall()))
        """,
    )
    assert msg["name"] == msg["user"] == msg["group"] == "kernelwright"
    assert msg["home"] == msg["HOME"]  # honest code that asks pwd for its home gets the writable dir
    assert msg["accounts"] == ["kernelwright", "nobody", "root"]  # not the host's map of homes


def test_hidden_secrets_are_absent_and_libraries_readable(job_dir: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared"  # a bound directory with a KERNELWRIGHT_HOME-like dir inside
    home = shared / "kw_home"
    home.mkdir(parents=True)
    (home / "signing.key").write_text("PRIVATE")
    (home / "signing.key").chmod(0o600)
    (home / "store.txt").write_text("store")  # 0644: only the hide makes it unreadable
    (shared / "public.txt").write_text("public")
    outside = tmp_path / "judge_secret.txt"  # never bound at all
    outside.write_text("secret")
    code = """
    def attempt(path):
        try:
            return open(path).read()
        except OSError as exc:
            return type(exc).__name__
    result.update({k: attempt(p) for k, p in args.items()})
    import torch
    result["torch"] = os.path.exists(torch.__file__)
    """
    probes = {"key": "/shared/kw_home/signing.key", "store": "/shared/kw_home/store.txt",
              "public": "/shared/public.txt", "outside": str(outside), "shadow": "/etc/shadow"}  # fmt: skip
    msg = run(job_dir, code, probes, ro_binds={str(shared): "/shared"}, hide=[str(home)])
    assert msg["key"] == "FileNotFoundError" and msg["store"] == "FileNotFoundError"
    assert msg["outside"] == "FileNotFoundError" and msg["shadow"] == "PermissionError"
    assert msg["public"] == "public" and msg["torch"] is True


# -- writes -------------------------------------------------------------------------------------
def test_writes_land_only_in_the_capped_tmpfs(job_dir: Path, tmp_path: Path) -> None:
    import torch

    site = Path(torch.__file__).parent.parent
    targets = {"repo": f"{package_root()}/kw_planted.py", "host_tmp": str(tmp_path / "planted.txt"),
               "pth": str(site / "kw_planted.pth"), "etc": "/etc/kw_planted", "root": "/kw_planted"}  # fmt: skip
    code = """
    def attempt(path, size):
        try:
            with open(path, "wb") as f:
                f.write(b"x" * size)
            return "written"
        except OSError as exc:
            return type(exc).__name__
    result.update({k: attempt(p, 10) for k, p in args.items()})
    result["private"] = attempt("/tmp/ok.bin", 1 << 20)
    result["over_cap"] = attempt("/tmp/big.bin", 16 << 20)
    """
    msg = run(job_dir, code, targets, tmpfs_mb=8)
    for name, path in targets.items():
        assert not os.path.exists(path), f"{name}: {path} exists on the host"
        if name != "host_tmp":  # inside, /tmp is the private tmpfs: that write works and vanishes
            assert msg[name] in ("OSError", "PermissionError"), (name, msg[name])
    assert msg["private"] == "written" and msg["over_cap"] == "OSError"  # ENOSPC past 8 MiB


# -- the judge -----------------------------------------------------------------------------------
def test_cannot_see_or_signal_the_judge(job_dir: Path) -> None:
    code = """
    import signal
    judge = args["judge"]
    try:
        os.kill(judge, signal.SIGSTOP)
        result["kill"] = "sent"
    except OSError as exc:
        result["kill"] = type(exc).__name__
    try:
        result["environ"] = open(f"/proc/{judge}/environ", "rb").read()[:10].decode()
    except OSError as exc:
        result["environ"] = type(exc).__name__
    result["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    """
    msg = run(job_dir, code, {"judge": os.getpid()})
    assert msg["kill"] == "ProcessLookupError" and msg["environ"] == "FileNotFoundError"
    assert max(msg["pids"]) < 10  # only the jail's own few processes are visible
    assert psutil.Process().status() != psutil.STATUS_STOPPED


# -- network -------------------------------------------------------------------------------------
def test_no_network_and_no_host_unix_sockets(job_dir: Path) -> None:
    tcp = socket.create_server(("127.0.0.1", 0))
    tcp.settimeout(0.5)
    run_dir = Path("/run") if os.access("/run", os.W_OK) else Path("/tmp")
    path = run_dir / f"kw-test-{os.getpid()}.sock"
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(path))
    unix.listen()
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind(f"\0kw-test-{os.getpid()}")
    abstract.listen()
    code = """
    import socket
    def attempt(family, address):
        try:
            socket.socket(family).connect(address)
            return "connected"
        except OSError as exc:
            return type(exc).__name__
    result["tcp"] = attempt(socket.AF_INET, ("127.0.0.1", args["port"]))
    result["unix"] = attempt(socket.AF_UNIX, args["path"])
    result["abstract"] = attempt(socket.AF_UNIX, "\\0" + args["abstract"])
    result["docker"] = attempt(socket.AF_UNIX, "/var/run/docker.sock")
    """
    try:
        msg = run(
            job_dir,
            code,
            {"port": tcp.getsockname()[1], "path": str(path), "abstract": f"kw-test-{os.getpid()}"},
        )
        assert "connected" not in msg.values(), msg
        with pytest.raises(TimeoutError):
            tcp.accept()
    finally:
        for s in (tcp, unix, abstract):
            s.close()
        path.unlink(missing_ok=True)


# -- survivors -----------------------------------------------------------------------------------
DAEMON = """
import time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        open("/dev/shm/kw-leftover", "w").write("x")
        while True:
            with open("/out/beat", "a") as f:
                f.write(".")
            time.sleep(0.1)
    os._exit(0)
time.sleep(0.5)
send(started=1)
time.sleep(60)
"""


def _wait_growth(path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size > 2:
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} never grew")


def test_setsid_daemon_and_shm_die_with_the_worker(job_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    shm_before = set(os.listdir("/dev/shm"))
    w = spawn(job_dir, DAEMON, rw_binds={str(out): "/out"})
    uid = w.uid
    assert w.recv(60, "starting the daemon")[0]["kind"] == "note"
    _wait_growth(out / "beat")
    w.close(grace=0)
    size = (out / "beat").stat().st_size
    time.sleep(0.5)
    assert (out / "beat").stat().st_size == size, "the daemon still writes"
    if uid is not None:
        assert pids_of_uid(uid) == []
        assert (out / "beat").stat().st_uid == os.geteuid()  # the rw bind was handed back
    assert set(os.listdir("/dev/shm")) == shm_before


JUDGE = """
import sys, time
from pathlib import Path
sys.path[:0] = [{tests!r}]
from test_jail import spawn, DAEMON
w = spawn(Path({job!r}), DAEMON, rw_binds={{{out!r}: "/out"}})
w.recv(60, "starting")
print(w.uid, flush=True)
time.sleep(600)
"""


@needs_root
def test_everything_dies_when_the_judge_is_killed(job_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    script = JUDGE.format(tests=str(Path(__file__).parent), job=str(job_dir), out=str(out))
    judge = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        uid = int(judge.stdout.readline())  # type: ignore[union-attr]
        _wait_growth(out / "beat")
        assert pids_of_uid(uid)
    finally:
        judge.kill()
        judge.wait()
    deadline = time.monotonic() + 5
    while pids_of_uid(uid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pids_of_uid(uid) == []
    # The dead judge could not clean up: the next judge's probe reaps its cgroups and uid lease.
    parents = [p for p in (SUPPORT.cgroup_v1_memory, SUPPORT.cgroup_v2) if p]
    for parent in parents:
        jail_mod._reap_stale_cgroups(parent)
    jail_mod._reap_stale_leases()
    assert not [p for parent in parents for p in Path(parent).glob(f"kernelwright-{uid}-*")]
    assert not jail_mod._lease_path(uid).exists()


def test_process_limit_stops_a_thread_bomb(job_dir: Path) -> None:
    code = """
    import threading, time
    stop = threading.Event()
    n = 0
    try:
        for n in range(10_000):
            threading.Thread(target=stop.wait, daemon=True).start()
    except RuntimeError:
        pass
    stop.set()
    result["threads"] = n
    """
    msg = run(job_dir, code, max_processes=64)
    assert 10 < msg["threads"] < 64


# -- seccomp -------------------------------------------------------------------------------------
def test_seccomp_refuses_namespace_and_debug_calls(job_dir: Path) -> None:
    code = """
    import ctypes, errno, threading, subprocess
    libc = ctypes.CDLL(None, use_errno=True)
    def call(nr, *a):
        r = libc.syscall(nr, *[ctypes.c_long(x) for x in a])
        if r == 0 and nr == 56:
            os._exit(0)  # a clone that went through: the child leaves at once
        return errno.errorcode.get(ctypes.get_errno(), "?") if r == -1 else f"ok:{r}"
    result["ptrace"] = call(101, 0, 0, 0, 0)        # PTRACE_TRACEME: allowed without the filter
    result["unshare"] = call(272, 0)                # a no-op without the filter
    result["setns"] = call(308, -1, 0)              # EBADF without the filter
    result["mount"] = call(165, 0, 0, 0, 0, 0)
    result["vm_readv"] = call(310, os.getpid(), 0, 0, 0, 0, 0)
    result["clone_userns"] = call(56, 0x10000000 | 17, 0, 0, 0, 0)
    result["clone3"] = call(435, 0, 0)
    t = threading.Thread(target=lambda: None); t.start(); t.join()  # threads still work
    result["fork"] = subprocess.run(["true"]).returncode
    """
    msg = run(job_dir, code)
    for name in ("ptrace", "unshare", "setns", "mount", "vm_readv", "clone_userns"):
        assert msg[name] == "EPERM", (name, msg[name])
    assert msg["clone3"] == "ENOSYS" and msg["fork"] == 0


# -- memory and output ----------------------------------------------------------------------------
@needs_cgroup
def test_memory_limit_kills_the_worker_not_the_judge(job_dir: Path) -> None:
    code = """
    blocks = []
    for _ in range(64):
        blocks.append(bytearray(32 << 20))  # touched: zero-filled pages are really allocated
        for i in range(0, len(blocks[-1]), 4096):
            blocks[-1][i] = 1
    result["survived"] = len(blocks)
    """
    w = spawn(job_dir, code, memory_mb=256, watchdog_mb=100_000)
    with pytest.raises(WorkerDied) as info:
        w.recv(120, "allocating")
    w.close(grace=0)
    assert "memory limit" in info.value.reason and "256 MiB" in info.value.reason, info.value.reason
    assert info.value.returncode == -signal.SIGKILL


def test_a_gigabyte_of_output_costs_the_judge_nothing(job_dir: Path) -> None:
    code = """
    chunk = b"x" * (1 << 20)
    out = sys.stdout.buffer
    for _ in range(1024):
        out.write(chunk)
    out.write(b"THE-END")
    out.flush()
    """
    code = "import sys\n" + textwrap.dedent(code)
    rss = psutil.Process().memory_info().rss
    peak = [rss]
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.05):
            peak[0] = max(peak[0], psutil.Process().memory_info().rss)

    watcher = threading.Thread(target=watch)
    watcher.start()
    w = spawn(job_dir, code)
    try:
        assert w.recv(180, "printing")[0]["kind"] == "done"
        w.proc.wait(timeout=30)
        w.close(grace=5)
    finally:
        stop.set()
        watcher.join()
    assert w.output_bytes == (1 << 30) + len("THE-END") and w.output_truncated
    assert w.log_tail(100).endswith("THE-END")
    assert peak[0] - rss < 64 << 20, f"the judge grew by {(peak[0] - rss) >> 20} MiB"


# -- exit status ---------------------------------------------------------------------------------
def test_segfault_is_reported_as_sigsegv(job_dir: Path) -> None:
    w = spawn(job_dir, "import ctypes; ctypes.string_at(0)")
    with pytest.raises(WorkerDied) as info:
        w.recv(60, "crashing")
    w.close(grace=0)
    assert "SIGSEGV" in info.value.reason and w.returncode == -signal.SIGSEGV


def test_early_exit_keeps_its_status(job_dir: Path) -> None:
    w = spawn(job_dir, "os._exit(3)")
    with pytest.raises(WorkerDied) as info:
        w.recv(60, "exiting")
    w.close(grace=0)
    assert "status 3" in info.value.reason


# -- legitimate work --------------------------------------------------------------------------------
TRITON_RELU = """
import torch, triton, triton.language as tl

@triton.jit
def relu(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0), mask=mask)

x = torch.randn(1000)
y = torch.empty_like(x)
relu[(triton.cdiv(1000, 256),)](x, y, 1000, BLOCK=256)
result["triton_ok"] = bool(torch.equal(y, x.relu()))
result["torch_ok"] = torch.equal(torch.tensor([-1.0, 2.0]).relu(), torch.tensor([0.0, 2.0]))
result["threads"] = torch.get_num_threads()
"""


def test_torch_and_a_triton_interpreter_kernel_run(job_dir: Path) -> None:
    msg = run(job_dir, TRITON_RELU, env={"TRITON_INTERPRET": "1"})
    assert msg["triton_ok"] and msg["torch_ok"]


def test_compilers_build_and_load_code_in_the_tmpfs(job_dir: Path) -> None:
    code = """
    import ctypes, subprocess
    open("/tmp/k.c", "w").write("int twice(int x) { return 2 * x; }")
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "/tmp/k.c", "-o", "/tmp/k.so"], check=True)
    result["twice"] = ctypes.CDLL("/tmp/k.so").twice(21)
    """
    if not any(os.access(os.path.join(d, "gcc"), os.X_OK) for d in ("/usr/bin", "/usr/local/bin")):
        pytest.skip("no gcc")
    assert run(job_dir, code)["twice"] == 42


# -- the fallback ladder ----------------------------------------------------------------------------
def test_without_bubblewrap_the_worker_runs_and_says_it_is_not_isolated(
    job_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weak = dataclasses.replace(SUPPORT, bwrap=None, missing=dict(SUPPORT.missing))
    monkeypatch.setattr(jail_mod, "probe", lambda: weak)
    w = Worker(
        "kwjt_runner",
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{job_dir}:{package_root()}"},
        cwd=tmp_path,
        jail=JailSpec(host_writable=str(tmp_path)),
    )
    try:
        w.send("job", code="result['home'] = os.environ['HOME']", args={})
        msg, _ = w.recv(60, "running without bubblewrap")
        assert msg["kind"] == "done" and msg["home"] == str(tmp_path)
        assert not w.isolation_complete and "userns" not in w.layers
        assert "seccomp" in w.layers and "netns" in w.layers
    finally:
        w.close()


def test_start_up_cost_is_small() -> None:
    """Guards the figure in jail.py's docstring: a jailed `python -c pass` costs tens of ms more."""

    def best(cmd_for: Any) -> float:
        times = []
        for _ in range(3):
            with contextlib.ExitStack() as stack:
                cmd, kw = cmd_for(stack)
                t = time.perf_counter()
                subprocess.run(cmd, check=True, **kw)
                times.append(time.perf_counter() - t)
        return min(times)

    def plain(_: contextlib.ExitStack) -> tuple[list[str], dict]:
        return [sys.executable, "-c", "pass"], {}

    def jailed(stack: contextlib.ExitStack) -> tuple[list[str], dict]:
        j = jail_mod.jail_command([sys.executable, "-c", "pass"], JailSpec(env={"PATH": "/usr/bin"}))
        stack.callback(j.release)
        stack.callback(j.sweep)
        return j.command, {"env": j.env, "cwd": "/", "pass_fds": j.pass_fds, "preexec_fn": j.preexec_fn}

    assert best(jailed) - best(plain) < 0.5
