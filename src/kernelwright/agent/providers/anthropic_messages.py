"""Anthropic messages through the official SDK, streamed.

The stream's events carry everything: `message_start` (model, input tokens), `content_block_delta`
(text), `message_delta` (stop reason, cumulative output tokens). `--base-url` points the SDK at another
host (a gateway, or the local fake server the tests use).
"""

from __future__ import annotations

from typing import Any

import anthropic

from kernelwright.agent.providers.base import Completion, Message, ProviderError, ProviderSettings
from kernelwright.agent.providers.keys import api_key
from kernelwright.agent.providers.registry import register_provider
from kernelwright.agent.providers.retry import Retryable, RetryPolicy, call_with_retries
from kernelwright.agent.providers.sdk_errors import classify


def _input_tokens(usage: Any) -> int:
    """Prompt tokens including cache writes and reads (all of them were sent)."""
    total = 0
    for name in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
        total += getattr(usage, name, None) or 0
    return total


@register_provider("anthropic")
class AnthropicMessages:
    """`messages.create(stream=True)`; SDK retries off, ours on (see `retry.py`)."""

    name = "anthropic"

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings
        self.model = settings.model
        self.policy = RetryPolicy(settings.max_retries, settings.retry_base_delay, settings.retry_max_delay)
        self._client = anthropic.Anthropic(
            api_key=api_key("ANTHROPIC_API_KEY", settings.base_url, "Anthropic"),
            base_url=settings.base_url,
            max_retries=0,
            timeout=settings.request_timeout,
        )

    def _kwargs(self, messages: list[Message]) -> dict[str, Any]:
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        chat = [{"role": m["role"], "content": m["content"]} for m in messages if m["role"] != "system"]
        kwargs: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.settings.max_output_tokens,
            "messages": chat,
        }
        if system:
            kwargs["system"] = system
        if self.settings.thinking_budget:
            # Extended thinking: the budget counts against max_tokens, and the API refuses a
            # temperature other than 1 with it, so the temperature is left to the server then.
            kwargs["thinking"] = {"type": "enabled", "budget_tokens": self.settings.thinking_budget}
        elif self.settings.temperature is not None:
            kwargs["temperature"] = self.settings.temperature
        return kwargs

    def complete(self, messages: list[Message], *, request_id: str) -> Completion:
        return call_with_retries(lambda: self._attempt(messages), self.policy)

    def _attempt(self, messages: list[Message]) -> Completion:
        try:
            return self._stream(messages) if self.settings.stream else self._whole(messages)
        except (Retryable, ProviderError):
            raise
        except Exception as exc:  # noqa: BLE001 - every SDK/transport failure is classified, none escapes raw
            raise classify(exc, anthropic) from None

    def _stream(self, messages: list[Message]) -> Completion:
        parts: list[str] = []
        out = Completion(text="")
        stream = self._client.messages.create(stream=True, **self._kwargs(messages))
        with stream:
            for event in stream:
                kind = event.type
                if kind == "message_start":
                    out.model = event.message.model
                    out.tokens_in = _input_tokens(event.message.usage)
                    out.tokens_out = event.message.usage.output_tokens or 0
                elif kind == "content_block_delta" and getattr(event.delta, "type", "") == "text_delta":
                    parts.append(event.delta.text)
                elif kind == "message_delta":
                    out.finish_reason = event.delta.stop_reason or out.finish_reason
                    if event.usage is not None:
                        out.tokens_out = event.usage.output_tokens or out.tokens_out
                        out.tokens_in = max(out.tokens_in, _input_tokens(event.usage))
        if out.finish_reason is None:  # no message_delta/message_stop: the connection dropped mid-stream
            raise Retryable(f"stream ended without a stop reason after {sum(map(len, parts))} characters")
        out.text = "".join(parts)
        return out

    def _whole(self, messages: list[Message]) -> Completion:
        msg = self._client.messages.create(stream=False, **self._kwargs(messages))
        text = "".join(getattr(block, "text", "") for block in msg.content if block.type == "text")
        return Completion(
            text=text,
            model=msg.model,
            finish_reason=msg.stop_reason,
            tokens_in=_input_tokens(msg.usage),
            tokens_out=msg.usage.output_tokens or 0,
        )
