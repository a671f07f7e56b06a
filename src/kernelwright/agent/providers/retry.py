"""Retries with exponential backoff and jitter, counted by us rather than hidden inside an SDK.

Why our own loop: the SDKs' built-in retries (`max_retries`) are invisible to the caller, so a run
that spent half its time in 429 back-off would look merely slow. Providers build their SDK clients
with `max_retries=0` and wrap each request in :func:`call_with_retries`, which reports every failed
attempt in the returned `Completion` (and in the trajectory and summary).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from kernelwright.agent.providers.base import Completion, ProviderError
from kernelwright.errors import KernelwrightError

RETRYABLE_STATUS = frozenset({408, 409, 425, 429})  # plus every 5xx


def retryable_status(status: int | None) -> bool:
    return status is not None and (status in RETRYABLE_STATUS or status >= 500)


class Retryable(KernelwrightError):
    """Raised by a provider's single attempt when trying again may succeed."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    base_delay: float = 1.0  # seconds before the first retry; tests use ~0.01
    max_delay: float = 60.0
    jitter: float = 0.5  # each delay is scaled by a uniform factor in [1 - jitter, 1]

    def delay(
        self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Delay before retry number `attempt` (0-based): base * 2^attempt, jittered, capped.

        A server's Retry-After wins when it asks for longer, still capped at `max_delay`.
        """
        raw = min(self.max_delay, self.base_delay * (2**attempt))
        jittered = raw * (1.0 - self.jitter * (rng or random).random())
        if retry_after is not None:
            jittered = max(jittered, min(retry_after, self.max_delay))
        return max(0.0, jittered)


def call_with_retries(
    attempt: Callable[[], Completion], policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep
) -> Completion:
    """Run `attempt` until it returns, retrying `Retryable` failures; other errors pass through."""
    errors: list[str] = []
    started = time.monotonic()
    for n in range(policy.max_retries + 1):
        try:
            result = attempt()
        except Retryable as exc:
            errors.append(str(exc))
            if n == policy.max_retries:
                raise ProviderError(
                    f"gave up after {n + 1} attempts: {exc}", retries=n, errors=errors
                ) from None
            sleep(policy.delay(n, exc.retry_after))
            continue
        except ProviderError as exc:
            exc.retries, exc.errors = n, errors + [str(exc)]
            raise
        result.retries, result.errors = n, errors
        result.seconds = round(time.monotonic() - started, 3)
        return result
    raise AssertionError("unreachable")  # pragma: no cover


def retry_after_seconds(headers: object) -> float | None:
    """Seconds from a Retry-After (or retry-after-ms) header; None when absent or an HTTP date."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    ms = get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000.0
        except ValueError:
            pass
    raw = get("retry-after")
    if raw:
        try:
            return float(raw)
        except ValueError:
            return None
    return None
