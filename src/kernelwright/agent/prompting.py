"""Building each turn's messages from the jinja2 templates in `kernelwright/prompts/`.

Prompts are data (`system.j2`, `turn.j2`); this module only turns the session's state into the plain
values the templates show. Each turn is self-contained (system + one user message) rather than a
growing chat: the turn carries the task contract, the hardware card, the best kernel, the latest
verdict as structured feedback, retrieved knowledge and the attempt log, so the context stays bounded
however long the search runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import jinja2

from kernelwright.agent.attempt import Attempt
from kernelwright.agent.feedback import CaseInputs, annotate, lean_traceback, looks_like_traceback
from kernelwright.agent.providers.base import Message
from kernelwright.agent.search import Plan
from kernelwright.agent.taxonomy import HINTS, Outcome
from kernelwright.tasks.describe import HardwareCard, TaskInfo, shape_text

EVIDENCE_CHARS = 1500  # tail of a compile log or traceback: the error is at the end
MAX_REASONS = 6
KERNEL_CHARS = 12_000  # a retrieved kernel longer than this is cut (the prompt must stay bounded)
LOG_LINES = 12
# Categories where nothing was compared: printing "max abs err 0" there would read as a perfect kernel.
CRASHED = frozenset({"crash-or-timeout", "compile-error", "needs-cuda"})  # = cli.render.NOT_COMPARED


@cache
def environment() -> jinja2.Environment:
    root = resources.files("kernelwright")
    # prompts/ holds the templates; skills/ the rule lists the system prompt shares with the skill.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(root / "prompts"), str(root / "skills")]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )  # noqa: S701 - plain text for an LLM, not HTML


@dataclass
class PromptContext:
    """Everything the turn template may show besides the plan of one sample."""

    task: TaskInfo
    hardware: HardwareCard
    target: float
    max_turns: int
    knowledge: list[dict[str, Any]] = field(default_factory=list)  # {problem, score, speedup, source, hint}
    lessons: list[dict[str, str]] = field(default_factory=list)  # {kind: avoid|try, text}
    cases: CaseInputs | None = None  # input shapes per case label, for the feedback's messages


def _trim_tail(text: str, limit: int = EVIDENCE_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else "…" + text[-limit:]


def tolerance_text(task: TaskInfo) -> str:
    if task.tolerance:
        return ", ".join(f"{k}={v:g}" for k, v in task.tolerance.items()) + " (the problem's TOLERANCE)"
    return (
        "default per output dtype: float32 atol=rtol=1e-4, float16 1e-2, bfloat16 2e-2; integer "
        "outputs must match exactly"
    )


def _draft_view(draft: Attempt, feedback: Attempt | None) -> dict[str, Any]:
    """The candidate the next one should build on, when it is not the best kernel."""
    return {
        "turn": draft.turn,
        "sample": draft.sample,
        "outcome": str(draft.outcome),
        "code": draft.candidate,
        "is_last": draft is feedback,
    }


def _evidence(text: str) -> str:
    """A traceback keeps the candidate's frames (harness frames dropped); anything else its tail."""
    return lean_traceback(text, EVIDENCE_CHARS) if looks_like_traceback(text) else _trim_tail(text)


def verdict_view(a: Attempt, cases: CaseInputs | None = None) -> dict[str, Any]:
    """The latest attempt as structured feedback: category, reasons (with the failing case's inputs),
    evidence, numbers."""
    view: dict[str, Any] = {
        "turn": a.turn,
        "sample": a.sample,
        "outcome": str(a.outcome),
        "reasons": [],
        "correctness": None,
        "timing": None,
        "notes": [],
    }
    if a.parse_error:
        view.update(
            status="not judged",
            category="parse-error",
            reasons=[{"code": "parse", "message": a.parse_error, "evidence": ""}],
        )
        return view
    if a.judge_error:
        view.update(
            status="not judged",
            category="judge-error",
            reasons=[{"code": "judge", "message": a.judge_error, "evidence": ""}],
        )
        return view
    v = a.verdict
    if v is None:
        view.update(status="not judged", category=str(a.outcome))
        return view
    view["status"], view["category"] = (
        v.verdict,
        v.category or ("slower-than-baseline" if a.outcome is Outcome.SLOWER else None),
    )
    hard = v.hard_reasons
    view["reasons"] = []
    seen: set[tuple[str, str]] = set()
    for r in (hard or v.reasons)[:MAX_REASONS]:
        evidence = _evidence(r.evidence) if r.evidence.strip() else ""
        if (r.code, evidence) in seen and evidence:  # the same traceback under two codes: once
            evidence = "(same evidence as above)"
        seen.add((r.code, evidence))
        view["reasons"].append(
            {"code": r.code, "message": annotate(r.message, cases, r), "evidence": evidence}
        )
    if len(hard) > MAX_REASONS:
        view["reasons"].append(
            {"code": "…", "message": f"{len(hard) - MAX_REASONS} more reasons", "evidence": ""}
        )
    c = v.correctness
    compared = v.category not in CRASHED  # a crash compared nothing: its zero error is not a figure
    if c is not None and (c.trials or c.fuzz_cases) and compared:
        view["correctness"] = (
            f"{c.trials} benchmark-size seeds and {c.fuzz_cases} fuzz cases checked; max abs err "
            f"{c.max_abs_err:.3g}, max rel err {c.max_rel_err:.3g}; ablation: {c.ablation or 'not run'} "
            f"({c.custom_launches} custom kernel launches per forward)"
        )
        view["notes"] = list(c.notes)
    t = v.timing
    if t is not None:
        comp = f"{t.compiled_ms:.4f} ms" if t.compiled_ms else "n/a"
        view["timing"] = (
            f"kernel time (device time between CUDA events, host launch overhead excluded): "
            f"candidate {t.candidate_ms:.4f} ms (spread {t.spread:.1%}; plus {t.host_overhead_ms:.4f} ms "
            f"of host launch overhead per call); eager {t.eager_ms:.4f} ms "
            f"-> {t.speedup_vs_eager:.2f}x; torch.compile {comp} -> {(t.speedup_vs_compiled or 0):.2f}x; "
            f"{t.roofline_fraction:.0%} of the roofline (floor {t.floor_ms:.4f} ms)"
        )
    return view


