"""Sandbox escape: processes, network, native code, private files, secrets and package installs.

Cheat 18 (THREATS.md): a candidate reads secrets (env, ~/.ssh), writes outside its directory, opens
sockets, runs subprocesses or installs packages. None of it is needed to write a kernel; the sandbox
blocks it at run time, and these rules say so before anything runs.
"""

from __future__ import annotations

import ast
import re

from kernelwright.guard.aliases import const_str, literal_text, matches_any, words
from kernelwright.guard.context import Context
from kernelwright.guard.rules._base import RefTable, info, report_references

PROCESS_SPAWN = info(
    "KW-S030",
    "process-spawn",
    "hard",
    "sandbox",
    "starts or signals processes (subprocess, os.system/popen/exec*/spawn*/fork, pty, multiprocessing)",
)
NETWORK = info(
    "KW-S031",
    "network",
    "hard",
    "sandbox",
    "opens network connections (socket, urllib, http.client, requests)",
)
NATIVE_ESCAPE = info(
    "KW-S032", "native-escape", "hard", "sandbox", "loads native code through ctypes or cffi"
)
SENSITIVE_PATH = info(
    "KW-S033",
    "sensitive-path",
    "hard",
    "sandbox",
    "names a path under ~, /root, /home, /etc, /tmp, /proc, /sys, /var or /dev/shm (e.g. /proc/self/mem)",
)
SECRET_READ = info(
    "KW-S034",
    "secret-read",
    "hard",
    "sandbox",
    "reads an environment variable named like a secret (KEY, TOKEN, ...)",
)
ENV_WRITE = info(
    "KW-S035", "env-write", "soft", "sandbox", "writes the process environment (os.environ[...] = ...)"
)
ENV_READ = info(
    "KW-S036",
    "env-read",
    "soft",
    "sandbox",
    "reads the whole environment or a variable whose name is computed",
)
PACKAGE_INSTALL = info(
    "KW-S037",
    "package-install",
    "hard",
    "sandbox",
    "installs packages at run time (pip, ensurepip, pip install)",
)

_PROCESS_WHY = (
    "a kernel never starts, replaces or signals processes; that is sandbox escape (only the judge's own "
    "compiler subprocesses are allowed). Launch your kernel in-process instead."
)
PROCESS_TABLE: RefTable = [
    (
        words(
            "subprocess os.system os.popen os.exec* os.spawn* os.fork os.forkpty os.posix_spawn "
            "os.posix_spawnp os.kill os.killpg pty multiprocessing pexpect "
            "asyncio.create_subprocess_exec asyncio.create_subprocess_shell"
        ),
        _PROCESS_WHY,
    )
]
NETWORK_TABLE: RefTable = [
    (
        words(
            "socket ssl urllib urllib3 http.client http.server requests httpx aiohttp ftplib smtplib "
            "telnetlib xmlrpc websocket websockets paramiko asyncio.open_connection "
            "asyncio.start_server"
        ),
        "a kernel never talks to the network; that is sandbox escape (the sandbox has no network anyway). "
        "Remove it.",
    )
]
NATIVE_TABLE: RefTable = [
    (
        ("ctypes", "_ctypes", "cffi", "_cffi_backend"),
        "ctypes/cffi reach raw memory and libc outside torch's checks; that is sandbox escape. Write CUDA "
        "through torch.utils.cpp_extension.load_inline or a Triton kernel instead.",
    )
]
PIP_TABLE: RefTable = [
    (
        ("pip", "ensurepip", "setuptools.command", "distutils.command"),
        "installing packages at run time changes the judge's environment and needs the network; that is "
        "sandbox escape. Use only what is already installed (torch, triton, the standard library).",
    )
]

_PATH_RE = re.compile(r"^(~(/|$)|/(root|home|etc|tmp|proc|sys|var|dev/shm)(/|$))\S*$")
_SECRET_RE = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|PRIVATE|SSH|AWS_|AUTH", re.IGNORECASE)
_PIP_TEXT_RE = re.compile(r"\b(pip3?|uv\s+pip|conda|mamba|apt(-get)?)\s+install\b|-m\s+(pip|ensurepip)\b")
ENV_QUALS = ("os.environ", "os.environb")
ENV_WRITE_METHODS = frozenset(words("update setdefault pop popitem clear __setitem__ __delitem__"))


def check_process_spawn(ctx: Context) -> None:
    """subprocess / os.system / os.exec* / fork / pty / multiprocessing, imported or used."""
    report_references(ctx, PROCESS_SPAWN, PROCESS_TABLE)


def check_network(ctx: Context) -> None:
    """socket / urllib / http.client / requests and friends, imported or used."""
    report_references(ctx, NETWORK, NETWORK_TABLE)


def check_native_escape(ctx: Context) -> None:
    """ctypes / cffi, imported or used (``load_inline`` is the sanctioned way to run native code)."""
    report_references(ctx, NATIVE_ESCAPE, NATIVE_TABLE)


def _is_docstring(ctx: Context, node: ast.AST) -> bool:
    parent = ctx.parent(node)
    return isinstance(parent, ast.Expr)


