"""The audit-hook policy installed in a candidate worker before the candidate is imported.

`sys.addaudithook` hooks cannot be removed, so once installed every audited operation the candidate
makes passes through `AuditPolicy._hook`. The hook decides by *who asked*: it walks the Python stack
past the standard library to the first frame of real code. If that frame is the candidate's own file
(anything in the worker's private directory), the operation is judged by the rules below; torch,
Triton and kernelwright frames are trusted, because Triton and `load_inline` legitimately run
compilers and open their caches.

A violation is reported on the authenticated result channel *before* the operation is refused, so a
candidate that catches the PermissionError and carries on is still rejected.

Nothing the candidate can reach leads back here (red team: cheat_rt_policy_kill_switch turned the
policy off through a closure cell of `os.environ`). The installed hook is the only reference to the
policy, and CPython keeps audit hooks where Python cannot list them; the environment guards and the
launch wrappers talk to it by raising audit events (`ENVIRON_EVENT`), never by holding it. What is
left to reach it is gc and frames, both audited here.

Who asked does not trust what a code object says about itself: making code under another file's
name (`code.__new__`, which `code.replace` raises; `function.__new__`; `exec` of such code; setting
`__code__`) is itself named (KW-R202), and a stack with no frame of known origin (a thread whose
target is a standard-library function) counts as the candidate's. Writes are decided by path alone:
nothing the worker runs, trusted or not, may write outside the private directory.

What this cannot contain: native code the candidate compiles and loads (a `load_inline` extension
runs unaudited C++). The network namespace, the scrubbed environment and the static guard's scan of
CUDA sources are the defences there; see docs/JUDGE.md.
"""

from __future__ import annotations

import builtins
import io
import os
import sys
import sysconfig
import threading
from collections.abc import Callable, Iterable
from types import FrameType, FunctionType, MethodType, SimpleNamespace
from typing import Any

# What the hook calls, bound now: its detached copy (`_detached`) resolves these in a private dict,
# so rebinding os.path.realpath or sys._getframe later does not reach it.
_realpath = os.path.realpath
_getframe = sys._getframe
_fsdecode = os.fsdecode
_isabs, _join, _basename, _getcwd = os.path.isabs, os.path.join, os.path.basename, os.getcwd
_stat = os.stat  # C functions, bound before any candidate code runs
_open_file = io.open

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
        "code.__new__", "function.__new__", "exec",
    }
)  # fmt: skip

