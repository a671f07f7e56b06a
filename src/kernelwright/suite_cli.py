"""`kernelwright suite run`: progress display, store records, resume, table or JSON."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kernelwright.errors import BadInput
from kernelwright.judge import JudgeConfig
from kernelwright.render import console, suite_table, summary_table
from kernelwright.suite import SUITE_SCHEMA, Item, local_judge, pair, run_items, summarize
from kernelwright.verdict import Verdict


def executor_judge(name: str, address: str | None = None) -> Any:
    if name == "local" and not address:
        return local_judge
    from kernelwright.executors import make_judge_fn

    return make_judge_fn(name, address)


def run_suite_command(
    problems_dir: Path,
    candidates: Path,
    config: JudgeConfig,
    *,
    as_json: bool,
    jobs: int,
    executor: str,
    resume: str | None,
    store: Any,
    ray_address: str | None = None,
) -> int:
    items, missing = pair(problems_dir, candidates)
    judge_fn = executor_judge(executor, ray_address)
    jobs = max(jobs, getattr(judge_fn, "parallelism", 1))  # Ray: keep the whole cluster busy
    done: dict[str, dict] = {}
    run_id = None
    if store is not None:
        if resume:
            try:
                done = store.reopen_run(resume)
            except Exception as exc:  # noqa: BLE001 - an unknown run id is bad input
                raise BadInput(f"cannot resume run {resume}: {exc}") from exc
            run_id = resume
        else:
            run_id = store.start_run(
                "suite",
                {
                    "problems": str(problems_dir),
                    "candidates": str(candidates),
                    "judge": config.model_dump(),
                    "jobs": jobs,
                    "executor": executor,
                },
            )
    elif resume:
        raise BadInput("--resume needs the store (drop --no-store)")
    todo = [it for it in items if it.key not in done]
    lock = threading.Lock()
    err = console(stderr=True)
    if run_id and not as_json:
        err.print(f"[dim]run {run_id}: {len(items)} candidates, {len(items) - len(todo)} already judged[/]")
    progress = Progress(
        TextColumn("[bold]judging"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=as_json,
    )

    def on_result(item: Item, verdict: Verdict | None, error: str | None) -> None:
        with lock:
            if verdict is not None and store is not None:
                store.record_verdict(
                    verdict,
                    problem_source=item.problem.source,
                    candidate_source=item.candidate.read_text(),
                    origin={"kind": "file"},
                    run_id=run_id,
                    item_key=item.key,
                )
            progress.update(
                task, advance=1, description=f"{item.key}: {verdict.verdict if verdict else 'error'}"
            )

    with progress:
        task = progress.add_task("", total=len(todo))
        results = run_items(todo, config, jobs=jobs, on_result=on_result, judge_fn=judge_fn)
    previous = [(it, Verdict.model_validate(_strip(done[it.key])), None) for it in items if it.key in done]
    order = {it.key: i for i, it in enumerate(items)}
    results = sorted([*previous, *results], key=lambda r: order[r[0].key])
    summary = summarize(results, missing)
    if store is not None and run_id:
        store.finish_run(run_id, summary)
    if as_json:
        body = {
            "schema": SUITE_SCHEMA,
            "run_id": run_id,
            "results": [v.to_json_dict() for _, v, _ in results if v],
            "summary": summary,
        }
        sys.stdout.write(json.dumps(body) + "\n")
    else:
        out = console()
        out.print(suite_table([(it.problem.id, it.candidate.name, v, e) for it, v, e in results]))
        out.print(summary_table(summary))
    all_ok = results and all(v is not None and v.accepted for _, v, _ in results)
    return 0 if all_ok else 1


def _strip(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in ("record_id", "signature", "public_key")}
