"""`kernelwright demo`: the README's main job on embedded defaults."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kernelwright.cli.common import UnavailableStore, fail, open_store_or_spool, record, warn
from kernelwright.cli.render import console, hanging, suite_table
from kernelwright.errors import KernelwrightError

if TYPE_CHECKING:
    from kernelwright.verdict import Verdict


# What each bundled example is meant to show: one passes, three are meant to fail (the judge's job is
# to say why). An example not listed here is judged and reported without an expectation.
MEANT: dict[str, tuple[str, str]] = {
    "relu_correct.py": ("accepted", "a masked Triton ReLU: right on every shape"),
    "relu_crash.py": ("rejected", "its forward segfaults: the judge survives and names the signal"),
    "relu_no_mask.py": (
        "rejected",
        "no bounds mask: right only when the size is a multiple of 1024; the ragged fuzz shapes catch "
        "it (on the CPU interpreter the unmasked read crashes)",
    ),
    "relu_wrong.py": ("rejected", "a leaky ReLU (slope 0.01): wrong values, caught by the comparison"),
}


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it (shorter, and copy-pasteable)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def failing_case(verdict: Verdict | None, default: str = "fuzz:1") -> str:
    """The case label (`fuzz:3`, `seed:0`) of a verdict's first hard reason, for `repro --case`."""
    for r in verdict.hard_reasons if verdict is not None else []:
        found = re.search(r"\bcase ((?:fuzz|seed):\d+)\b", r.message)
        if found:
            return found.group(1)
    return default


def next_steps(problem: str, examples: str, case: str = "fuzz:1") -> list[tuple[str, str]]:
    """The three commands a new user runs next, each with what it shows."""
    wrong = f"{examples}/relu_wrong.py"
    return [
        (f"kernelwright verify {problem} {wrong}", "one verdict in full: every reason, the error figures"),
        (
            f"kernelwright repro {problem} {wrong} --case {case}",
            "the failing case again: its input shapes and the first bad indices",
        ),
        (
            f"kernelwright optimize {problem} --provider openai --model MODEL --base-url URL",
            "your own model writes the kernel (any OpenAI-compatible server; --provider anthropic too)",
        ),
    ]


def demo(
    examples: Annotated[Path, typer.Option(help="Folder of example candidates for level1/relu")] = Path(
        "examples"
    ),
    recording: Annotated[Path, typer.Option(help="Recorded agent session to replay")] = Path(
        "recordings/relu-demo"
    ),
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for the replayed agent run (best.py, trajectory.jsonl, summary.json); "
            "default: a new folder under the system's temporary directory, kept after the demo",
        ),
    ] = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Record nothing (not even the throwaway store)")
    ] = False,
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

    from kernelwright.judge import JudgeConfig, judge
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
    candidates = sorted(examples.glob("relu_*.py"))
    meant_to_fail = [c.name for c in candidates if MEANT.get(c.name, ("",))[0] == "rejected"]
    out.print(
        f"[bold]1. Judging {len(candidates)} examples against {problem.name}[/] "
        "(CPU: Triton interpreter, correctness only)"
    )
    if meant_to_fail:
        out.print(
            f"   {len(meant_to_fail)} of {len(candidates)} are meant to fail: the judge has to say why, "
            "without crashing itself"
        )
    for cand in candidates:
        if cand.name in MEANT:
            expected, why = MEANT[cand.name]
            line = hanging(f"{cand.name}: meant to be {expected}: {why}", out.width, first=3, rest=6)
            out.print(line, highlight=False, markup=False)
    from kernelwright.judge.pool import use_pool

    surprises = 0
    with use_pool(spares=1, references=1):  # one problem, four candidates: its reference stays warm
        for cand in candidates:
            with out.status(f"judging {cand.name}…"):
                try:
                    verdict = judge(problem, cand, cfg)
                except KernelwrightError as exc:
                    rows.append(("level1/relu", cand.name, None, str(exc)))
                    out.print(f"  {cand.name}: not judged: {exc}")
                    surprises += 1
                    continue
            record(store, verdict, problem.read_text(), cand.read_text())
            rows.append(("level1/relu", cand.name, verdict, None))
            got = verdict.verdict + (f" ({verdict.category})" if verdict.category else "")
            meant = MEANT[cand.name][0] if cand.name in MEANT else None
            if meant is None:
                note = ""
            elif meant == verdict.verdict:
                note = ", as meant"
            else:
                note = f", [bold red]meant to be {meant}[/]"
                surprises += 1
            out.print(f"  {cand.name}: {got} in {verdict.seconds:.1f} s{note}")
    out.print(suite_table(rows, width=out.width, title="the examples"))
    if isinstance(store, UnavailableStore):
        out.print(f"[yellow]the store {store.url} was unavailable ({store.error}): verdicts spooled[/]")
    elif store is not None:
        where = "a throwaway store (deleted at exit; --db URL keeps them)" if throwaway else store.url
        out.print(f"[dim]verdicts signed and stored in {where}[/]")
    if recording.is_dir():
        run_dir = out_dir or Path(tempfile.mkdtemp(prefix="kw-demo-run-"))  # kept: the demo prints into it
        out.print(
            f"\n[bold]2. Replaying the recorded agent session {recording}[/] "
            "(scripted, recorded against a local fake server; see its README): its first two "
            "kernels are meant to fail (a syntax error, then a leaky ReLU), the third is accepted"
        )
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
            str(run_dir),
        ] + (["--no-store"] if no_store or db is None else ["--db", db])
        code = subprocess.run(cmd).returncode
        summary = run_dir / "summary.json"
        if summary.exists():
            data = json.loads(summary.read_text())
            counts = data.get("failure_counts", data.get("failures")) or {}
            failures = ", ".join(f"{k}: {n}" for k, n in counts.items()) or "none"
            out.print(
                f"agent session: status {data.get('status')}, turns {data.get('turns')}, failures {failures}"
            )
            out.print(f"the agent's run folder (kept): {run_dir}", highlight=False)
        if code not in (0, 1):
            raise typer.Exit(code)
    else:
        out.print(f"[yellow]no recorded session at {recording}: skipped the agent replay[/]")
    out.print("\n[bold]Next[/]")
    wrong = next((v for _, name, v, _ in rows if name == "relu_wrong.py"), None)
    for command, what in next_steps(_shown(problem), _shown(examples), failing_case(wrong)):
        out.print(f"  {command}", highlight=False, markup=False, soft_wrap=True)  # one line to copy
        out.print(hanging(what, out.width, first=6, rest=6), style="dim", highlight=False, markup=False)
    if surprises:  # the demo still ran; say it plainly (a missing sandbox layer, an edited example)
        warn(f"{surprises} example(s) did not get the verdict they are meant to get (see above)")


def mount(app: typer.Typer) -> None:
    app.command()(demo)
