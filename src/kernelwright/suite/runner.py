"""Judging a whole suite: pairing problems with candidates, a worker pool, KernelBench's fast_p."""

from __future__ import annotations

import contextlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kernelwright.errors import BadInput, KernelwrightError
from kernelwright.judge import JudgeConfig
from kernelwright.problem import (
    ProblemSpec,
    discover,
    find_candidates,
    kernelbench_candidates,
    kernelbench_samples,
    stem_of,
)
from kernelwright.verdict import Category, Reason, Verdict, sha256_text

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
    """(items to judge, problems with no candidate).

    A problem's candidates: `<stem>.py`, `<stem>/*.py`, and KernelBench's generated kernels
    `level_{L}_problem_{N}_sample_{S}_kernel.py` for a problem file named `{N}_...` (every sample is
    a candidate of its own).
    """
    cdir = Path(candidates_dir)
    if not cdir.is_dir():
        raise BadInput(f"candidates directory not found: {cdir}")
    items: list[Item] = []
    missing: list[ProblemSpec] = []
    samples = kernelbench_samples(cdir)
    for spec in discover(problems_dir):
        named = find_candidates(cdir, stem_of(spec.path))
        found = list(dict.fromkeys([*named, *kernelbench_candidates(samples, spec.path)]))
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


# KernelBench's score.py thresholds; its speedup is the reference's eager time over the kernel's.
KERNELBENCH_P = (0.0, 0.5, 0.8, 1.0, 1.5, 2.0)

# What KernelBench's own eval fails a kernel for: it compiles the kernel, runs it on get_inputs()
# (the benchmark shape) and compares the outputs with allclose. Everything else the judge checks
# (fuzz shapes, ablation and passthrough, input mutation, tampering, sandbox, timing evasion) it does not.
KERNELBENCH_CHECKS = frozenset(
    {Category.COMPILE_ERROR.value, Category.WRONG_OUTPUT.value, Category.CRASH_OR_TIMEOUT.value}
)
# Wrong-output codes KernelBench has no counterpart for: two runs of one input agreeing (O003), the
# outputs of timed calls (O004; KernelBench times without checking), and a constant output within the
# tolerance of a near-constant reference (O005: KernelBench's allclose passes it).
KERNELBENCH_UNCHECKED_CODES = frozenset({"KW-O003", "KW-O004", "KW-O005"})
# The judge names every checked case `kind:index` in its reason messages (worker/protocol.py
# Case.label: `seed:0` at the benchmark shape, `fuzz:3` at a fuzz shape, `timed:7` a timed call).
CASE_LABEL = re.compile(r"\b(seed|fuzz|timed):\d+\b")


def kernelbench_correct(v: Verdict) -> bool:
    """True when KernelBench would call the candidate correct: its outputs matched at the benchmark shape.

    Accepted verdicts are. A rejected one is when it compared outputs at all and every hard reason is
    one KernelBench does not check: a category outside compile/wrong-output/crash, an O003-O005, or a
    wrong output or crash whose case labels are all fuzz cases. A reason with no case label (a compile
    error, a crash outside any case) counts against it. When no benchmark-shape case ran (a problem
    over the CPU interpreter's input budget is judged on fuzz shapes only), the fuzz cases stand in for
    the benchmark shape and their failures count.
    """
    if v.accepted:
        return True
    c = v.correctness
    if v.verdict != "rejected" or c is None or c.trials + c.fuzz_cases == 0:
        return False
    fuzz_stands_in = c.trials == 0
    return not any(_kernelbench_fails(r, fuzz_stands_in) for r in v.hard_reasons)


def _kernelbench_fails(reason: Reason, fuzz_counts: bool) -> bool:
    if reason.category not in KERNELBENCH_CHECKS or reason.code in KERNELBENCH_UNCHECKED_CODES:
        return False
    kinds = CASE_LABEL.findall(reason.message)
    return fuzz_counts or not kinds or any(kind != "fuzz" for kind in kinds)


def fast_p_both(verdicts: list[Verdict], n_problems: int) -> dict[str, Any]:
    """fast_p at KernelBench's thresholds, by KernelBench's notion of correct and by the judge's verdict.

    KernelBench (score.py): the share of all problems whose kernel is correct and faster than p x the
    eager reference. Several candidates of one problem (samples): the problem counts when one of them
    qualifies. The judge times accepted candidates only, so a candidate KernelBench calls correct but
    the judge rejected counts toward fast_0 and no higher threshold (`kernelbench.untimed` counts the
    problems where that happened: the KernelBench numbers above 0 are a lower bound by that much).
    Without timing (CPU) only fast_0 is defined.
    """
    by_problem: dict[str, list[Verdict]] = defaultdict(list)
    for v in verdicts:
        by_problem[v.problem].append(v)
    timed = any(v.timing for v in verdicts)
    kernelbench = _fast_p_table(by_problem, n_problems, kernelbench_correct, timed)
    kernelbench["untimed"] = sum(
        1
        for vs in by_problem.values()
        if not any(v.accepted for v in vs) and any(kernelbench_correct(v) for v in vs)
    )
    return {
        "thresholds": list(KERNELBENCH_P),
        "problems": n_problems,  # the denominator: every problem of the run, with a candidate or not
        "speedup": "eager reference time / candidate time",
        "kernelbench": kernelbench,
        "strict": _fast_p_table(by_problem, n_problems, lambda v: v.accepted, timed),
    }


def _fast_p_table(
    by_problem: dict[str, list[Verdict]], n_problems: int, correct: Callable[[Verdict], bool], timed: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {"correct": sum(1 for vs in by_problem.values() if any(map(correct, vs)))}
    for p in KERNELBENCH_P:
        key = f"fast_{p:g}"
        if p > 0 and not timed:
            out[key] = None
            continue
        hits = sum(
            1
            for vs in by_problem.values()
            if any(correct(v) and (p == 0 or _speedup(v, "eager") > p) for v in vs)
        )
        out[key] = round(hits / n_problems, 4) if n_problems else 0.0
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
        "fast_p": fast_p_both(verdicts, len(problems)),
        # rejected here, correct by KernelBench's checks: what the two fast_p sets differ by
        "kernelbench_correct_rejected": [
            it.key for it, v, _ in results if v is not None and not v.accepted and kernelbench_correct(v)
        ],
    }
