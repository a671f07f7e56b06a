"""`optimize-suite`: one optimisation session per problem, a live progress display, fast_p and the
failure taxonomy over the whole suite.

`problem_jobs` problems run at once (default 1; each session also runs its samples in parallel), all
judged through one executor of `suite run` (`--executor local|ray`): with Ray, every judgement gets
its own GPU anywhere in the cluster. A problem that turns out unusable is reported and the suite goes
on. Per problem, `OUT/<problem id>/` holds that session's run folder; `OUT/suite_summary.json` holds
the table's data, in the problems' order.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
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


class _SerialStore:
    """One store shared by sessions in several threads: its calls run one at a time (SQLite has one
    writer; the sessions' own locks only order each session's writes)."""

    def __init__(self, store: VerdictStore) -> None:
        self._store = store
        self._lock = threading.RLock()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attr(*args, **kwargs)

        return call


def _slug(problem_id: str) -> str:
    return problem_id.replace("/", "__")


def run_suite(
    problems_dir: Path,
    out: Path,
    config: AgentConfig,
    judge_config: JudgeConfig,
    store: VerdictStore | None,
    err: Console,
    problem_jobs: int = 1,
    executor: Any = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Optimise every problem of `problems_dir`; `executor` (a `suite.executors` judge) is made from
    `config.executor` when not given, and closed at the end only then."""
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
    owned = executor is None and config.executor != "local"
    if owned:  # one cluster connection for every session of the suite
        from kernelwright.suite.executors import make_judge_fn

        executor = make_judge_fn(config.executor, config.ray_address)
    shared: Any = _SerialStore(store) if store is not None and problem_jobs > 1 else store
    rows: list[dict[str, Any]] = [{} for _ in specs]
    running: dict[str, str] = {}
    lock = threading.Lock()
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

        def show(pid: str, text: str | None, advance: int = 0) -> None:
            with lock:  # one line for every problem in flight
                if text is None:
                    running.pop(pid, None)
                else:
                    running[pid] = text
                line = "; ".join(f"{p}: {t}" for p, t in running.items())
            progress.update(task, advance=advance, description=redact(line))

        def one(index: int) -> None:
            spec = specs[index]
            per = {}
            if config.record:
                per["record"] = str(Path(config.record) / _slug(spec.id))
            if config.replay:
                per["replay"] = str(Path(config.replay) / _slug(spec.id))
            cfg = config.model_copy(update=per)

            def listener(kind: str, payload: Any, pid: str = spec.id) -> None:
                if kind == "round":
                    show(pid, f"round {payload}")
                elif kind == "attempt" and isinstance(payload, Attempt):
                    show(pid, f"round {payload.turn} -> {payload.outcome}")

            show(spec.id, "starting")
            try:
                session = Session(
                    spec.path,
                    out / _slug(spec.id),
                    cfg,
                    judge_config,
                    shared,
                    listener=listener,
                    executor=executor,
                )
                result = session.run()
                rows[index] = {
                    "problem": spec.id,
                    "summary": result.summary,
                    "out": str(out / _slug(spec.id)),
                }
                status = result.summary["status"]
            except KernelwrightError as exc:
                rows[index] = {"problem": spec.id, "error": redact(str(exc))}
                status = "error"
            show(spec.id, None, advance=1)
            progress.console.print(redact(f"{spec.id}: {status}"))

        try:
            if problem_jobs <= 1 or len(specs) <= 1:
                for i in range(len(specs)):
                    one(i)
            else:
                with ThreadPoolExecutor(max_workers=problem_jobs, thread_name_prefix="kw-problem") as pool:
                    for f in [pool.submit(one, i) for i in range(len(specs))]:
                        f.result()
        finally:
            close = getattr(executor, "close", None)
            if owned and close is not None:
                close()
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
