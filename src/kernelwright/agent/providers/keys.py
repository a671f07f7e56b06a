"""API keys: from the environment only, handed straight to an SDK client and nowhere else."""

from __future__ import annotations

import os

from kernelwright.errors import BadInput

LOCAL_DUMMY_KEY = "unused"  # local servers (vLLM, Ollama, llama.cpp, test fakes) ignore the key


def api_key(env_var: str, base_url: str | None, provider: str) -> str:
    """The key in `env_var`; a dummy for a custom base URL; bad input when the public API has none."""
    key = os.environ.get(env_var, "").strip()
    if key:
        return key
    if base_url:
        return LOCAL_DUMMY_KEY
    raise BadInput(
        f"{env_var} is not set: export it for the {provider} API, or pass --base-url for a local server"
    )