def check_sensitive_paths(ctx: Context) -> None:
    """String literals that are paths into private or system places (~/.ssh, /proc/self/mem, /etc, /tmp).

    Only whole-path literals count (``"/proc/self/mem"``, ``f"/home/{user}"``), so prose or source
    text that merely mentions /tmp does not.
    """
    for node in ctx.walk():
        text: str | None = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if isinstance(ctx.parent(node), ast.JoinedStr):
                continue
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = literal_text(node)
        if not text or _is_docstring(ctx, node) or not _PATH_RE.match(text.strip()):
            continue
        why = (
            "reading your own process memory bypasses every check"
            if text.startswith("/proc/self/mem")
            else "a kernel has no business with home directories, system files or shared temp space"
        )
        ctx.report(
            SENSITIVE_PATH,
            node,
            f"names the path {text.strip()!r}: {why}; that is sandbox escape. Keep files, if any, in your "
            "working directory, and prefer none.",
        )
    for node, qual in ctx.references():
        if qual in ("pathlib.Path.home", "os.path.expanduser", "os.path.expandvars"):
            ctx.report(SENSITIVE_PATH, node, f"uses {qual}: home-directory paths are off limits to a kernel.")


def _env_access(ctx: Context, node: ast.AST, qual: str) -> tuple[str, ast.AST, str | None] | None:
    """Classify one reference to the environment as (kind, anchor, literal key).

    kind is "write" (``os.environ[k] = v``, ``.update``, ``putenv``), "key" (one variable:
    ``os.environ[k]``, ``.get(k)``, ``os.getenv(k)``; key None when computed) or "whole"
    (``dict(os.environ)``, ``.items()``, iteration). None when `node` is not about the environment.
    """
    parent = ctx.parent(node)
    if qual in ("os.putenv", "os.unsetenv"):
        return "write", node, None
    if qual in ("os.getenv", "os.getenvb"):
        if isinstance(parent, ast.Call) and parent.func is node:
            return "key", node, const_str(parent.args[0]) if parent.args else None
        return None  # `g = os.getenv`: the alias resolves, so its calls are checked where they happen
    if not matches_any(qual, ENV_QUALS):
        return None
    method = qual.split(".")[2] if qual.count(".") >= 2 else None
    if method in ENV_WRITE_METHODS:
        return "write", node, None
    if method is None and isinstance(parent, ast.Subscript) and parent.value is node:
        if isinstance(parent.ctx, ast.Store | ast.Del):
            return "write", parent, None
        return "key", node, const_str(parent.slice)
    if method == "get" and isinstance(parent, ast.Call):
        return "key", node, const_str(parent.args[0]) if parent.args else None
    return "whole", node, None


def check_environment(ctx: Context) -> None:
    """os.environ / os.getenv: secret names are hard; writes and whole-environment reads are soft."""
    for node, qual in ctx.references():
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        access = _env_access(ctx, node, qual)
        if access is None:
            continue
        kind, anchor, key = access
        if kind == "write":
            ctx.report(ENV_WRITE, anchor, f"writes the environment ({ast.unparse(anchor)}): {_ENV_WRITE_WHY}")
        elif kind == "whole":
            ctx.report(ENV_READ, anchor, f"reads {qual} as a whole: {_ENV_READ_WHY}")
        elif key is None:
            ctx.report(ENV_READ, anchor, f"reads {qual} with a computed name: {_ENV_READ_WHY}")
        elif _SECRET_RE.search(key):
            ctx.report(SECRET_READ, anchor, f"reads the environment variable {key!r}: {_SECRET_WHY}")
    for node in ctx.walk():
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and ctx.resolve(node) in ENV_QUALS
        ):
            ctx.report(ENV_WRITE, node, f"replaces {ctx.resolve(node)}: {_ENV_WRITE_WHY}")


_SECRET_WHY = (
    "a kernel never needs credentials; reading them is sandbox escape. Remove it (the judge scrubs "
    "secrets from the environment anyway)."
)
_ENV_WRITE_WHY = (
    "changing the environment can steer the judge's own libraries (caches, allocator, compiler flags); "
    "the runtime checks what it does. Prefer arguments and torch/triton settings to environment variables."
)
_ENV_READ_WHY = (
    "a kernel reads at most a few named settings; dumping the environment is how secrets are harvested. "
    "Read the one variable you need by its literal name."
)


def check_package_install(ctx: Context) -> None:
    """``import pip``, ``pip.main``, ensurepip, and ``pip install`` / ``-m pip`` in strings and argv lists."""
    report_references(ctx, PACKAGE_INSTALL, PIP_TABLE)
    why = PIP_TABLE[0][1]
    for node in ctx.walk():
        if isinstance(node, ast.Constant) and isinstance(ctx.parent(node), ast.JoinedStr):
            continue
        if isinstance(node, ast.Constant | ast.JoinedStr) and not _is_docstring(ctx, node):
            text = literal_text(node)
            if _PIP_TEXT_RE.search(text):
                ctx.report(PACKAGE_INSTALL, node, f"contains the command {text.strip()[:60]!r}: {why}")
        elif isinstance(node, ast.List | ast.Tuple):
            words = [const_str(e) or "" for e in node.elts]
            pairs = set(zip(words, words[1:], strict=False))
            if {("-m", "pip"), ("-m", "ensurepip"), ("pip", "install"), ("pip3", "install")} & pairs:
                ctx.report(
                    PACKAGE_INSTALL, node, f"builds a pip command line {ast.unparse(node)[:60]}: {why}"
                )


RULES = [
    PROCESS_SPAWN,
    NETWORK,
    NATIVE_ESCAPE,
    SENSITIVE_PATH,
    SECRET_READ,
    ENV_WRITE,
    ENV_READ,
    PACKAGE_INSTALL,
]
CHECKS = [
    check_process_spawn,
    check_network,
    check_native_escape,
    check_sensitive_paths,
    check_environment,
    check_package_install,
]
