"""The audit-hook policy installed in a candidate worker before the candidate is imported.

`sys.addaudithook` hooks cannot be removed, so once installed every audited operation the candidate
makes passes through `AuditPolicy._hook`. The hook decides by *who asked*: it walks the Python stack
past the standard library to the first frame of real code. If that frame is the candidate's own file
(anything in the worker's private directory), the operation is judged by the rules below; torch,
Triton and kernelwright frames are trusted, because Triton and `load_inline` legitimately run
compilers and open their caches.

A violation is reported on the authenticated result channel *before* the operation is refused, so a
candidate that catches the PermissionError and carries on is still rejected.

What this cannot contain: native code the candidate compiles and loads (a `load_inline` extension
runs unaudited C++). The network namespace, the scrubbed environment and the static guard's scan of
CUDA sources are the defences there; see docs/JUDGE.md.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import threading
from collections.abc import Callable, Iterable
from types import FrameType

# Executables Triton and torch.utils.cpp_extension run while compiling (THREATS #18: "allow-listed
# compiler subprocesses only"). Matched on the basename of the executable.
ALLOWED_EXECUTABLES = frozenset(
    {
        "ptxas", "nvcc", "nvlink", "fatbinary", "cicc", "cuobjdump", "nvdisasm", "ninja",
        "cc", "c++", "gcc", "g++", "clang", "clang++", "ld", "ldconfig", "ldconfig.real", "which",
        "x86_64-linux-gnu-gcc", "x86_64-linux-gnu-g++", "x86_64-linux-gnu-gcc-12", "x86_64-linux-gnu-g++-12",
    }
)  # fmt: skip

PROTECTED_MODULE_PREFIXES = ("torch", "triton", "kernelwright", "builtins", "time", "numpy", "sys", "gc")

_FRAME_ATTRS = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back", "gi_code", "f_locals"})
_SECRET_PATH_PARTS = ("/proc/self/mem", "/proc/self/environ")

WATCHED = frozenset(
    {
        "open", "os.listdir", "os.scandir", "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod",
        "os.chown", "os.symlink", "os.link", "os.truncate", "os.utime", "shutil.rmtree", "shutil.copyfile",
        "shutil.move", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
        "os.forkpty", "pty.spawn", "socket.__new__", "socket.connect", "socket.bind", "socket.getaddrinfo",
        "socket.sendto", "ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle", "sys._getframe",
        "sys._current_frames", "object.__getattr__", "gc.get_objects", "gc.get_referrers",
        "gc.get_referents", "sys.settrace", "sys.setprofile", "sys.addaudithook", "object.__setattr__",
        "object.__delattr__", "compile", "os.kill", "os.killpg", "signal.pthread_kill", "webbrowser.open",
        "urllib.Request", "ftplib.connect", "http.client.connect", "smtplib.connect", "imaplib.open",
    }
)  # fmt: skip


def _stdlib_dirs() -> tuple[str, ...]:
    dirs = {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]}
    return tuple(os.path.realpath(d) + os.sep for d in dirs)


def default_read_roots() -> list[str]:
    """Where installed Python, CUDA and Triton files live: readable, never writable."""
    roots = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        "/usr",
        "/lib",
        "/lib64",
        "/opt",
        "/etc",
        "/sys",
        "/dev",
        "/proc/self",
        "/proc/cpuinfo",
        "/proc/meminfo",
        "/proc/stat",
        "/proc/driver/nvidia",
        "/var/lib/dkms",
        "/run/nvidia-persistenced",
    }
    for p in sys.path:
        if p and os.path.isdir(p):
            roots.add(p)
    for var in ("CUDA_HOME", "CUDA_PATH"):
        if os.environ.get(var):
            roots.add(os.environ[var])
    return sorted(os.path.realpath(r) for r in roots)


class AuditPolicy:
    def __init__(
        self,
        private_dir: str,
        report: Callable[[str, str, str], None],
        read_roots: Iterable[str] | None = None,
        extra_write_roots: Iterable[str] = (),
    ):
        self.private = os.path.realpath(private_dir) + os.sep
        self.report = report  # (category, code, message) -> None; sends on the channel
        self.read_roots = tuple(r.rstrip(os.sep) + os.sep for r in (read_roots or default_read_roots()))
        self.write_roots = (self.private, *(os.path.realpath(r) + os.sep for r in extra_write_roots))
        self.stdlib = _stdlib_dirs()
        self._kind_cache: dict[str, str] = {}
        self._local = threading.local()
        self.enforcing = False
        self.violations: list[str] = []

    # -- who asked ---------------------------------------------------------------------------------
    def _kind(self, filename: str) -> str:
        kind = self._kind_cache.get(filename)
        if kind is None:
            if filename.startswith("<"):
                kind = "pass"
            else:
                real = os.path.realpath(filename)
                if real.startswith(self.private):
                    kind = "candidate"
                elif real.startswith(self.stdlib) and "site-packages" not in real:
                    kind = "pass"
                else:
                    kind = "trusted"
            self._kind_cache[filename] = kind
        return kind

    def _candidate_asked(self, depth: int = 3) -> bool:
        frame: FrameType | None = sys._getframe(depth)
        while frame is not None:
            kind = self._kind(frame.f_code.co_filename)
            if kind == "candidate":
                return True
            if kind == "trusted":
                return False
            frame = frame.f_back
        return False

    # -- path rules --------------------------------------------------------------------------------
    def _under(self, path: str, roots: tuple[str, ...]) -> bool:
        real = os.path.realpath(path)
        return any(real.startswith(r) or real + os.sep == r for r in roots)

    def _open_allowed(self, path: object, mode: object, flags: object) -> str | None:
        if not isinstance(path, str | bytes | os.PathLike):
            return None  # an fd
        p = os.fsdecode(path)
        if not os.path.isabs(p):
            p = os.path.join(os.getcwd(), p)
        real = os.path.realpath(p)
        if any(part in real for part in _SECRET_PATH_PARTS) or (
            real.startswith("/proc/")
            and not real.startswith(("/proc/self/", "/proc/cpuinfo", "/proc/meminfo"))
            and not real.startswith("/proc/driver/")
        ):
            return f"opens {p}: process memory and other processes are out of bounds"
        writing = False
        if isinstance(mode, str):
            writing = any(c in mode for c in "wax+")
        if isinstance(flags, int):
            writing = writing or bool(
                flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND)
            )
        if writing:
            if real in ("/dev/null",) or self._under(real, self.write_roots):
                return None
            return f"writes {p}: only the worker's private directory is writable"
        if self._under(real, self.write_roots) or self._under(real, self.read_roots):
            return None
        return f"reads {p}: outside the private directory and the installed toolchain"

    # -- the hook ----------------------------------------------------------------------------------
    def install(self) -> None:
        sys.addaudithook(self._hook)
        self.enforcing = True

    def _violate(self, category: str, code: str, message: str) -> None:
        self.violations.append(message)
        try:
            self.report(category, code, message)
        finally:
            raise PermissionError(f"kernelwright sandbox: {message}")

    def _hook(self, event: str, args: tuple) -> None:
        if not self.enforcing or event not in WATCHED or getattr(self._local, "busy", False):
            return
        self._local.busy = True
        try:
            verdict = self._judge(event, args)
        finally:
            self._local.busy = False
        if verdict is not None:
            self._violate(*verdict)

    def _judge(self, event: str, args: tuple) -> tuple[str, str, str] | None:  # noqa: C901 - one table
        if event == "open":
            if not self._candidate_asked():
                return None
            why = self._open_allowed(
                args[0], args[1] if len(args) > 1 else None, args[2] if len(args) > 2 else None
            )
            return ("sandbox", "KW-R101", why) if why else None
        if event in ("os.listdir", "os.scandir"):
            if args and args[0] is not None and self._candidate_asked():
                why = self._open_allowed(args[0], "r", None)
                return ("sandbox", "KW-R101", why.replace("reads", "lists")) if why else None
            return None
        if event in (
            "os.remove",
            "os.rename",
            "os.rmdir",
            "os.mkdir",
            "os.chmod",
            "os.chown",
            "os.symlink",
            "os.link",
            "os.truncate",
            "os.utime",
            "shutil.rmtree",
            "shutil.copyfile",
            "shutil.move",
        ):
            paths = [a for a in args if isinstance(a, str | bytes | os.PathLike)]
            for p in (
                paths[:2] if event in ("os.rename", "os.symlink", "os.link", "shutil.move") else paths[:1]
            ):
                real = os.path.realpath(os.fsdecode(p))
                if not self._under(real, self.write_roots) and self._candidate_asked():
                    return (
                        "sandbox",
                        "KW-R101",
                        f"{event} on {os.fsdecode(p)}: outside the private directory",
                    )
            return None
        if event in ("subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn"):
            exe = args[0] if args else None
            argv = args[1] if len(args) > 1 else None
            name = os.path.basename(os.fsdecode(exe)) if exe else ""
            if not name and argv:
                first = argv[0] if isinstance(argv, list | tuple) else str(argv).split()[0]
                name = os.path.basename(os.fsdecode(first))
            if name in ALLOWED_EXECUTABLES or not self._candidate_asked():
                return (
                    None  # compilers, or Triton/torch running their own tools (e.g. `file`, compile workers)
                )
            return ("sandbox", "KW-R102", f"runs a subprocess ({name or argv!r}): only compilers may run")
        if event in ("os.system", "pty.spawn", "os.fork", "os.forkpty"):
            return ("sandbox", "KW-R102", f"{event}: candidates may not start processes")
        if event.startswith(
            ("socket.", "urllib.", "ftplib.", "http.client.", "smtplib.", "imaplib.", "webbrowser")
        ):
            return ("sandbox", "KW-R103", f"{event}: candidates have no network")
        if event.startswith("ctypes."):
            if self._candidate_asked():
                return (
                    "sandbox",
                    "KW-R104",
                    f"{event} {args[0] if args else ''}: no native escapes via ctypes",
                )
            return None
        if event in (
            "sys._getframe",
            "sys._current_frames",
            "gc.get_objects",
            "gc.get_referrers",
            "gc.get_referents",
        ):
            if self._candidate_asked():
                return (
                    "sandbox",
                    "KW-R105",
                    f"{event}: frame and garbage-collector introspection is blocked",
                )
            return None
        if event == "object.__getattr__":
            if len(args) > 1 and args[1] in _FRAME_ATTRS and self._candidate_asked():
                return ("sandbox", "KW-R105", f"reads .{args[1]}: frame introspection is blocked")
            return None
        if event in ("sys.settrace", "sys.setprofile", "sys.addaudithook"):
            if self._candidate_asked():
                return ("sandbox", "KW-R105", f"{event}: tracing and audit hooks are the judge's")
            return None
        if event in ("object.__setattr__", "object.__delattr__"):
            # CPython audits only special type attributes (__module__, __doc__, __bases__…); ordinary
            # class patches are caught by the integrity snapshot instead (worker/integrity.py).
            target = args[0] if args else None
            module = getattr(target, "__module__", "") if isinstance(target, type) else ""
            if (
                isinstance(target, type)
                and isinstance(module, str)
                and module.split(".")[0] in PROTECTED_MODULE_PREFIXES
                and self._candidate_asked()
            ):
                attr = args[1] if len(args) > 1 else "?"
                return ("tampering", "KW-R201", f"patches {target.__module__}.{target.__qualname__}.{attr}")
            return None
        if event == "compile":
            filename = args[1] if len(args) > 1 else None
            if isinstance(filename, bytes | os.PathLike):
                filename = os.fsdecode(filename)
            if (
                isinstance(filename, str)
                and not filename.startswith("<")
                and not os.path.realpath(filename).startswith(self.private)
                and self._candidate_asked()
            ):
                return ("tampering", "KW-R202", f"compiles code under another file's name ({filename})")
            return None
        if event in ("os.kill", "os.killpg", "signal.pthread_kill"):
            if self._candidate_asked():
                return ("sandbox", "KW-R102", f"{event}: candidates may not signal processes")
            return None
        return None
