"""The worker's seccomp filter, built with libseccomp (through pyseccomp) and exported as BPF.

Default allow: CUDA, Triton, torch and the compilers they call need a wide and changing set of system
calls, so the filter only refuses what a kernel candidate has no use for and what would help it leave
the sandbox or reach the host (THREATS #21-23): debugging other processes, namespaces and mounts,
kernel modules and keyrings, eBPF, userfaultfd, io_uring (its operations bypass seccomp), and so on.
Refused calls answer EPERM, so well-behaved libraries take their usual error path instead of dying.

`clone3` answers ENOSYS: its flags live in memory seccomp cannot read, and glibc falls back to
`clone`, whose flag argument the filter does check for namespace bits.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os

# Each refused outright with EPERM.
DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "setns", "unshare", "mount", "umount2", "pivot_root", "chroot",
    "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    "keyctl", "add_key", "request_key", "bpf", "userfaultfd", "perf_event_open",
    "open_by_handle_at", "name_to_handle_at", "swapon", "swapoff", "reboot", "acct",
    "quotactl", "quotactl_fd", "syslog", "lookup_dcookie", "vhangup",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
)  # fmt: skip

# clone() flag bits that create namespaces (CLONE_NEWTIME, 0x80, only exists for clone3/unshare).
NAMESPACE_FLAGS = {
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}


def available() -> str | None:
    """None when a filter can be built here, else why not."""
    try:
        build_filter()
    except (ImportError, OSError, RuntimeError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def build_filter():  # -> pyseccomp.SyscallFilter (untyped library)
    """A fresh filter object; `load()` it in a child, or export it with `bpf_program()`."""
    import pyseccomp as sc

    flt = sc.SyscallFilter(sc.ALLOW)
    for name in DENIED:
        _add(flt, sc.ERRNO(errno.EPERM), name)
    for bit in NAMESPACE_FLAGS.values():
        flt.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, bit, bit))
    _add(flt, sc.ERRNO(errno.ENOSYS), "clone3")
    return flt


def _add(flt, action: int, name: str) -> None:  # noqa: ANN001 - pyseccomp has no types
    """Add one rule; a call this libseccomp or architecture does not know cannot be made anyway."""
    with contextlib.suppress(OSError, ValueError, RuntimeError):
        flt.add_rule(action, name)


@functools.cache
def bpf_program() -> bytes:
    """The filter as raw BPF, the format bubblewrap's `--seccomp FD` reads."""
    fd = os.memfd_create("kw-seccomp-export")
    try:
        with os.fdopen(os.dup(fd), "rb", closefd=True) as handle:
            build_filter().export_bpf(handle)
        os.lseek(fd, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def bpf_fd() -> int:
    """A fresh memfd holding the BPF program, positioned at its start (bubblewrap reads to EOF)."""
    fd = os.memfd_create("kw-seccomp")
    data = memoryview(bpf_program())
    while data:
        data = data[os.write(fd, data) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