# Raised by the environment guards (worker/integrity.py) with the variable's name; the policy decides
# who asked and reports. An event, not a callback: a callback would be a path from os.environ to here.
ENVIRON_EVENT = "kernelwright.environ"
_WRITE_EVENTS = frozenset(
    {
        "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.symlink", "os.link",
        "os.truncate", "os.utime", "shutil.rmtree", "shutil.copyfile", "shutil.move",
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


def audit_native_writes() -> None:
    """Let the write rule see the files torch.save opens in C++.

    torch.save's zip writer opens its file in C++ (`torch._C.PyTorchFileWriter`), which raises no
    `open` audit event, so nothing named a candidate that aimed it at site-packages (red team:
    cheat_rt_trusted_writer_pth; the read-only system view refused the write). The stand-in raises
    the event the open would have, and the path decides. Installed before the integrity snapshot,
    which covers `torch._C`, so putting the native class back is reported as tampering.
    """
    import torch

    native = torch._C.PyTorchFileWriter
    if getattr(native, "_kw_audited", False):
        return

    class PyTorchFileWriter(native):  # type: ignore[misc,valid-type]
        _kw_audited = True

        def __init__(self, target: Any, *args: Any, **kwargs: Any) -> None:
            if isinstance(target, str | bytes | os.PathLike):
                sys.audit("open", target, "wb", 0)
            super().__init__(target, *args, **kwargs)

    PyTorchFileWriter.__module__ = native.__module__
    PyTorchFileWriter.__qualname__ = native.__qualname__
    setattr(torch._C, "PyTorchFileWriter", PyTorchFileWriter)  # noqa: B010 - mypy: a stub's class


class AuditPolicy:
    """The rules; `install()` hands the only lasting reference to CPython's audit-hook list.

    Callers keep no reference once it is installed (worker/candidate.py): every attribute here
    (the roots, the caches, the re-entrancy flag, `report`) would otherwise be a switch.
    """

    def __init__(
        self,
        private_dir: str,
        report: Callable[[str, str, str], None],
        read_roots: Iterable[str] | None = None,
        extra_write_roots: Iterable[str] = (),
    ):
        self.private = _realpath(private_dir) + os.sep
        self.report = report  # (category, code, message) -> None; sends on the channel
        self.read_roots = tuple(r.rstrip(os.sep) + os.sep for r in (read_roots or default_read_roots()))
        self.write_roots = (self.private, *(_realpath(r) + os.sep for r in extra_write_roots))
        self.stdlib = _stdlib_dirs()
        self._kind_cache: dict[str, str] = {}
        self._local = threading.local()
        self.violations: list[str] = []

    # -- who asked ---------------------------------------------------------------------------------
    def _kind(self, filename: str) -> str:
        kind = self._kind_cache.get(filename)
        if kind is None:
            if filename.startswith("<"):
                kind = "pass"
            else:
                real = _realpath(filename)
                if real.startswith(self.private):
                    kind = "candidate"
                elif real.startswith(self.stdlib) and "site-packages" not in real:
                    kind = "pass"
                else:
                    kind = "trusted"
            self._kind_cache[filename] = kind
        return kind

    def _origin(self, frame: FrameType | None) -> str | None:
        """ "candidate" or "trusted": the first frame of known origin walking out from `frame`; None
        when the stack has none (only the standard library and `<string>` frames)."""
        while frame is not None:
            kind = self._kind(frame.f_code.co_filename)
            if kind != "pass":
                return kind
            frame = frame.f_back
        return None

    def _asked_from(self, frame: FrameType | None) -> bool:
        """Whether the candidate asked: the first frame of known origin is its own, or there is none.

        A stack of standard-library and `<string>` frames only is the candidate's: the harness and
        its libraries always have a frame of their own below, a thread the candidate started with
        `target=subprocess.Popen` does not (red team: cheat_rt_thread_stdlib_popen).
        """
        return self._origin(frame) != "trusted"

    def _candidate_asked(self, depth: int = 3) -> bool:
        return self._asked_from(_getframe(depth))

    def _relabelled(self, filename: object) -> bool:
        """A file name for new code that is neither the candidate's own nor a `<string>`-style one."""
        if isinstance(filename, bytes | os.PathLike):
            filename = _fsdecode(filename)
        return (
            isinstance(filename, str) and self._kind(filename) != "candidate" and not filename.startswith("<")
        )

    @staticmethod
    def _is_file_source(source: object, filename: object) -> bool:
        """Whether `source` is the file's own bytes: the import system compiling a module that has no
        .pyc yet (a clean clone, a read-only view), on behalf of the candidate's `import`.

        Code compiled from a file's true contents under its own name is that file's code, which the
        candidate could import anyway; running it from a candidate frame is still `exec` of relabelled
        code (KW-R202, `_judge_new_code`). Anything else compiled under a library's name is not.
        """
        if not isinstance(source, bytes | str) or not isinstance(filename, str | bytes | os.PathLike):
            return False
        data = source.encode() if isinstance(source, str) else source
        try:
            path = _fsdecode(filename)
            if _stat(path).st_size != len(data):
                return False
            with _open_file(path, "rb") as fh:
                return bool(fh.read(len(data) + 1) == data)
        except (OSError, ValueError, UnicodeError):
            return False

    # -- path rules --------------------------------------------------------------------------------
    def _under(self, path: str, roots: tuple[str, ...]) -> bool:
        real = _realpath(path)
        return any(real.startswith(r) or real + os.sep == r for r in roots)

    @staticmethod
    def _writing(mode: object, flags: object) -> bool:
        writing = isinstance(mode, str) and any(c in mode for c in "wax+")
        if isinstance(flags, int):
            writing = writing or bool(
                flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND)
            )
        return writing

    def _write_allowed(self, path: object) -> str | None:
        """Decided by the resolved path alone, whoever asked (red team: cheat_rt_trusted_writer_pth)."""
        if not isinstance(path, str | bytes | os.PathLike):
            return None  # an fd: opened before, and checked then
        p = _fsdecode(path)
        real = _realpath(p if _isabs(p) else _join(_getcwd(), p))
        if real == "/dev/null" or self._under(real, self.write_roots):
            return None
        return f"writes {p}: only the worker's private directory is writable"

    def _open_allowed(self, path: object, mode: object, flags: object) -> str | None:
        if not isinstance(path, str | bytes | os.PathLike):
            return None  # an fd
        if self._writing(mode, flags):
            return self._write_allowed(path)
        p = _fsdecode(path)
        if not _isabs(p):
            p = _join(_getcwd(), p)
        real = _realpath(p)
        if any(part in real for part in _SECRET_PATH_PARTS) or (
            real.startswith("/proc/")
            and not real.startswith(("/proc/self/", "/proc/cpuinfo", "/proc/meminfo"))
            and not real.startswith("/proc/driver/")
        ):
            return f"opens {p}: process memory and other processes are out of bounds"
        if self._under(real, self.write_roots) or self._under(real, self.read_roots):
            return None
        return f"reads {p}: outside the private directory and the installed toolchain"

    # -- the hook ----------------------------------------------------------------------------------
    def install(self) -> None:
        """Hook a detached copy in (`_detached`): after this, patching the class changes nothing."""
        sys.addaudithook(_detached(self)._hook)

    def _violate(self, category: str, code: str, message: str) -> None:
        self.violations.append(message)
        try:
            self.report(category, code, message)
        finally:
            raise PermissionError(f"kernelwright sandbox: {message}")

    def _hook(self, event: str, args: tuple) -> None:
        if (event not in WATCHED and event != ENVIRON_EVENT) or getattr(self._local, "busy", False):
            return
        self._local.busy = True
        try:
            if event == ENVIRON_EVENT:
                self._environ(_getframe(1), args)
                return
            verdict = self._judge(event, args)
        finally:
            self._local.busy = False
        if verdict is not None:
            self._violate(*verdict)

    def _environ(self, frame: FrameType | None, args: tuple) -> None:
        """A secret-looking variable was read through a guard: report it if the candidate asked.

        The walk starts past the guard's own frames (the run of frames from the raiser's file).
        """
        here = frame.f_code.co_filename if frame is not None else ""
        while frame is not None and frame.f_code.co_filename == here:
            frame = frame.f_back
        name = args[0] if args else None
        if isinstance(name, str) and self._asked_from(frame):
            self.violations.append(f"reads {name}")
            self.report(
                "sandbox", "KW-R107", f"reads the environment variable {name}: secrets never reach the worker"
            )

    def _judge(self, event: str, args: tuple) -> tuple[str, str, str] | None:  # noqa: C901 - one table
        if event == "open":
            mode, flags = (args[1] if len(args) > 1 else None), (args[2] if len(args) > 2 else None)
            if self._writing(mode, flags):
                why = self._write_allowed(args[0])
            elif self._candidate_asked():
                why = self._open_allowed(args[0], mode, flags)
            else:
                return None
            return ("sandbox", "KW-R101", why) if why else None
        if event in ("os.listdir", "os.scandir"):
            if args and args[0] is not None and self._candidate_asked():
                why = self._open_allowed(args[0], "r", None)
                return ("sandbox", "KW-R101", why.replace("reads", "lists")) if why else None
            return None
        if event in _WRITE_EVENTS:
            paths = [a for a in args if isinstance(a, str | bytes | os.PathLike)]
            for p in (
                paths[:2] if event in ("os.rename", "os.symlink", "os.link", "shutil.move") else paths[:1]
            ):
                if self._write_allowed(p):
                    return (
                        "sandbox",
                        "KW-R101",
                        f"{event} on {_fsdecode(p)}: outside the private directory",
                    )
            return None
        if event in ("code.__new__", "function.__new__", "exec"):
            return self._judge_new_code(event, args)
        if event in ("subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn"):
            exe = args[0] if args else None
            argv = args[1] if len(args) > 1 else None
            name = _basename(_fsdecode(exe)) if exe else ""
            if not name and argv:
                first = argv[0] if isinstance(argv, list | tuple) else str(argv).split()[0]
                name = _basename(_fsdecode(first))
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
            target = args[0] if args else None
            attr = args[1] if len(args) > 1 else "?"
            if (
                event == "object.__setattr__"
                and attr == "__code__"
                and len(args) > 2
                and self._relabelled(getattr(args[2], "co_filename", None))
                and self._candidate_asked()
            ):
                return ("tampering", "KW-R202", f"gives a function code labelled {args[2].co_filename}")
            # CPython audits only special type attributes (__module__, __doc__, __bases__…); ordinary
            # class patches are caught by the integrity snapshot instead (worker/integrity.py).
            module = getattr(target, "__module__", "") if isinstance(target, type) else ""
            if (
                isinstance(target, type)
                and isinstance(module, str)
                and module.split(".")[0] in PROTECTED_MODULE_PREFIXES
                and self._candidate_asked()
            ):
                return ("tampering", "KW-R201", f"patches {target.__module__}.{target.__qualname__}.{attr}")
            return None
        if event == "compile":
            # Known origin only: printing a traceback in a thread compiles source lines under their
            # own file's name from a stack of threading frames (every use of such code is judged
            # by `_judge_new_code`, fail-closed).
            filename = args[1] if len(args) > 1 else None
            if (
                self._relabelled(filename)
                and self._origin(_getframe(2)) == "candidate"
                and not self._is_file_source(args[0] if args else None, filename)
            ):
                return ("tampering", "KW-R202", f"compiles code under another file's name ({filename})")
            return None
        if event in ("os.kill", "os.killpg", "signal.pthread_kill"):
            if self._candidate_asked():
                return ("sandbox", "KW-R102", f"{event}: candidates may not signal processes")
            return None
        return None

    def _judge_new_code(self, event: str, args: tuple) -> tuple[str, str, str] | None:
        """Code made or run under another file's name, so that "who asked" would be fooled (KW-R202).

        `code.__new__` carries the new file name (`code.replace` raises it too); `function.__new__`
        and `exec` carry the code object, which covers code that arrives without `code.__new__`
        (marshal.loads of patched bytes: red team cheat_rt_relabel_marshal). `exec` is judged by its
        direct caller (the import system execs every module's code on the importer's behalf), or
        named when the stack has no frame of known origin (a thread with `target=exec`).
        """
        if event == "code.__new__":
            filename = args[1] if len(args) > 1 else None
        else:
            filename = getattr(args[0], "co_filename", None) if args else None
        if not self._relabelled(filename):
            return None
        if event == "exec":
            caller = _getframe(3)  # _judge_new_code < _judge < _hook < the frame that called exec
            if self._kind(caller.f_code.co_filename) != "candidate" and self._origin(caller) is not None:
                return None
        elif not self._candidate_asked(4):
            return None
        return ("tampering", "KW-R202", f"{event}: makes code labelled {filename}, to pass as trusted code")


def _detached(policy: AuditPolicy) -> Any:
    """The policy as a SimpleNamespace whose methods are copies with private globals and builtins.

    `object.__subclasses__()` and `sys.modules` reach `AuditPolicy` and this module without any audit
    event, and class attributes can be rebound silently; a hook that looked its methods up there
    could be switched off for a moment and back (red team: cheat_rt_policy_class_patch). The copy's
    type (SimpleNamespace) cannot be patched, its functions resolve globals and builtins in dicts
    only they hold, and the hook CPython keeps is its only reference.
    """
    g = dict(globals())
    g["__builtins__"] = dict(vars(builtins))
    g.update(_private_paths())
    ns = SimpleNamespace(**vars(policy))
    for klass in reversed(type(policy).__mro__[:-1]):
        for name, attr in vars(klass).items():
            if isinstance(attr, staticmethod):
                setattr(ns, name, _rebuild(attr.__func__, g))
            elif isinstance(attr, FunctionType):
                setattr(ns, name, MethodType(_rebuild(attr, g), ns))
    return ns


def _rebuild(fn: Any, g: dict) -> FunctionType:
    new = FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__kwdefaults__ = fn.__kwdefaults__
    return new


def _private_paths() -> dict[str, Any]:
    """Copies of the path functions the hook calls, over C functions only.

    `posixpath.realpath` looks `_joinrealpath`, `os.lstat` and the rest up in shared module dicts at
    call time; rebinding one for a moment would make /proc/1/environ resolve into the private
    directory (red team: cheat_rt_policy_stdlib_patch). These copies resolve them in a dict made
    here, where `os` and `stat` are namespaces of the C functions captured now. Built at install
    time, so no module global leads to that dict.
    """
    import genericpath
    import posixpath
    import stat

    encoding, errors = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()
    g: dict[str, Any] = {**vars(genericpath), **vars(posixpath), "__builtins__": dict(vars(builtins))}

    def fsdecode(filename: Any) -> str:
        filename = os.fspath(filename)
        return filename.decode(encoding, errors) if isinstance(filename, bytes) else filename

    def fsencode(filename: Any) -> bytes:
        filename = os.fspath(filename)
        return filename.encode(encoding, errors) if isinstance(filename, str) else filename

    g["os"] = SimpleNamespace(
        fspath=os.fspath, getcwd=os.getcwd, getcwdb=os.getcwdb, lstat=os.lstat, stat=os.stat,
        readlink=os.readlink, getuid=os.getuid, environ={}, sep=os.sep, fsdecode=fsdecode,
        fsencode=fsencode,
    )  # fmt: skip
    g["stat"] = SimpleNamespace(**{k: v for k, v in vars(stat).items() if not isinstance(v, FunctionType)})
    for name, value in list(g.items()):
        if isinstance(value, FunctionType):
            g[name] = _rebuild(value, g)
    g["genericpath"] = SimpleNamespace(_check_arg_types=g["_check_arg_types"], _splitext=g["_splitext"])
    g["os"].fsdecode = _rebuild(fsdecode, g)
    g["os"].fsencode = _rebuild(fsencode, g)
    return {
        "_realpath": g["realpath"],
        "_isabs": g["isabs"],
        "_join": g["join"],
        "_basename": g["basename"],
        "_fsdecode": g["os"].fsdecode,
    }
