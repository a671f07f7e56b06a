"""`kernelwright demo`: the README's main job on embedded defaults."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from kernelwright.cli.common import UnavailableStore, fail, open_store_or_spool, record
from kernelwright.cli.render import console, suite_table
from kernelwright.errors import KernelwrightError
from kernelwright.judge import JudgeConfig
from kernelwright.verdict import Verdict


def demo(
    examples: Annotated[Path, typer.Option(help="Folder of example candidates for level1/relu")] = Path(
        "examples"
    ),
    recording: Annotated[Path, typer.Option(help="Recorded agent session to replay")] = Path(
        "recordings/relu-demo"
    ),
    no_store: Annotated[bool, typer.Option("--no-store")] = False,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Record into this store (default: a throwaway store deleted at exit, so the demo's "
            "verdicts never reach the knowledge base of real runs)",
        ),
    ] = None,
) -> None:
    """The README demo: judge the examples here, store the verdicts, replay a recorded agent session."""
    import subprocess
    import tempfile

    from kernelwright.judge import judge
    from kernelwright.problem import bundled_dir

    if not examples.is_dir():
        raise fail(f"examples folder not found: {examples} (run from the repository root)")
    problem = bundled_dir() / "level1" / "relu.py"
    try:
        throwaway = None if db or no_store else tempfile.mkdtemp(prefix="kw-demo-store-")
        if throwaway is not None:
            import atexit
            import shutil

            atexit.register(shutil.rmtree, throwaway, True)
        db = db or (f"sqlite:///{throwaway}/demo.db" if throwaway else None)
        store = open_store_or_spool(no_store, db)
    except KernelwrightError as exc:
        raise fail(str(exc)) from None
    cfg = JudgeConfig()
    rows: list[tuple[str, str, Verdict | None, str | None]] = []
    out = console()
    out.print(
        f"[bold]1. Judging the examples against {problem.name}[/] (CPU: Triton interpreter, correctness only)"
    )
    from kernelwright.judge.pool import use_pool

    with use_pool(spares=1, references=1):  # one problem, four candidates: its reference stays warm
        for cand in sorted(examples.glob("relu_*.py")):
            with out.status(f"judging {cand.name}…"):
                try:
                    verdict = judge(problem, cand, cfg)
                except KernelwrightError as exc:
                    rows.append(("level1/relu", cand.name, None, str(exc)))
                    continue
            record(store, verdict, problem.read_text(), cand.read_text())
            rows.append(("level1/relu", cand.name, verdict, None))
            out.print(f"  {cand.name}: {verdict.verdict} {verdict.category or ''} ({verdict.seconds:.1f} s)")
    out.print(suite_table(rows))
    if isinstance(store, UnavailableStore):
        out.print(f"[yellow]the store {store.url} was unavailable ({store.error}): verdicts spooled[/]")
    elif store is not None:
        where = "a throwaway store (deleted at exit; --db URL keeps them)" if throwaway else store.url
        out.print(f"[dim]verdicts signed and stored in {where}[/]")
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
            ] + (["--no-store"] if no_store or db is None else ["--db", db])
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


def mount(app: typer.Typer) -> None:
    app.command()(demo)
