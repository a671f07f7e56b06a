"""What every provider returns, and the errors the loop tells apart.

Why one small `Completion` type: the loop, the recorder and the replayer all need the same facts about
a reply (text, token usage, how it ended, how many retries it took), whatever wire protocol produced it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from kernelwright.errors import KernelwrightError

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": str}


class ProviderError(KernelwrightError):
    """A request that failed for good (after retries, or at once when retrying cannot help).

    `fatal` means every later request would fail the same way (bad key, unknown model, bad URL): the
    loop stops instead of spending its budget on repeats.
    """

    def __init__(
        self, message: str, *, fatal: bool = False, retries: int = 0, errors: list[str] | None = None
    ):
        super().__init__(message)
        self.fatal = fatal
        self.retries = retries
        self.errors = errors or []


@dataclass
class Completion:
    """One assembled reply. Token counts come from the server's usage fields (0 when it sent none)."""

    text: str
    tokens_in: int = 0
    tokens_out: int = 0
    finish_reason: str | None = None  # "stop", "length"/"max_tokens" (truncated), ...
    model: str | None = None  # the model name the server reported
    retries: int = 0  # failed attempts before this reply (429, 5xx, timeouts, connection errors)
    errors: list[str] = field(default_factory=list)  # one line per failed attempt
    seconds: float = 0.0

    @property
    def truncated(self) -> bool:
        return self.finish_reason in ("length", "max_tokens")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ProviderSettings:
    """How to reach a model. The API key is never a field: providers read it from the environment."""

    model: str
    base_url: str | None = None
    temperature: float | None = None
    max_output_tokens: int = 32768
    reasoning_effort: str | None = None  # OpenAI: "minimal" | "low" | "medium" | "high"
    thinking_budget: int | None = None  # Anthropic extended thinking: budget_tokens
    request_timeout: float = 600.0
    stream: bool = True
    max_retries: int = 5
    retry_base_delay: float = 1.0
    retry_max_delay: float = 60.0
    replay_dir: str | None = None


class Provider(Protocol):
    """Turns messages into a reply. `request_id` ("t003-s01") names the request for recording/replay."""

    name: str
    model: str

    def complete(self, messages: list[Message], *, request_id: str) -> Completion: ...
