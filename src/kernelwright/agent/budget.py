"""Budgets: rounds, tokens, cost and wall time, checked between rounds.

Checked between rounds (not mid-request) so that a started round's candidates are always judged:
a round can overshoot the token or cost budget by at most its own `samples` requests.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class Budget:
    max_turns: int = 10
    max_tokens: int | None = None
    max_cost: float | None = None  # USD
    max_time: float | None = None  # seconds
    started: float = field(default_factory=time.monotonic)
    turns: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def charge(self, tokens_in: int, tokens_out: int, cost: float, retries: int = 0) -> None:
        with self._lock:
            self.tokens_in += tokens_in
            self.tokens_out += tokens_out
            self.cost += cost
            self.retries += retries

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def exhausted(self) -> str | None:
        """The name of the first budget that is spent ("max-turns", ...), or None."""
        if self.turns >= self.max_turns:
            return "max-turns"
        if self.max_tokens is not None and self.tokens >= self.max_tokens:
            return "max-tokens"
        if self.max_cost is not None and self.cost >= self.max_cost:
            return "max-cost"
        if self.max_time is not None and self.elapsed >= self.max_time:
            return "max-time"
        return None

    def limits(self) -> dict[str, float | int | None]:
        return {
            "max_turns": self.max_turns,
            "max_tokens": self.max_tokens,
            "max_cost": self.max_cost,
            "max_time": self.max_time,
        }
