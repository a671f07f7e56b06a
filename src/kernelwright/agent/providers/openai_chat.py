"""OpenAI chat completions through the official SDK: OpenAI itself and any compatible server.

vLLM, SGLang, Ollama and llama.cpp's server all speak this protocol; point `--base-url` at their
`/v1`. Replies are streamed and assembled; usage comes from the final chunk that
`stream_options={"include_usage": True}` asks for (servers that ignore it leave the counts at 0).
"""

from __future__ import annotations

from typing import Any

import openai

from kernelwright.agent.providers.base import Completion, Message, ProviderError, ProviderSettings
from kernelwright.agent.providers.keys import api_key
from kernelwright.agent.providers.registry import register_provider
from kernelwright.agent.providers.retry import Retryable, RetryPolicy, call_with_retries
from kernelwright.agent.providers.sdk_errors import classify


def _official(base_url: str | None) -> bool:
    return not base_url or "api.openai.com" in base_url


@register_provider("openai")
class OpenAIChat:
    """`chat.completions.create(stream=True)`; SDK retries off, ours on (see `retry.py`)."""

    name = "openai"

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings
        self.model = settings.model
        self.policy = RetryPolicy(settings.max_retries, settings.retry_base_delay, settings.retry_max_delay)
        self._client = openai.OpenAI(
            api_key=api_key("OPENAI_API_KEY", settings.base_url, "OpenAI"),
            base_url=settings.base_url,
            max_retries=0,
            timeout=settings.request_timeout,
        )
        self._usage_option = True  # dropped once if a server rejects stream_options

    def _kwargs(self, messages: list[Message]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages}
        # OpenAI's reasoning models refuse `max_tokens`; most compatible servers only know `max_tokens`.
        limit_key = "max_completion_tokens" if _official(self.settings.base_url) else "max_tokens"
        kwargs[limit_key] = self.settings.max_output_tokens
        if self.settings.temperature is not None:
            kwargs["temperature"] = self.settings.temperature
        if self.settings.reasoning_effort:
            # Chat completions' own parameter; vLLM and SGLang pass it to models that honour it.
            kwargs["reasoning_effort"] = self.settings.reasoning_effort
        return kwargs

    def complete(self, messages: list[Message], *, request_id: str) -> Completion:
        return call_with_retries(lambda: self._attempt(messages), self.policy)

    def _attempt(self, messages: list[Message]) -> Completion:
        try:
            return self._stream(messages) if self.settings.stream else self._whole(messages)
        except (Retryable, ProviderError):
            raise
        except openai.BadRequestError as exc:
            if self.settings.stream and self._usage_option and "stream_options" in str(exc.message):
                self._usage_option = False  # an older server: stream without usage rather than fail
                raise Retryable("server rejected stream_options; retrying without usage reporting") from None
            raise classify(exc, openai) from None
        except Exception as exc:  # noqa: BLE001 - every SDK/transport failure is classified, none escapes raw
            raise classify(exc, openai) from None

    def _stream(self, messages: list[Message]) -> Completion:
        kwargs = self._kwargs(messages)
        if self._usage_option:
            kwargs["stream_options"] = {"include_usage": True}
        parts: list[str] = []
        out = Completion(text="")
        stream = self._client.chat.completions.create(stream=True, **kwargs)
        with stream:
            for chunk in stream:
                out.model = chunk.model or out.model
                if chunk.usage is not None:
                    out.tokens_in = chunk.usage.prompt_tokens or 0
                    out.tokens_out = chunk.usage.completion_tokens or 0
                for choice in chunk.choices:
                    if choice.delta is not None and choice.delta.content:
                        parts.append(choice.delta.content)
                    if choice.finish_reason:
                        out.finish_reason = choice.finish_reason
        if out.finish_reason is None:  # the SDK ends quietly when the connection drops mid-stream
            raise Retryable(f"stream ended without a finish reason after {sum(map(len, parts))} characters")
        out.text = "".join(parts)
        return out

    def _whole(self, messages: list[Message]) -> Completion:
        resp = self._client.chat.completions.create(stream=False, **self._kwargs(messages))
        choice = resp.choices[0] if resp.choices else None
        usage = resp.usage
        return Completion(
            text=(choice.message.content or "") if choice else "",
            model=resp.model,
            finish_reason=choice.finish_reason if choice else None,
            tokens_in=usage.prompt_tokens if usage else 0,
            tokens_out=usage.completion_tokens if usage else 0,
        )
