"""The agent's settings: one pydantic model, from a TOML file's [agent] table with CLI flags on top.

No field holds a credential. `public_dump()` is what goes into summaries, store runs and recordings:
the base URL loses any user:password@ or query string, and every string is redacted.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kernelwright.agent.providers.base import ProviderSettings
from kernelwright.agent.search import Strategy
from kernelwright.errors import BadInput
from kernelwright.secrets import redact_obj, safe_url


class AgentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str = "openai"
    model: str = ""
    base_url: str | None = None
    strategy: Strategy = Strategy.REFINE
    samples: int = Field(1, ge=1, le=64)
    max_turns: int = Field(10, ge=1)  # rounds; each round asks for `samples` candidates
    max_tokens: int | None = Field(None, ge=1)
    max_cost: float | None = Field(None, gt=0)
    max_time: float | None = Field(None, gt=0)
    target: float = Field(1.05, gt=0)  # speedup over the stronger of eager and torch.compile
    patience: int = Field(3, ge=1)
    roofline_goal: float = Field(0.95, gt=0, le=1.0)
    revert_ratio: float = Field(0.8, gt=0, le=1.0)
    temperature: float | None = Field(None, ge=0)
    # Reasoning models spend most of a reply thinking before the file: 8192 tokens truncate them.
    max_output_tokens: int = Field(32768, ge=1)
    reasoning_effort: Literal["minimal", "low", "medium", "high"] | None = None  # OpenAI reasoning models
    thinking_budget: int | None = Field(None, ge=1024)  # Anthropic extended thinking, tokens
    request_timeout: float = Field(600.0, gt=0)
    stream: bool = True
    max_retries: int = Field(5, ge=0)
    retry_base_delay: float = Field(1.0, ge=0)
    retry_max_delay: float = Field(60.0, ge=0)
    price_in: float | None = Field(None, ge=0)  # USD per million input tokens (overrides prices.toml)
    price_out: float | None = Field(None, ge=0)
    record: str | None = None
    replay: str | None = None
    knowledge: int = Field(3, ge=0)  # verified kernels retrieved for the prompt (0: none)
    # knowledge.DEFAULT_MIN_SCORE (a test keeps them equal): importing it would load the store here
    knowledge_min_score: float = Field(0.3, ge=0, le=1)
    allow_same_problem: bool = False  # retrieve kernels accepted for this very problem (leaks answers)
    judge_jobs: int | None = Field(None, ge=1)  # None: `samples` on CPU, 1 on a GPU (timing integrity)
    executor: Literal["local", "ray"] = "local"  # where candidates are judged (as `suite run`)
    ray_address: str | None = None

    def provider_settings(self) -> ProviderSettings:
        return ProviderSettings(
            model=self.model,
            base_url=self.base_url,
            temperature=self.temperature,
            max_output_tokens=self.max_output_tokens,
            reasoning_effort=self.reasoning_effort,
            thinking_budget=self.thinking_budget,
            request_timeout=self.request_timeout,
            stream=self.stream,
            max_retries=self.max_retries,
            retry_base_delay=self.retry_base_delay,
            retry_max_delay=self.retry_max_delay,
            replay_dir=self.replay,
        )

    def public_dump(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["base_url"] = safe_url(self.base_url)
        return redact_obj(data)


def read_toml(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    if not path.is_file():
        raise BadInput(f"config file not found: {path}")
    try:
        return tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"config file {path} is not valid TOML: {exc}") from exc


def build_agent_config(config_file: Path | None, **overrides: Any) -> AgentConfig:
    """[agent] table of `config_file`, then the CLI flags that were given; bad values are bad input."""
    raw = read_toml(config_file).get("agent", {})
    if not isinstance(raw, dict):
        raise BadInput(f"config file {config_file}: [agent] must be a table")
    data = {**raw, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        cfg = AgentConfig(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadInput(f"bad agent setting {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
    if cfg.provider == "replay" and not cfg.replay:
        raise BadInput("--provider replay needs --replay DIR (a folder written by --record)")
    if cfg.replay and cfg.provider != "replay":
        cfg = cfg.model_copy(update={"provider": "replay"})
    from kernelwright.agent.providers.registry import available

    if cfg.provider not in available():
        raise BadInput(f"unknown provider {cfg.provider!r} (available: {', '.join(available())})")
    if cfg.provider != "replay" and not cfg.model:
        raise BadInput(f"--model is required for provider {cfg.provider!r}")
    if cfg.thinking_budget is not None and cfg.thinking_budget >= cfg.max_output_tokens:
        raise BadInput(
            f"--thinking-budget ({cfg.thinking_budget}) must be below --max-output-tokens "
            f"({cfg.max_output_tokens}): the thinking counts against the reply's limit"
        )
    if cfg.ray_address and cfg.executor != "ray":
        raise BadInput("--ray-address only applies to --executor ray")
    return cfg
