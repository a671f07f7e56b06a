"""One GPU, many judgements: correctness work shares the GPU, timing has it alone (issue #14).

A readers-writer lock over `flock(2)` on two files in the judge's runtime directory, so it holds
across threads (`suite run --jobs N`), processes (ten `kernelwright verify` at once) and the Ray
tasks of one host alike:

- a judgement's correctness work (the reference's outputs, the candidate's checked cases) holds the
  GPU file *shared*;
- its timing (custom-kernel share, timed calls, the interleaved baselines, the card's ceilings)
  holds it *exclusive*, so no other judgement's kernels run in the timed window (the host-overhead
  and wall-clock checks of judge/timing.py would otherwise misfire: the H200 measurement of 5 of 6
  honest kernels rejected as timing-evasion with other work on the GPU);
- a waiting timer takes the *turnstile* file first, which new readers must pass, so a steady stream
  of correctness work cannot starve timing.

flock locks belong to an open file description, so each acquisition opens the file anew: two
threads of one process exclude each other like two processes. The time a judgement waits here is
reported as its `gpu_wait` phase and is not charged to the candidate's timeout.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

from kernelwright.sandbox.jail import runtime_dir

POLL_S = 0.02


class LockTimeout(TimeoutError):
    pass


def device_key() -> str:
    """Which GPU the workers use: the first of CUDA_VISIBLE_DEVICES (as the workers see device 0)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",")[0].strip()
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in visible) or "0"


def _lock_dir() -> Path:
    path = runtime_dir() / "gpu"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _acquire(path: Path, mode: int, deadline: float) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(f"waited past the deadline for {path.name}") from None
                time.sleep(POLL_S)
    except BaseException:
        os.close(fd)
        raise


def _release(fd: int | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)  # closing the description drops its lock


class GpuLock:
    """One judgement's hold on one GPU: `share()`, then `exclusive()`, then `release()`.

    `waited` is the total seconds spent waiting for the lock.
    """

    def __init__(self, key: str | None = None) -> None:
        d = _lock_dir()
        name = key or device_key()
        self.gpu_file, self.turnstile = d / f"{name}.lock", d / f"{name}.turnstile"
        self._fd: int | None = None
        self.mode: str | None = None
        self.waited = 0.0

    def share(self, timeout: float) -> None:
        """Hold the GPU shared (correctness). Passes the turnstile, so a waiting timer goes first."""
        self._take(fcntl.LOCK_SH, "shared", timeout)

    def exclusive(self, timeout: float) -> None:
        """Hold the GPU alone (timing): closes the turnstile, then waits for readers to finish."""
        self._take(fcntl.LOCK_EX, "exclusive", timeout)

    def _take(self, how: int, mode: str, timeout: float) -> None:
        """The turnstile, then the GPU file, both `how`; the turnstile is let go once the GPU is held."""
        self.release()
        t0 = time.monotonic()
        deadline = t0 + timeout
        try:
            gate = _acquire(self.turnstile, how, deadline)
            try:
                self._fd = _acquire(self.gpu_file, how, deadline)
            finally:
                _release(gate)
            self.mode = mode
        finally:
            self.waited += time.monotonic() - t0

    def release(self) -> None:
        _release(self._fd)
        self._fd, self.mode = None, None


class NoLock(GpuLock):
    """The CPU: nothing is timed, so there is nothing to share."""

    def __init__(self) -> None:  # noqa: D107 - no files
        self._fd, self.mode, self.waited = None, None, 0.0

    def share(self, timeout: float) -> None:
        self.mode = "shared"

    def exclusive(self, timeout: float) -> None:
        self.mode = "exclusive"

    def release(self) -> None:
        self.mode = None
