"""The `kernelwright` command. Errors: one line on stderr, exit 2. Results: stdout."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from kernelwright.errors import BadInput, KernelwrightError
from kernelwright.judge import JudgeConfig, judge
from kernelwright.render import console, suite_table, verdict_table
from kernelwright.verdict import Verdict

EXAMPLES = """

\b
Examples:
  kernelwright verify src/kernelwright/problems/level1/relu.py examples/relu_correct.py
  kernelwright verify PROBLEM.py CANDIDATE.py --json --seeds 5 --fuzz 8
  kernelwright suite list
  kernelwright suite run PROBLEMS_DIR --candidates CANDIDATES_DIR --jobs 2 --json
  kernelwright demo
"""

app = typer.Typer(
    name="kernelwright",
    help="Judge, optimise and keep AI-written GPU kernels you can trust." + EXAMPLES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
suite_app = typer.Typer(
    help="Bundled and user suites: list problems, judge many candidates.", no_args_is_help=True
)
app.add_typer(suite_app, name="suite")


def fail(message: str, code: int = 2) -> typer.Exit:
    sys.stderr.write(f"kernelwright: {message}\n")
    return typer.Exit(code)


def build_config(config_file: Path | None, **overrides: Any) -> JudgeConfig:
    """One config type from a TOML file's [judge] table, with CLI flags on top."""
    data: dict[str, Any] = {}
    if config_file is not None:
        if not config_file.is_file():
            raise BadInput(f"config file not found: {config_file}")
        try:
            raw = tomllib.loads(config_file.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise BadInput(f"config file {config_file} is not valid TOML: {exc}") from exc
        data = dict(raw.get("judge", raw))
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return JudgeConfig(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadInput(f"bad setting {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc


def _store(no_store: bool, db: str | None) -> Any:
    if no_store:
        return None
    from kernelwright.store import Store

    try:
        return Store.open(db)
    except Exception as exc:  # noqa: BLE001 - a broken store URL is bad input, said in one line
        raise BadInput(f"cannot open the store ({db or 'KERNELWRIGHT_DB / default'}): {exc}") from exc


def _record(
    store: Any,
    verdict: Verdict,
    problem_source: str,
    candidate_source: str,
    run_id: str | None = None,
    item_key: str | None = None,
    origin: dict | None = None,
) -> dict:
    body = verdict.to_json_dict()
    if store is None:
        return body
    rec = store.record_verdict(
        verdict,
        problem_source=problem_source,
        candidate_source=candidate_source,
        origin=origin or {"kind": "file"},
        run_id=run_id,
        item_key=item_key,
    )
    # The signed record: every contract field plus record_id, problem_sha256, provenance, signature and
    # public_key, so `kernelwright verdict check` verifies exactly what was printed.
    return dict(rec.verdict)


@app.command(epilog="Exit status: 0 accepted, 1 rejected or skipped, 2 bad invocation.")
def verify(
    problem: Annotated[
        Path, typer.Argument(help="KernelBench-format problem file (class Model, get_inputs, ...)")
    ],
    candidate: Annotated[Path, typer.Argument(help="Candidate file defining class ModelNew")],
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one verdict JSON object")] = False,
    seeds: Annotated[int | None, typer.Option(help="Benchmark-size seeds to check (default 5)")] = None,
    fuzz: Annotated[int | None, typer.Option(help="Fuzz cases from get_fuzz_inputs (default 8)")] = None,
    timeout: Annotated[float | None, typer.Option(help="Whole-judgement timeout in seconds")] = None,
    strict: Annotated[bool, typer.Option(help="Reject any PyTorch compute op in forward")] = False,
    device: Annotated[str | None, typer.Option(help="auto | cpu | cuda")] = None,
    config: Annotated[Path | None, typer.Option(help="TOML file with a [judge] table")] = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not record the verdict")] = False,
    db: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL (default: KERNELWRIGHT_DB or SQLite)")
    ] = None,
) -> None:
    """Judge one candidate kernel against a PyTorch reference."""
    try:
        cfg = build_config(
            config, seeds=seeds, fuzz=fuzz, timeout=timeout, strict=strict or None, device=device
        )
        store = _store(no_store, db)
        verdict = judge(problem, candidate, cfg)
        body = _record(store, verdict, problem.read_text(), candidate.read_text())
    except KernelwrightError as exc:
        raise fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(body) + "\n")
    else:
        console().print(verdict_table(verdict))
        if body.get("record_id"):
            console().print(f"[dim]recorded as {body['record_id']}[/]")
    raise typer.Exit(0 if verdict.accepted else 1)


@suite_app.command("list")
def suite_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show the bundled suite."""
    from rich.table import Table

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


@suite_app.command("run", epilog="Exit status: 0 when every candidate is accepted, 1 otherwise, 2 bad input.")
def suite_run(
    problems_dir: Annotated[
        Path, typer.Argument(help="Problems in KernelBench layout (level folders allowed)")
    ],
    candidates: Annotated[Path, typer.Option(help="Candidates as <problem-stem>.py or <problem-stem>/*.py")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one kernelwright.suite/1 JSON object")
    ] = False,
    jobs: Annotated[int, typer.Option(help="Candidates judged in parallel")] = 1,
    executor: Annotated[str, typer.Option(help="local (default) | ray")] = "local",
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="Ray cluster (default: start a local one)")
    ] = None,
    seeds: Annotated[int | None, typer.Option()] = None,
    fuzz: Annotated[int | None, typer.Option()] = None,
    timeout: Annotated[float | None, typer.Option()] = None,
    device: Annotated[str | None, typer.Option()] = None,
    config: Annotated[Path | None, typer.Option()] = None,
    resume: Annotated[
        str | None, typer.Option(help="Continue run RUN_ID without redoing finished work")
    ] = None,
    no_store: Annotated[bool, typer.Option("--no-store")] = False,
    db: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Judge every candidate of a suite; print a table, fast_p, or JSON."""
    from kernelwright.suite_cli import run_suite_command

    try:
        cfg = build_config(config, seeds=seeds, fuzz=fuzz, timeout=timeout, device=device)
        code = run_suite_command(
            problems_dir,
            candidates,
            cfg,
            as_json=as_json,
            jobs=jobs,
            executor=executor,
            resume=resume,
            store=_store(no_store, db),
            ray_address=ray_address,
        )
    except KernelwrightError as exc:
        raise fail(str(exc)) from None
    raise typer.Exit(code)


@app.command()
def demo(
    examples: Annotated[Path, typer.Option(help="Folder of example candidates for level1/relu")] = Path(
        "examples"
    ),
    recording: Annotated[Path, typer.Option(help="Recorded agent session to replay")] = Path(
        "recordings/relu-demo"
    ),
    no_store: Annotated[bool, typer.Option("--no-store")] = False,
) -> None:
    """The README demo: judge the examples here, store the verdicts, replay a recorded agent session."""
    import subprocess
    import tempfile

    from kernelwright.problem import bundled_dir

    if not examples.is_dir():
        raise fail(f"examples folder not found: {examples} (run from the repository root)")
    problem = bundled_dir() / "level1" / "relu.py"
    try:
        store = _store(no_store, None)
    except KernelwrightError as exc:
        raise fail(str(exc)) from None
    cfg = JudgeConfig()
    rows: list[tuple[str, str, Verdict | None, str | None]] = []
    out = console()
    out.print(
        f"[bold]1. Judging the examples against {problem.name}[/] (CPU: Triton interpreter, correctness only)"
    )
    for cand in sorted(examples.glob("relu_*.py")):
        with out.status(f"judging {cand.name}…"):
            try:
                verdict = judge(problem, cand, cfg)
            except KernelwrightError as exc:
                rows.append(("level1/relu", cand.name, None, str(exc)))
                continue
        _record(store, verdict, problem.read_text(), cand.read_text())
        rows.append(("level1/relu", cand.name, verdict, None))
        out.print(f"  {cand.name}: {verdict.verdict} {verdict.category or ''} ({verdict.seconds:.1f} s)")
    out.print(suite_table(rows))
    if store is not None:
        out.print(f"[dim]verdicts signed and stored in {store.url}; see `kernelwright kb list`[/]")
    if recording.is_dir():
        out.print(
            f"\n[bold]2. Replaying the recorded agent session {recording}[/] "
            "(scripted, recorded against a local fake server; see its README)"
        )
        with tempfile.TemporaryDirectory(prefix="kw-demo-") as tmp:
            cmd = [
                sys.executable,
                "-m",
                "kernelwright",
                "optimize",
                str(problem),
                "--provider",
                "replay",
                "--replay",
                str(recording),
                "--out",
                tmp,
            ] + (["--no-store"] if no_store else [])
            code = subprocess.run(cmd).returncode
            summary = Path(tmp) / "summary.json"
            if summary.exists():
                data = json.loads(summary.read_text())
                out.print(
                    f"agent session: status {data.get('status')}, turns {data.get('turns')}, "
                    f"failure counts {data.get('failure_counts', data.get('failures'))}"
                )
            if code not in (0, 1):
                raise typer.Exit(code)
    else:
        out.print(f"[yellow]no recorded session at {recording}: skipped the agent replay[/]")


@app.command()
def guard(
    candidate: Annotated[Path, typer.Argument()], as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Run only the static guard on a candidate and list its findings."""
    from kernelwright.guard import scan

    if not candidate.is_file():
        raise fail(f"candidate file not found: {candidate}")
    findings = scan(candidate.read_text(), str(candidate))
    if as_json:
        sys.stdout.write(json.dumps([f.model_dump() for f in findings]) + "\n")
    else:
        for f in findings:
            console().print(f"{candidate}:{f.line}: {f.code} [{f.severity}] {f.rule}: {f.message}")
    raise typer.Exit(1 if any(f.severity == "hard" for f in findings) else 0)


def _mount_optional() -> None:
    """Sub-apps of other stages (store, agent, report…) register here."""
    from kernelwright.cli_report import mount as mount_report

    mount_report(app)
    from kernelwright.cli_agent import mount as mount_agent

    mount_agent(app)
    try:
        from kernelwright.cli_integrations import mount
    except ImportError:  # pragma: no cover - during development only
        pass
    else:
        mount(app)
    try:
        from kernelwright.cli_store import export_command, kb_app, verdict_app
    except ImportError:  # pragma: no cover - during development only
        return
    app.add_typer(kb_app, name="kb")
    app.add_typer(verdict_app, name="verdict")
    app.command("export")(export_command)


_mount_optional()


def main() -> None:
    try:
        app()
    except BadInput as exc:
        sys.stderr.write(f"kernelwright: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
