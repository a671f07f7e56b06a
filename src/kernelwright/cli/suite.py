"""`kernelwright suite run`: progress display, store records, resume, table or JSON."""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kernelwright.cli.common import (
    UnavailableStore,
    build_config,
    fail,
    input_dir,
    open_store_or_spool,
    record,
    warn,
)
from kernelwright.cli.render import console, fast_p_table, suite_table, summary_table, timed_any
from kernelwright.cli.verify import (
    CONFIG_HELP,
    DB_HELP,
    DEVICE_HELP,
    FUZZ_HELP,
    SEEDS_HELP,
    TIMEOUT_HELP,
    WEAK_SANDBOX_HELP,
)
from kernelwright.errors import BadInput, KernelwrightError

if TYPE_CHECKING:  # the store (SQLAlchemy) and the runner load when a suite runs, not for `--help`
    from kernelwright.judge import JudgeConfig
    from kernelwright.suite.runner import Item
    from kernelwright.verdict import Verdict


RAY_TOKEN_LOGGER = "ray._private.authentication.authentication_token_setup"
RAY_TOKEN_NOTICE = "Token authentication is enabled for this Ray cluster"


class _DropRayTokenNotice(logging.Filter):
    """Ray 2.60 logs, on every local start, that token authentication is on (its default): a timestamped
    WARNING line above the progress bar with nothing for the user to do. Every other Ray warning,
    including the one that says authentication is off, still shows."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(RAY_TOKEN_NOTICE)


def quiet_ray_notices() -> None:
    """Install the filter once on the logger Ray writes the notice with."""
    logger = logging.getLogger(RAY_TOKEN_LOGGER)
    if not any(isinstance(f, _DropRayTokenNotice) for f in logger.filters):
        logger.addFilter(_DropRayTokenNotice())


def check_per_gpu(executor: str, per_gpu: int) -> None:
    if per_gpu > 1 and executor != "ray":
        raise BadInput(
            "--per-gpu only applies to --executor ray (locally, --jobs sets how many share the GPU)"
        )


def executor_judge(name: str, address: str | None = None, per_gpu: int = 1) -> Any:
    check_per_gpu(name, per_gpu)
    if name == "local" and not address:
        from kernelwright.suite.runner import local_judge

        return local_judge
    if name == "ray":
        quiet_ray_notices()
    from kernelwright.suite.executors import make_judge_fn

    return make_judge_fn(name, address, per_gpu=per_gpu) if name == "ray" else make_judge_fn(name, address)


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
    per_gpu: int = 1,
) -> int:
    from kernelwright.store import Store
    from kernelwright.suite.runner import SUITE_SCHEMA, pair, run_items, summarize
    from kernelwright.verdict import Verdict

    items, missing = pair(problems_dir, candidates)
    judge_fn = executor_judge(executor, ray_address, per_gpu)
    jobs = max(jobs, getattr(judge_fn, "parallelism", 1))  # Ray: keep the whole cluster busy
    if executor == "local" and config.memory_limit_mb is None:
        # `jobs` candidates run at once on this machine: each gets its share of the memory (issue 17 #7).
        # Ray workers size their own cap from their node's memory.
        from kernelwright.settings import max_worker_memory_mb

        config = config.model_copy(update={"memory_limit_mb": max_worker_memory_mb(jobs)})
    done: dict[str, dict] = {}
    run_id = None
    if isinstance(store, UnavailableStore):
        if resume:
            raise BadInput(f"cannot resume run {resume}: the store {store.url} is unavailable: {store.error}")
    elif store is not None:
        if resume:
            try:
                done = store.reopen_run(resume)
            except Exception as exc:  # noqa: BLE001 - an unknown run id is bad input
                from kernelwright.store.db import error_line

                raise BadInput(f"cannot resume run {resume}: {error_line(exc)}") from exc
            run_id = resume
        else:
            try:
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
            except Exception as exc:  # noqa: BLE001 - locked or down since it opened: judge, spool
                from kernelwright.store.db import is_unavailable

                if not is_unavailable(exc):
                    raise
                store = UnavailableStore(store.engine.url.render_as_string(hide_password=False), exc)
    elif resume:
        raise BadInput("--resume needs the store (drop --no-store)")
    # Finished means: judged, stored, signature verified, and the very same candidate and problem
    # content (an edited file is judged again).
    done = {it.key: done[it.key] for it in items if it.judged_as(done.get(it.key))}
    todo = [it for it in items if it.key not in done]
    lock = threading.Lock()
    unrecorded: list[str] = []
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
                try:
                    source = item.candidate.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    warn(f"{item.key}: not recorded, the candidate cannot be read now: {exc}")
                else:
                    body = record(store, verdict, item.problem.source, source, run_id, item.key)
                    if "record_id" not in body:
                        unrecorded.append(item.key)
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
    if unrecorded:
        summary["unrecorded"] = sorted(unrecorded)  # spooled (see the warnings), or refused by the store
    if isinstance(store, Store) and run_id:
        try:
            store.finish_run(run_id, summary)
        except Exception as exc:  # noqa: BLE001 - every verdict is recorded or spooled already
            from kernelwright.store.db import error_line

            warn(f"run {run_id} could not be marked finished: {error_line(exc)}")
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
        timed = timed_any([v for _, v, _ in results])
        rows = [(it.problem.id, it.candidate.name, v, e) for it, v, e in results]
        out.print(suite_table(rows, width=out.width))
        out.print(summary_table(summary, timed=timed))
        out.print(fast_p_table(summary["fast_p"], timed=timed))
    if missing:  # counted in the summary too; a problem left out is never a silent exit 0
        names = ", ".join(m.id for m in missing)
        warn(f"{len(missing)} problem(s) had no candidate in {candidates} and were not judged: {names}")
    all_ok = results and not missing and all(v is not None and v.accepted for _, v, _ in results)
    return 0 if all_ok else 1


def _strip(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in ("record_id", "signature", "public_key")}


def suite_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the problems as one JSON array")] = False,
) -> None:
    """Show the bundled suite."""
    from kernelwright.problem import bundled_dir, discover

    specs = discover(bundled_dir())
    if as_json:
        sys.stdout.write(
            json.dumps([{"id": s.id, "path": str(s.path), "title": s.title} for s in specs]) + "\n"
        )
        return
    table = Table(title=f"bundled suite: {bundled_dir()}", title_justify="left")
    for col in ("problem", "title", "fuzz"):
        table.add_column(col)
    for s in specs:
        table.add_row(s.id, s.title, "yes" if s.has_fuzz else "no")
    console().print(table)


def suite_run(
    problems_dir: Annotated[
        Path, typer.Argument(help="Problems in KernelBench layout (level folders allowed)")
    ],
    candidates_dir: Annotated[
        Path | None,
        typer.Argument(
            help="Candidates as <problem-stem>.py, <problem-stem>/*.py, or KernelBench's generated "
            "level_L_problem_N_sample_S_kernel.py (paired with the problem file N_*.py)",
            show_default=False,
        ),
    ] = None,
    candidates: Annotated[
        Path | None, typer.Option(help="The candidates directory (the same as CANDIDATES_DIR)")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one kernelwright.suite/1 JSON object")
    ] = False,
    jobs: Annotated[int, typer.Option(min=1, max=1024, help="Candidates judged in parallel")] = 1,
    executor: Annotated[str, typer.Option(help="local (default) | ray")] = "local",
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="Ray cluster (default: start a local one)")
    ] = None,
    per_gpu: Annotated[
        int,
        typer.Option(
            "--per-gpu",
            min=1,
            max=64,
            help="Ray: judgements packed onto one GPU (their correctness work shares it; timing still "
            "takes the GPU alone through its lock)",
        ),
    ] = 1,
    seeds: Annotated[int | None, typer.Option(help=SEEDS_HELP)] = None,
    fuzz: Annotated[int | None, typer.Option(help=FUZZ_HELP)] = None,
    timeout: Annotated[float | None, typer.Option(help=TIMEOUT_HELP)] = None,
    device: Annotated[str | None, typer.Option(help=DEVICE_HELP)] = None,
    config: Annotated[Path | None, typer.Option(help=CONFIG_HELP)] = None,
    resume: Annotated[
        str | None, typer.Option(help="Continue run RUN_ID without redoing finished work")
    ] = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Do not record the verdicts or the run")
    ] = False,
    db: Annotated[str | None, typer.Option(help=DB_HELP)] = None,
    allow_weak_sandbox: Annotated[bool, typer.Option("--allow-weak-sandbox", help=WEAK_SANDBOX_HELP)] = False,
) -> None:
    """Judge every candidate of a suite; print a table, fast_p (KernelBench's and the judge's), or JSON."""
    try:
        check_per_gpu(executor, per_gpu)  # before anything is read: a bad invocation, whatever the folders
        input_dir(problems_dir, "problems directory")
        folder = input_dir(_candidates_folder(candidates_dir, candidates), "candidates directory")
        cfg = build_config(
            config,
            seeds=seeds,
            fuzz=fuzz,
            timeout=timeout,
            device=device,
            allow_weak_sandbox=allow_weak_sandbox or None,
        )
        code = run_suite_command(
            problems_dir,
            folder,
            cfg,
            as_json=as_json,
            jobs=jobs,
            executor=executor,
            resume=resume,
            store=open_store_or_spool(no_store, db),
            ray_address=ray_address,
            per_gpu=per_gpu,
        )
    except KernelwrightError as exc:
        raise fail(str(exc)) from None
    raise typer.Exit(code)


def _candidates_folder(positional: Path | None, option: Path | None) -> Path:
    if positional is not None and option is not None and positional != option:
        raise BadInput(f"two candidates directories given: {positional} and --candidates {option}")
    folder = positional or option
    if folder is None:
        raise BadInput("no candidates directory: give CANDIDATES_DIR (or --candidates DIR)")
    return folder


def mount(app: typer.Typer) -> None:
    suite_app = typer.Typer(
        help="Bundled and user suites: list problems, judge many candidates.", no_args_is_help=True
    )
    suite_app.command("list")(suite_list)
    suite_app.command(
        "run",
        epilog="Exit status: 0 when every problem had a candidate and every candidate was accepted, 1 otherwise, "
        "2 bad input.\n\n"
        "Examples: kernelwright suite run KernelBench/KernelBench/level1 runs/my_run --json\n\n"
        "kernelwright suite run problems/ --candidates kernels/ --jobs 4",
    )(suite_run)
    app.add_typer(suite_app, name="suite")
