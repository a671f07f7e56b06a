"""One secrets policy: what a subprocess that runs problem or candidate code may see, and redaction.

Every subprocess that imports a problem file or a candidate (the sandboxed workers, the init-task
and problem-description probes, the knowledge tracer) gets `probe_env()`: an *allowlist* of the
variables a compiler toolchain needs, never the parent's environment minus a denylist, because a
denylist misses the secret nobody thought of (THREATS #18).

Keys are read from the environment by the providers and handed only to the SDK clients. They are never
fields of a config, a prompt or a record. This module is the last line of defence: every file the agent
writes (trajectory, summary, recordings) and every line it prints passes through :func:`redact`, which
replaces the value of any secret-looking environment variable, because an SDK error message or a
server's echo could still carry one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

_SECRET_NAME = re.compile(r"(API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)", re.IGNORECASE)
_BEARER = re.compile(r"(Bearer\s+|x-api-key[\"':\s]+)[A-Za-z0-9._\-]{8,}", re.IGNORECASE)
MIN_SECRET_LEN = 6  # shorter values ("1", "true") would redact ordinary text
MASK = "[redacted]"


def secret_values() -> list[str]:
    """Values of environment variables whose names say they are secrets, longest first."""
    values = {v for k, v in os.environ.items() if _SECRET_NAME.search(k) and len(v) >= MIN_SECRET_LEN}
    return sorted(values, key=len, reverse=True)


def redact(text: str, secrets: list[str] | None = None) -> str:
    for value in secret_values() if secrets is None else secrets:
        if value in text:
            text = text.replace(value, MASK)
    return _BEARER.sub(lambda m: m.group(1) + MASK, text)


def redact_obj(obj: Any, secrets: list[str] | None = None) -> Any:
    """`redact` applied to every string inside JSON-like data (dict keys included)."""
    secrets = secret_values() if secrets is None else secrets
    if isinstance(obj, str):
        return redact(obj, secrets)
    if isinstance(obj, dict):
        return {redact_obj(k, secrets): redact_obj(v, secrets) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [redact_obj(v, secrets) for v in obj]
    return obj


def safe_url(url: str | None) -> str | None:
    """A base URL without user:password@ and without a query string (some gateways put keys there)."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


# Variables a compiler toolchain and the GPU runtime need. Everything else (API keys, tokens, cloud
# credentials, database URLs, the user's HOME and KERNELWRIGHT_HOME) stays behind (THREATS #18).
ENV_ALLOWLIST = (
    "PATH", "LD_LIBRARY_PATH", "CUDA_HOME", "CUDA_PATH", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES",
    "CC", "CXX", "LANG", "LC_ALL", "TRITON_PTXAS_PATH", "TRITON_LIBCUDA_PATH", "TORCH_CUDA_ARCH_LIST",
    "PYTHONPATH", "VIRTUAL_ENV", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "KERNELWRIGHT_FORCE_CPU",
    "NCCL_NVLS_ENABLE", "TORCH_SYMM_MEM_DISABLE_MULTICAST", "NVSHMEM_DISABLE_NVLS",
)  # fmt: skip


def package_root() -> str:
    """The directory that holds the kernelwright package, so a child imports this very copy of it."""
    return str(Path(__file__).resolve().parents[1])


def probe_env(extra: dict[str, str] | None = None, *, cpu_only: bool = False) -> dict[str, str]:
    """The allowlisted environment for a subprocess that runs problem or candidate code.

    PYTHONPATH starts with this package's root (absolute paths only), so the child imports the same
    kernelwright whatever its working directory. `extra` is applied last.
    """
    env = {k: os.environ[k] for k in ENV_ALLOWLIST if k in os.environ}
    paths = [package_root(), *(os.path.abspath(p) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p)]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env.setdefault("PYTHONNOUSERSITE", "1")
    if cpu_only:
        env["CUDA_VISIBLE_DEVICES"] = ""
    env.update(extra or {})
    return env
