"""Cost of a request from its token usage and a per-model price table (`prices.toml`, USD / 1M tokens)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Price:
    input_per_m: float
    output_per_m: float
    known: bool  # False: the model is not in the table and no override was given (cost counts as 0)

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * self.input_per_m + tokens_out * self.output_per_m) / 1e6


@cache
def table() -> dict[str, tuple[float, float]]:
    raw = tomllib.loads((resources.files("kernelwright.agent") / "prices.toml").read_text())
    return {name: (float(v[0]), float(v[1])) for name, v in raw.get("models", {}).items()}


def price_for(model: str, price_in: float | None = None, price_out: float | None = None) -> Price:
    """Overrides win; else the exact model, else the longest listed prefix of it, else free-but-unknown."""
    name = model.split("/")[-1]  # "openai/gpt-4o" (router-style names) -> "gpt-4o"
    listed = table().get(name)
    if listed is None:
        prefixes = [k for k in table() if name.startswith(k)]
        listed = table()[max(prefixes, key=len)] if prefixes else None
    if price_in is not None or price_out is not None:
        base = listed or (0.0, 0.0)
        return Price(
            price_in if price_in is not None else base[0],
            price_out if price_out is not None else base[1],
            True,
        )
    if listed is None:
        return Price(0.0, 0.0, False)
    return Price(listed[0], listed[1], True)
