"""`kernelwright repro PROBLEM CANDIDATE --case fuzz:3`: judge one case again and show the difference.

Exit status: 0 the candidate is right on that case, 1 it is not (or could not run), 2 bad input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from kernelwright.cli.common import fail, input_file
from kernelwright.errors import KernelwrightError


def repro(
    problem: Annotated[Path, typer.Argument(help="KernelBench-format problem file")],
    candidate: Annotated[Path, typer.Argument(help="Candidate file defining class ModelNew")],
    case: Annotated[str, typer.Option("--case", help="The case a verdict named: fuzz:3, seed:0")],
    value_seed: Annotated[
        int, typer.Option("--value-seed", help="Seed of the input values (the shapes come from --case)")
    ] = 0,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print one kernelwright.repro/1 object")] = False,
    allow_weak_sandbox: Annotated[
        bool, typer.Option("--allow-weak-sandbox", help="Accept a sandbox missing some isolation layers")
    ] = False,
) -> None:
    """Rebuild one judged case (its inputs from the problem), run the candidate on it in the judge's
    sandbox, and print the input shapes, the max abs/rel error and the first bad indices."""
    from kernelwright.integrations.repro import parse_case, render, reproduce

    try:
        parse_case(case)
        if device not in ("auto", "cpu", "cuda"):
            raise fail(f"--device must be auto, cpu or cuda, not {device!r}")
        input_file(problem, "problem file")
        input_file(candidate, "candidate file")
        result = reproduce(
            problem,
            candidate,
            case,
            value_seed=value_seed,
            device=device,
            allow_weak_sandbox=allow_weak_sandbox,
        )
    except KernelwrightError as exc:
        raise fail(str(exc)) from None
    sys.stdout.write(json.dumps(result) + "\n" if as_json else render(result))
    raise typer.Exit(0 if result["ok"] else 1)


def mount(app: typer.Typer) -> None:
    app.command(epilog="Exit status: 0 right on that case, 1 wrong or crashed, 2 bad input.")(repro)