def best_view(a: Attempt) -> dict[str, Any]:
    t = a.verdict.timing if a.verdict else None
    numbers = (
        "correct; not timed (no GPU)"
        if t is None
        else (
            f"{t.candidate_ms:.4f} ms kernel time, {t.speedup_vs_eager:.2f}x vs eager, "
            f"{(t.speedup_vs_compiled or 0):.2f}x vs "
            f"torch.compile, {t.roofline_fraction:.0%} of roofline"
        )
    )
    return {"turn": a.turn, "sample": a.sample, "numbers": numbers, "code": a.candidate}


def attempt_log(attempts: list[Attempt], shown: Attempt | None = None) -> list[dict[str, Any]]:
    """The last LOG_LINES attempts, one row each; the one shown as the last verdict points there
    instead of repeating its reason (each failure once per prompt)."""
    rows = [
        {
            "turn": a.turn,
            "sample": a.sample,
            "outcome": str(a.outcome),
            "reason": "see the last verdict above" if a is shown else a.reason_line(140),
        }
        for a in attempts
    ]
    return rows[-LOG_LINES:]


def avoid_try(
    attempts: list[Attempt], lessons: list[dict[str, str]], latest: Attempt | None = None
) -> tuple[list[str], list[str]]:
    """Avoid: failures older than the attempt log (one line per kind) and stored lessons.
    Try: the hint for the latest outcome only (a hint for a failure already fixed is stale), and lessons.
    """
    kinds: dict[tuple[str, str], str] = {}  # one line per (outcome, reason code): numbers differ
    for a in attempts[:-LOG_LINES]:  # the log shows the rest
        if a.outcome in (Outcome.ACCEPTED, Outcome.PROVIDER_ERROR):
            continue
        code = a.verdict.hard_reasons[0].code if a.verdict and a.verdict.hard_reasons else ""
        kinds[(str(a.outcome), code)] = f"{a.outcome} (turn {a.turn}): {a.reason_line(120)}"
    avoid = list(kinds.values())[-6:] + [lesson["text"] for lesson in lessons if lesson["kind"] == "avoid"]
    tries = [HINTS[latest.outcome]] if latest is not None and latest.outcome in HINTS else []
    tries += [lesson["text"] for lesson in lessons if lesson["kind"] == "try"]
    return list(dict.fromkeys(avoid)), list(dict.fromkeys(tries))


def system_message(ctx: PromptContext) -> str:
    return environment().get_template("system.j2").render(cuda_allowed=not ctx.hardware.interpreter)


def turn_message(
    ctx: PromptContext, plan: Plan, attempts: list[Attempt], best: Attempt | None, turn: int
) -> str:
    task = ctx.task
    avoid, tries = avoid_try(attempts, ctx.lessons, plan.feedback)
    draft = plan.base if plan.base is not None and plan.base is not best and plan.base.candidate else None
    # evolve: when the best kernel is one of the parents it is shown once, as that parent.
    best_in_parents = best is not None and any(p.sha256 == best.sha256 for p in plan.parents)
    return (
        environment()
        .get_template("turn.j2")
        .render(
            turn=turn,
            max_turns=ctx.max_turns,
            target=ctx.target,
            timed=not ctx.hardware.interpreter,
            task={
                "problem_id": task.problem_id,
                "title": task.title,
                "source": task.source.rstrip() + "\n",
                "init_inputs": shape_text(task.init_inputs),
                "inputs": shape_text(task.inputs),
                "fuzz": [shape_text(f) for f in task.fuzz],
                "tolerance": tolerance_text(task),
                "notes": task.notes,
            },
            hardware=ctx.hardware.lines(),
            best=best_view(best) if best and not best_in_parents else None,
            parents=[
                {**best_view(p), "is_best": best is not None and p.sha256 == best.sha256}
                for p in plan.parents
            ],
            reverted=plan.reverted,
            last=verdict_view(plan.feedback, ctx.cases) if plan.feedback else None,
            draft=_draft_view(draft, plan.feedback) if draft else None,
            knowledge=[{**k, "source": k["source"][:KERNEL_CHARS]} for k in ctx.knowledge],
            log=attempt_log(attempts, plan.feedback),
            avoid=avoid,
            tries=tries,
        )
    )


def build_messages(
    ctx: PromptContext, plan: Plan, attempts: list[Attempt], best: Attempt | None, turn: int
) -> list[Message]:
    return [
        {"role": "system", "content": system_message(ctx)},
        {"role": "user", "content": turn_message(ctx, plan, attempts, best, turn)},
    ]
