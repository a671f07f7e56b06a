"""LLM providers behind one registry: `openai` (and compatible servers), `anthropic`, `replay`.

Each provider is a transport only: messages in, assembled `Completion` out. Prompt building lives in
`kernelwright.agent.prompting`, reply parsing in `kernelwright.agent.parsing`.
"""

from __future__ import annotations

from kernelwright.agent.providers.base import Completion, Message, Provider, ProviderError, ProviderSettings
from kernelwright.agent.providers.registry import available, create_provider, register_provider
from kernelwright.agent.providers.replay import RecordingProvider, ReplayProvider, prompt_digest
from kernelwright.agent.providers.retry import RetryPolicy, call_with_retries

__all__ = [
    "Completion",
    "Message",
    "Provider",
    "ProviderError",
    "ProviderSettings",
    "RecordingProvider",
    "ReplayProvider",
    "RetryPolicy",
    "available",
    "call_with_retries",
    "create_provider",
    "prompt_digest",
    "register_provider",
]
