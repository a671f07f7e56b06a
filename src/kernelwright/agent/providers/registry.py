"""The provider registry: `@register_provider("name")` on a class taking `ProviderSettings`.

Built-in providers live in sibling modules and register on import. `create_provider` imports only the
module of the provider asked for, so `--provider replay` needs neither SDK installed and
`kernelwright verify` never pays for loading them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from kernelwright.agent.providers.base import Provider, ProviderSettings
from kernelwright.errors import BadInput

_REGISTRY: dict[str, Callable[[ProviderSettings], Any]] = {}
BUILTIN = {"openai": "openai_chat", "anthropic": "anthropic_messages", "replay": "replay"}


def register_provider(name: str) -> Callable[[Any], Any]:
    def deco(cls: Any) -> Any:
        _REGISTRY[name] = cls
        return cls

    return deco


def available() -> list[str]:
    return sorted(set(_REGISTRY) | set(BUILTIN))


def create_provider(name: str, settings: ProviderSettings) -> Provider:
    """An instance of provider `name`; unknown names are bad input (exit 2)."""
    if name not in _REGISTRY and name in BUILTIN:
        try:
            importlib.import_module(f"kernelwright.agent.providers.{BUILTIN[name]}")
        except ImportError as exc:
            raise BadInput(f"provider {name!r} needs a package that is not installed: {exc}") from exc
    if name not in _REGISTRY:
        raise BadInput(f"unknown provider {name!r} (available: {', '.join(available())})")
    return _REGISTRY[name](settings)
