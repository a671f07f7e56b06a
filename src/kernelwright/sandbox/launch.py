"""Parent-side worker processes: spawn (jailed by sandbox/jail.py), scrubbed environment, watchdogs.

The parent always survives: a worker that hangs, segfaults, exits early or eats memory becomes a
`WorkerDied` with a reason the judge turns into `crash-or-timeout` (THREATS #3, #19).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import psutil

from kernelwright.errors import KernelwrightError
from kernelwright.sandbox.channel import Channel, Closed, Timeout
from kernelwright.sandbox.jail import Jail, JailSpec, isolation_complete
from kernelwright.secrets import probe_env
from kernelwright.settings import max_worker_memory_mb

OUTPUT_TAIL_BYTES = 1 << 20  # what the parent keeps of a worker's stdout+stderr
PIPE_SIZE = getattr(fcntl, "F_SETPIPE_SZ", 1031)


class WorkerDied(KernelwrightError):
    """The worker stopped answering: crashed, exited, timed out or was killed by a watchdog."""

    def __init__(self, reason: str, log_tail: str = "", returncode: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.log_tail = log_tail
        self.returncode = returncode


@functools.cache
def network_isolation() -> list[str]:
    """A command prefix that puts the worker in a fresh network namespace, where the OS allows it."""
    exe = shutil.which("unshare")
    if not exe or sys.platform != "linux":
        return []
    for prefix in ([exe, "--net"], [exe, "--net", "--map-root-user"]):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0:
                return prefix
        except (OSError, subprocess.TimeoutExpired):
            continue
    return []


def scrubbed_env(private_dir: Path, cuda: bool, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The worker's environment: `secrets.probe_env()`'s allowlist (THREATS #18), with HOME, TMPDIR and
    the compiler caches in `private_dir` (a jail moves them into its tmpfs)."""
    env = probe_env()
    for sub in ("tmp", ".triton", ".cache", "torch_extensions"):
        (private_dir / sub).mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(private_dir),
        TMPDIR=str(private_dir / "tmp"),
        TRITON_CACHE_DIR=str(private_dir / ".triton"),
        XDG_CACHE_HOME=str(private_dir / ".cache"),
        TORCH_EXTENSIONS_DIR=str(private_dir / "torch_extensions"),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        PYTHONNOUSERSITE="1",
    )
    if not cuda:
        env["TRITON_INTERPRET"] = "1"  # must be set before Triton is imported (DESIGN "CPU and GPU")
        env["CUDA_VISIBLE_DEVICES"] = ""
    env.update(extra or {})
    return env


def _high_pipe() -> tuple[int, int]:
    """A pipe whose ends sit above the standard descriptors.

    If the parent runs with 0, 1 or 2 closed (daemons, some test runners), os.pipe() can hand those
    numbers out, and the child's stdin/stdout redirection would then land on the result channel.
    """
    r, w = os.pipe()
    with contextlib.suppress(OSError):  # 1 MiB instead of 64 KiB: 16x fewer wake-ups per tensor sent
        fcntl.fcntl(w, PIPE_SIZE, 1 << 20)
    ends = []
    for fd in (r, w):
        high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(fd)
        ends.append(high)
    return ends[0], ends[1]


def _child_setup() -> None:
    os.setsid()  # own process group: the parent kills the whole tree
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class OutputTail:
    """Drains a worker's stdout+stderr on a thread, keeping the last `cap` bytes and a byte count.

    A candidate that prints gigabytes costs neither disk nor parent memory, and never blocks on a
    full pipe while the parent waits on the result channel.
    """

    def __init__(self, fd: int, cap: int = OUTPUT_TAIL_BYTES):
        # An own descriptor, closed only by the thread: if the pipe's writer outlives close() (an
        # unjailed daemon), a reused descriptor number can never be read by mistake.
        self.fd, self.cap, self.total = os.dup(fd), cap, 0
        self._buf = bytearray()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._drain, name=f"kw-output-{fd}", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        try:
            while chunk := os.read(self.fd, 1 << 16):
                self._keep(chunk)
        except OSError:
            pass
        finally:
            os.close(self.fd)

    def _keep(self, chunk: bytes) -> None:
        with self._lock:
            self.total += len(chunk)
            self._buf += chunk
            if len(self._buf) > 2 * self.cap:  # trim in batches: amortised O(1) per byte
                del self._buf[: len(self._buf) - self.cap]

    def tail(self, limit: int) -> bytes:
        with self._lock:
            return bytes(self._buf[-limit:]) if limit > 0 else b""

    @property
    def truncated(self) -> bool:
        return self.total > self.cap

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


