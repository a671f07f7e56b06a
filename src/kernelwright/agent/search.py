"""Search over candidates: which kernels the next prompt builds on, and when to stop.

Strategies (`--strategy`):
- refine: iterate on the latest most promising candidate (its code and verdict go into the prompt);
  when it is far worse than the best kernel (rejected, or accepted at < `revert_ratio` of the best
  speedup), revert: the next prompt builds on the best kernel again.
- best-of-n: every round draws `samples` independent candidates from a prompt carrying the best kernel,
  the latest feedback and the attempt log, but not the failed code (no anchoring on a bad draft).
- evolve: keep a small population of accepted kernels; each sample's prompt carries two parents (the
  best two, or the best and another member for diversity). Before two are accepted it refines.

Goal: on a GPU, a speedup of `target` over the stronger of eager and torch.compile, or >= 95% of the
roofline; without a GPU (`verdict.timing is None`), the first accepted kernel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from kernelwright.agent.attempt import Attempt
from kernelwright.agent.budget import Budget
from kernelwright.agent.taxonomy import Outcome


class Strategy(StrEnum):
    REFINE = "refine"
    BEST_OF_N = "best-of-n"
    EVOLVE = "evolve"


# How close a rejected candidate came, for choosing what to iterate on: a kernel that ran and was
# slightly wrong is a better draft than one that did not compile; cheats are the worst drafts.
_CLOSENESS = {
    Outcome.WRONG_OUTPUT: 6, Outcome.CRASH_OR_TIMEOUT: 5, Outcome.INPUT_MUTATION: 4, Outcome.NEEDS_CUDA: 3,
    Outcome.COMPILE_ERROR: 3, Outcome.TIMING_EVASION: 2, Outcome.PASSTHROUGH: 1, Outcome.TAMPERING: 1,
    Outcome.SANDBOX: 1, Outcome.JUDGE_ERROR: 0, Outcome.PARSE_ERROR: 0, Outcome.PROVIDER_ERROR: -1,
}  # fmt: skip


def score(a: Attempt) -> tuple[int, float]:
    """Higher is better: accepted by speedup over the stronger baseline, then rejected by closeness."""
    if a.accepted:
        return (2, a.speedup or 0.0)
    return (1 if a.verdict is not None else 0, float(_CLOSENESS.get(a.outcome, 0)))


@dataclass
class Plan:
    """What one sample's prompt builds on."""

    base: Attempt | None = None  # the candidate to iterate on (its code is shown)
    feedback: Attempt | None = None  # the latest verdict shown as structured feedback
    parents: list[Attempt] = field(default_factory=list)  # evolve
    reverted: bool = False  # the latest candidate was far worse: building on the best again


@dataclass
class Stop:
    status: str  # "target-reached" | "roofline" | "accepted" | "plateau" | "budget-exhausted" | ...
    reason: str


@dataclass
class SearchState:
    strategy: Strategy = Strategy.REFINE
    samples: int = 1
    target: float = 1.05
    patience: int = 3
    roofline_goal: float = 0.95
    revert_ratio: float = 0.8
    population_size: int = 4
    attempts: list[Attempt] = field(default_factory=list)
    best: Attempt | None = None
    population: list[Attempt] = field(default_factory=list)
    feedback: Attempt | None = None
    base: Attempt | None = None
    reverted: bool = False
    stale_rounds: int = 0
    fatal: str | None = None

    def update(self, round_attempts: list[Attempt]) -> bool:
        """Fold one round in; True when the best kernel improved."""
        self.attempts.extend(round_attempts)
        fatal = next((a for a in round_attempts if a.provider_fatal), None)
        if fatal is not None:
            self.fatal = fatal.provider_error
        improved = False
        for a in round_attempts:
            if a.accepted and (self.best is None or score(a) > score(self.best)):
                self.best, improved = a, True
        accepted = sorted(
            [a for a in self.population + round_attempts if a.accepted], key=score, reverse=True
        )
        unique: dict[str | None, Attempt] = {}  # one member per distinct kernel source
        for a in accepted:
            unique.setdefault(a.sha256, a)
        self.population = list(unique.values())[: self.population_size]
        informative = [a for a in round_attempts if a.outcome is not Outcome.PROVIDER_ERROR]
        if informative:
            top = max(informative, key=score)
            self.feedback = top
            self.reverted = self.best is not None and top is not self.best and self._far_worse(top)
            if self.reverted:
                self.base = self.best
            elif top.candidate is not None:
                self.base = top
            # else (parse error, judge error): keep iterating on the previous draft, with this feedback
        if self.best is not None:
            self.stale_rounds = 0 if improved else self.stale_rounds + 1
        return improved

    def _far_worse(self, a: Attempt) -> bool:
        if not a.accepted:
            return True
        best = self.best.speedup if self.best else None
        return best is not None and a.speedup is not None and a.speedup < self.revert_ratio * best

    def plans(self) -> list[Plan]:
        """One plan per sample of the next round."""
        if self.strategy is Strategy.EVOLVE and len(self.population) >= 2:
            pop = (
                self.population
            )  # best first; pairs (0,1), (0,2), (1,2), (0,3)...: the best two, then variety
            pairs = [[pop[i], pop[j]] for j in range(1, len(pop)) for i in range(j)]
            return [
                Plan(base=None, feedback=self.feedback, parents=pairs[k % len(pairs)])
                for k in range(self.samples)
            ]
        if self.strategy is Strategy.BEST_OF_N:
            return [Plan(base=self.best, feedback=self.feedback) for _ in range(self.samples)]
        return [
            Plan(base=self.base, feedback=self.feedback, reverted=self.reverted) for _ in range(self.samples)
        ]

    def goal(self) -> Stop | None:
        """The goal reached by the best kernel, if any."""
        best = self.best
        if best is None or best.verdict is None:
            return None
        timing = best.verdict.timing
        if timing is None:
            return Stop(
                "accepted", "an accepted kernel (no GPU: correctness is the goal; timing needs a GPU)"
            )
        speedup = best.speedup or 0.0
        if speedup >= self.target:
            return Stop(
                "target-reached", f"{speedup:.2f}x over the stronger baseline >= target {self.target:g}x"
            )
        if timing.roofline_fraction >= self.roofline_goal:
            return Stop(
                "roofline", f"{timing.roofline_fraction:.0%} of the roofline >= {self.roofline_goal:.0%}"
            )
        return None

    def stop(self, budget: Budget) -> Stop | None:
        """Why to stop after this round, or None to go on."""
        if self.fatal:
            return Stop("provider-error", self.fatal)
        reached = self.goal()
        if reached:
            return reached
        if self.best is not None and self.stale_rounds >= self.patience:
            return Stop(
                "plateau",
                f"{self.stale_rounds} rounds without a faster accepted kernel (patience {self.patience})",
            )
        spent = budget.exhausted()
        if spent:
            status = "budget-exhausted" if self.best is not None else "no-accepted-kernel"
            return Stop(status, f"{spent} budget spent")
        return None
