"""Keeping credentials out of everything the agent writes.

Keys are read from the environment by the providers and handed only to the SDK clients. They are never
fields of a config, a prompt or a record. This module is the last line of defence: every file the agent
writes (trajectory, summary, recordings) and every line it prints passes through :func:`redact`, which
replaces the value of any secret-looking environment variable, because an SDK error message or a
server's echo could still carry one.
"""

from __future__ import annotations

import os
import re
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


def scrubbed_environ() -> dict[str, str]:
    """This process's environment minus secrets: for helper subprocesses that run problem code."""
    return {k: v for k, v in os.environ.items() if not _SECRET_NAME.search(k)}
