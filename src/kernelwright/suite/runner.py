"""Judging a whole suite: pairing problems with candidates, a worker pool, KernelBench's fast_p."""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kernelwright.errors import BadInput, KernelwrightError
from kernelwright.judge import JudgeConfig
from kernelwright.problem import ProblemSpec, discover, find_candidates, stem_of
from kernelwright.verdict import Verdict, sha256_text

SUITE_SCHEMA = "kernelwright.suite/1"
FAST_P = (0.0, 1.0, 1.5, 2.0)


@dataclass(frozen=True)
class Item:
    problem: ProblemSpec
    candidate: Path

    @property
    def key(self) -> str:
        return f"{self.problem.id}::{self.candidate.name}"

    def judged_as(self, record: dict[str, Any] | None) -> bool:
        """True when ``record`` (a stored, signed verdict) judged exactly this candidate and problem.

        Why by content and not by name: ``--resume`` after a candidate or its problem was edited must
        judge it again, not hand back the verdict of the old file.
        """
        if not record:
            return False
        try:
            candidate = self.candidate.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return False  # judged again: the judge reports what is wrong with it
        return record.get("candidate_sha256") == sha256_text(candidate) and record.get(
            "problem_sha256"
        ) == sha256_text(self.problem.source)


def pair(problems_dir: str | Path, candidates_dir: str | Path) -> tuple[list[Item], list[ProblemSpec]]:
    """(items to judge, problems with no candidate)."""
    cdir = Path(candidates_dir)
    if not cdir.is_dir():
        raise BadInput(f"candidates directory not found: {cdir}")
    items: list[Item] = []
    missing: list[ProblemSpec] = []
    for spec in discover(problems_dir):
        found = find_candidates(cdir, stem_of(spec.path))
        if not found:
            missing.append(spec)
        items.extend(Item(spec, c) for c in found)
    return items, missing


Judge = Callable[[Item, JudgeConfig], Verdict]


def local_judge(item: Item, config: JudgeConfig) -> Verdict:
    from kernelwright.judge import judge  # imports torch: only when something is judged

    return judge(item.problem, item.candidate, config)


def run_items(
    items: list[Item],
    config: JudgeConfig,
    jobs: int = 1,
    on_result: Callable[[Item, Verdict | None, str | None], None] | None = None,
    judge_fn: Judge = local_judge,
) -> list[tuple[Item, Verdict | None, str | None]]:
    """Judge every item; a problem that turns out unusable is reported, and the batch goes on."""
    results: list[tuple[Item, Verdict | None, str | None]] = []

    def one(item: Item) -> tuple[Item, Verdict | None, str | None]:
        try:
            return item, judge_fn(item, config), None
        except KernelwrightError as exc:
            return item, None, str(exc)
        except Exception as exc:  # noqa: BLE001 - one item's failure is its own error; the suite goes on
            return item, None, f"internal error: {type(exc).__name__}: {exc}"

    with _warm_workers(judge_fn, jobs), ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(one, it) for it in items]
        for fut in as_completed(futures):
            item, verdict, err = fut.result()
            results.append((item, verdict, err))
            if on_result:
                on_result(item, verdict, err)
    order = {it.key: i for i, it in enumerate(items)}
    results.sort(key=lambda r: order[r[0].key])
    return results


def _warm_workers(judge_fn: Judge, jobs: int) -> Any:
    """Judged here: `jobs` pre-started candidate workers, and a warm reference per problem in flight
    (judge/pool.py). Judged elsewhere (Ray): nothing to keep here."""
    if judge_fn is not local_judge:
        return contextlib.nullcontext()
    from kernelwright.judge.pool import use_pool

    return use_pool(spares=max(1, jobs), references=max(2, jobs))


def fast_p(verdicts: list[Verdict], n_problems: int) -> dict[str, Any]:
    """KernelBench's fast_p: share of problems with a correct candidate faster than p x the baseline.

    Per problem the best candidate counts. Without timing (CPU) only fast_0 (= correct) is defined.
    """
    best: dict[str, Verdict] = {}
    for v in verdicts:
        cur = best.get(v.problem)
        if cur is None or _rank(v) > _rank(cur):
            best[v.problem] = v
    out: dict[str, Any] = {}
    timed = any(v.timing for v in best.values())
    for baseline in ("eager", "compiled"):
        for p in FAST_P:
            key = f"fast_{p:g}_vs_{baseline}"
            if p > 0 and not timed:
                out[key] = None
                continue
            hits = sum(1 for v in best.values() if v.accepted and (p == 0 or _speedup(v, baseline) > p))
            out[key] = round(hits / n_problems, 4) if n_problems else 0.0
    speedups = [_speedup(v, "compiled") for v in best.values() if v.accepted and v.timing]
    speedups = [s for s in speedups if s > 0]
    out["geomean_speedup_vs_compiled"] = (
        round(math.exp(sum(math.log(s) for s in speedups) / len(speedups)), 4) if speedups else None
    )
    return out


def _speedup(v: Verdict, baseline: str) -> float:
    if not v.timing:
        return 0.0
    if baseline == "compiled":
        return v.timing.speedup_vs_compiled or 0.0
    return v.timing.speedup_vs_eager


def _rank(v: Verdict) -> tuple[int, float]:
    return (1 if v.accepted else 0, _speedup(v, "eager"))


def summarize(results: list[tuple[Item, Verdict | None, str | None]], missing: list[ProblemSpec]) -> dict:
    verdicts = [v for _, v, _ in results if v is not None]
    problems = {it.problem.id for it, _, _ in results} | {m.id for m in missing}
    counts = Counter(v.verdict for v in verdicts)
    categories = Counter(v.category for v in verdicts if v.category)
    return {
        "problems": len(problems),
        "candidates": len(results),
        "accepted": counts.get("accepted", 0),
        "rejected": counts.get("rejected", 0),
        "skipped": counts.get("skipped", 0),
        "errors": [{"item": it.key, "error": err} for it, _, err in results if err],
        "without_candidate": sorted(m.id for m in missing),
        "categories": dict(categories),
        **fast_p(verdicts, len(problems)),
    }
