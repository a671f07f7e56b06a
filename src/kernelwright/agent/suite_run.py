"""`optimize-suite`: one optimisation session per problem, a live progress display, fast_p and the
failure taxonomy over the whole suite.

Problems run one after another (each session already runs its samples in parallel); a problem that
turns out unusable is reported and the suite goes on. Per problem, `OUT/<problem id>/` holds that
session's run folder; `OUT/suite_summary.json` holds the table's data.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kernelwright.agent.attempt import Attempt
from kernelwright.agent.config import AgentConfig
from kernelwright.agent.loop import Session
from kernelwright.errors import KernelwrightError
from kernelwright.judge import JudgeConfig
from kernelwright.problem import discover
from kernelwright.secrets import redact, redact_obj
from kernelwright.store.api import VerdictStore
from kernelwright.suite.runner import fast_p
from kernelwright.verdict import Verdict

SUITE_SCHEMA = "kernelwright.agent-suite/1"


def _slug(problem_id: str) -> str:
    return problem_id.replace("/", "__")


def run_suite(
    problems_dir: Path,
    out: Path,
    config: AgentConfig,
    judge_config: JudgeConfig,
    store: VerdictStore | None,
    err: Console,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    specs = discover(problems_dir)
    out.mkdir(parents=True, exist_ok=True)
    suite_run = None
    if store is not None:
        suite_run = store.start_run(
            "optimize-suite",
            {
                "problems": str(problems_dir),
                "agent": config.public_dump(),
                "judge": judge_config.model_dump(mode="json"),
            },
        )
    rows: list[dict[str, Any]] = []
    progress = Progress(
        TextColumn("[bold]optimizing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=False,
    )
    with progress:
        task = progress.add_task("", total=len(specs))
        for spec in specs:
            per = {}
            if config.record:
                per["record"] = str(Path(config.record) / _slug(spec.id))
            if config.replay:
                per["replay"] = str(Path(config.replay) / _slug(spec.id))
            cfg = config.model_copy(update=per)

            def listener(kind: str, payload: Any, pid: str = spec.id) -> None:
                if kind == "round":
                    progress.update(task, description=f"{pid}: round {payload}")
                elif kind == "attempt" and isinstance(payload, Attempt):
                    progress.update(
                        task, description=redact(f"{pid}: round {payload.turn} -> {payload.outcome}")
                    )

            progress.update(task, description=f"{spec.id}: starting")
            try:
                session = Session(
                    spec.path, out / _slug(spec.id), cfg, judge_config, store, listener=listener
                )
                result = session.run()
                rows.append({"problem": spec.id, "summary": result.summary, "out": str(out / _slug(spec.id))})
                status = result.summary["status"]
            except KernelwrightError as exc:
                rows.append({"problem": spec.id, "error": redact(str(exc))})
                status = "error"
            progress.update(task, advance=1, description=f"{spec.id}: {status}")
    summary = summarize(rows)
    body = redact_obj(
        {
            "schema": SUITE_SCHEMA,
            "problems_dir": str(problems_dir),
            "run_id": suite_run,
            "summary": summary,
            "results": rows,
        }
    )
    (out / "suite_summary.json").write_text(json.dumps(body, indent=1) + "\n")
    if store is not None and suite_run:
        store.update_run_usage(suite_run, summary["tokens"], summary["cost_usd"])
        store.finish_run(suite_run, summary)
    return rows, summary


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """fast_p over the best verdict per problem, and the failure taxonomy summed over sessions."""
    verdicts: list[Verdict] = []
    failures: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    tokens = retries = 0
    cost = 0.0
    for r in rows:
        s = r.get("summary")
        if not s:
            continue
        if s["best"] is not None:
            verdicts.append(Verdict.model_validate(s["best"]["verdict"]))
        failures.update(s["failures"])
        codes.update(s["wrong_output_codes"])
        tokens += s["tokens"]["total"]
        cost += s["cost_usd"]
        retries += s["retries"]
    return {
        "problems": len(rows),
        "solved": len(verdicts),
        "errors": sum(1 for r in rows if r.get("error")),
        "fast_p": fast_p(verdicts, len(rows)),
        "failures": dict(sorted(failures.items())),
        "wrong_output_codes": dict(sorted(codes.items())),
        "tokens": tokens,
        "cost_usd": round(cost, 6),
        "retries": retries,
    }
