"""Mapping the official SDKs' exceptions onto retry-or-not.

Both SDKs share one exception shape (APIStatusError with `status_code`, APITimeoutError,
APIConnectionError); a stream that breaks mid-way can also surface the HTTP library's own transport
error, which we treat like a dropped connection.
"""

from __future__ import annotations

from types import ModuleType

from kernelwright.agent.providers.base import ProviderError
from kernelwright.agent.providers.retry import Retryable, retry_after_seconds, retryable_status
from kernelwright.secrets import redact


def _transport_errors() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = []
    for name in ("httpx2", "httpx"):
        try:
            mod = __import__(name)
        except ImportError:
            continue
        err = getattr(mod, "TransportError", None)
        if isinstance(err, type):
            found.append(err)
    return tuple(found)


TRANSPORT_ERRORS = _transport_errors()
FATAL_STATUS = frozenset({401, 403, 404})  # bad key, no access, unknown model or URL: no later request helps


def _short(text: object, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return redact(line[:limit] + ("…" if len(line) > limit else ""))


def classify(exc: BaseException, sdk: ModuleType) -> Exception:
    """A `Retryable` or a `ProviderError` for an SDK exception (the caller raises it)."""
    if isinstance(exc, sdk.APIStatusError):
        status = exc.status_code
        message = f"HTTP {status}: {_short(exc.message)}"
        if retryable_status(status):
            return Retryable(message, retry_after_seconds(exc.response.headers))
        return ProviderError(message, fatal=status in FATAL_STATUS)
    if isinstance(exc, sdk.APITimeoutError):
        return Retryable("request timed out")
    if isinstance(exc, sdk.APIConnectionError):
        cause = exc.__cause__ or exc
        return Retryable(f"connection error: {_short(cause) or type(cause).__name__}")
    if TRANSPORT_ERRORS and isinstance(exc, TRANSPORT_ERRORS):
        return Retryable(f"stream broken: {type(exc).__name__}: {_short(exc)}")
    if isinstance(exc, sdk.APIError):
        # e.g. an error event inside a 200 stream without a status; the next attempt may succeed
        return Retryable(f"API error: {_short(exc)}")
    return ProviderError(f"{type(exc).__name__}: {_short(exc)}")