class Worker:
    """One worker process and its two authenticated pipes.

    With `jail` (a JailSpec), the worker runs in the OS sandbox of sandbox/jail.py; `layers` and
    `isolation_complete` say what isolation it really got. Without it, the old behaviour: same uid,
    own session, optional network namespace (for callers not yet switched).
    """

    def __init__(
        self,
        module: str,
        *,
        env: dict[str, str],
        cwd: Path,
        log_path: Path | None = None,
        isolate_network: bool = False,
        memory_limit_mb: int | None = None,
        jail: JailSpec | None = None,
    ):
        self.module = module
        self.log_path = log_path
        self.memory_limit_mb = memory_limit_mb or max_worker_memory_mb()
        self.key = os.urandom(32)
        self.jail: Jail | None = None
        ctl_r, ctl_w = _high_pipe()
        res_r, res_w = _high_pipe()
        argv = [sys.executable, "-m", module, str(ctl_r), str(res_w)]
        try:
            self.proc, self.layers = self._spawn(argv, (ctl_r, res_w), env, cwd, isolate_network, jail)
        except BaseException:
            for fd in (ctl_r, ctl_w, res_r, res_w):
                os.close(fd)
            if self.jail:
                self.jail.release()
            raise
        os.close(ctl_r)
        os.close(res_w)
        assert self.proc.stdout is not None
        self._output = OutputTail(self.proc.stdout.fileno())
        self.isolated = "netns" in self.layers
        self.ctl = Channel(None, ctl_w, self.key)
        self.res = Channel(res_r, None, self.key)
        os.write(ctl_w, self.key)
        self._peak_rss = 0

    def _spawn(
        self,
        argv: list[str],
        fds: tuple[int, int],
        env: dict[str, str],
        cwd: Path,
        isolate_network: bool,
        jail: JailSpec | None,
    ) -> tuple[subprocess.Popen, list[str]]:
        if jail is None:
            prefix = network_isolation() if isolate_network else []
            proc = self._popen([*prefix, *argv], fds, env, cwd, _child_setup)
            return proc, ["same-uid", "rlimits-partial", *(["netns"] if prefix else [])]
        spec = replace(
            jail,
            env=jail.env or env,
            memory_mb=jail.memory_mb or self.memory_limit_mb,
            network=jail.network and not isolate_network,
        )
        return self._spawn_jailed(argv, fds, spec, cwd)

    def _spawn_jailed(
        self, argv: list[str], fds: tuple[int, int], spec: JailSpec, cwd: Path
    ) -> tuple[subprocess.Popen, list[str]]:
        self.jail = jail = Jail(argv, spec)
        layers = list(jail.layers)
        net: list[str] = []
        if not jail.bwrap and "netns" not in layers and not spec.network:
            net = network_isolation()  # no root and no bubblewrap: an unprivileged `unshare --net`
            layers += ["netns"] if net else []
        run_cwd = "/" if jail.bwrap else (spec.host_writable or str(cwd))
        proc = self._popen([*net, *jail.command], (*fds, *jail.pass_fds), jail.env, run_cwd, jail.preexec_fn)
        jail.after_spawn()
        return proc, layers

    @staticmethod
    def _popen(
        cmd: list[str],
        fds: tuple[int, ...],
        env: dict[str, str],
        cwd: Path | str,
        preexec: Callable[[], None],
    ) -> subprocess.Popen:
        return subprocess.Popen(
            cmd,
            pass_fds=fds,
            env=env,
            cwd=str(cwd),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=preexec,  # noqa: PLW1509 - cgroup, rlimits, session, uid drop: see jail.py
        )

    # -- what the worker got -------------------------------------------------------------------
    @property
    def isolation_complete(self) -> bool:
        return isolation_complete(self.layers)

    @property
    def missing(self) -> dict[str, str]:
        """Layer -> why this worker lacks it (empty when fully isolated)."""
        return dict(self.jail.missing) if self.jail else {"jail": "the caller did not ask for one"}

    @property
    def uid(self) -> int | None:
        return self.jail.uid if self.jail else None

    def path_inside(self, host: str | Path) -> str:
        """The path a host file has for the worker (jailed workers see binds at other paths)."""
        return self.jail.inside(host) if self.jail else str(host)

    @property
    def output_bytes(self) -> int:
        return self._output.total

    @property
    def output_truncated(self) -> bool:
        """Whether the worker printed more than the kept tail (OUTPUT_TAIL_BYTES)."""
        return self._output.truncated

    @property
    def returncode(self) -> int | None:
        """The worker's exit status; negative for a signal, whether or not bubblewrap sat between."""
        code = self.proc.poll()
        return self.jail.returncode(code) if self.jail else code

    # -- messages ------------------------------------------------------------------------------
    def send(self, kind: str, **fields: Any) -> None:
        try:
            self.ctl.send(kind, **fields)
        except (BrokenPipeError, OSError) as exc:
            raise self._died("the worker closed its control pipe") from exc

    def recv(self, timeout: float, what: str) -> tuple[dict[str, Any], bytearray]:
        """Next message, watching memory while waiting; WorkerDied on timeout, exit or overuse."""
        deadline = time.monotonic() + timeout
        while True:
            step = min(deadline, time.monotonic() + 0.25)
            try:
                return self.res.recv(deadline=step)
            except Timeout:
                self._check_memory()
                if time.monotonic() >= deadline:
                    self.kill()
                    raise self._died(f"timed out after {timeout:.0f} s while {what}") from None
                if self.proc.poll() is not None and not self._readable():
                    raise self._died(self._exit_reason(what)) from None
            except Closed:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=30)
                raise self._died(self._exit_reason(what)) from None

    def _readable(self) -> bool:
        import select

        assert self.res.read_fd is not None
        return bool(select.select([self.res.read_fd], [], [], 0)[0])

    def _exit_reason(self, what: str) -> str:
        if self.proc.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        code = self.returncode
        if self.jail and self.jail.oom_killed():
            limit = self.jail.cgroups.memory_mb if self.jail.cgroups else None
            return (
                f"the worker was killed by SIGKILL for going over its {limit} MiB memory limit while {what}"
            )
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"the worker was killed by {name} while {what}"
        if code == 0:
            return f"the worker exited early with status 0 while {what} (an early exit is a crash)"
        return f"the worker exited with status {code} while {what}"

    def _check_memory(self) -> None:
        try:
            root = psutil.Process(self.proc.pid)
            procs = [root, *root.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in procs)
        except psutil.Error:
            return
        self._peak_rss = max(self._peak_rss, rss)
        if rss > self.memory_limit_mb * 2**20:
            self.kill()
            raise self._died(
                f"used {rss / 2**20:.0f} MiB of host memory, over the {self.memory_limit_mb} MiB limit"
            )

    def _died(self, reason: str) -> WorkerDied:
        return WorkerDied(reason, self.log_tail(), self.returncode)

    def log_tail(self, limit: int = 4000) -> str:
        """The last `limit` bytes the worker wrote to stdout or stderr."""
        return self._output.tail(limit).decode(errors="replace")

    # -- lifetime ------------------------------------------------------------------------------
    def kill(self) -> None:
        """Kill the worker and, when jailed, every process it left (daemons included)."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        if self.jail:
            self.jail.sweep()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)

    def close(self, grace: float = 5.0) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=grace)
        self.kill()
        for ch in (self.ctl, self.res):
            for fd in (ch.read_fd, ch.write_fd):
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
        self._output.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        if self.jail:
            self.jail.release()
        if self.log_path is not None:  # a capped copy for whoever reads the log file afterwards
            with contextlib.suppress(OSError):
                self.log_path.write_bytes(self._output.tail(OUTPUT_TAIL_BYTES))
