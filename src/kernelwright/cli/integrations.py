"""CLI commands for coding-agent integrations: `kernelwright mcp` and `kernelwright init-task`.

Mounted by ``kernelwright.cli.app``; kept apart so the judge's own CLI does not
import the MCP SDK. Errors: one line on stderr, exit 2 (DESIGN contract); results: stdout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from kernelwright.cli.common import fail
from kernelwright.errors import KernelwrightError


def mcp_command() -> None:
    """Serve the judge to coding agents over MCP (stdio): verify, bench, guard, reproduce, profile,
    problem_info, list_suite, knowledge_search; problems and docs as resources.

    Register it with your agent, e.g. `claude mcp add kernelwright -- kernelwright mcp`
    (`python -m kernelwright.integrations.mcp_server` starts faster; `kernelwright skills install` prints it).
    """
    try:
        from kernelwright.integrations.mcp_server import serve

        serve()
    except KernelwrightError as exc:
        raise fail(str(exc)) from None


def init_task_command(
    source: Annotated[Path, typer.Argument(help="Your Python file with the module or function to optimise")],
    entry: Annotated[
        str, typer.Option(help="The nn.Module subclass or function in SOURCE to turn into Model")
    ],
    out: Annotated[Path, typer.Option(help="Where to write the KernelBench-format problem")] = Path(
        "problem.py"
    ),
    inputs: Annotated[
        str | None,
        typer.Option(
            help="Python expression for example inputs, e.g. '[torch.randn(16, 1024)]' (evaluated in SOURCE)"
        ),
    ] = None,
    example_inputs: Annotated[
        str | None,
        typer.Option(help="Function in SOURCE returning example inputs (default: SOURCE's get_inputs)"),
    ] = None,
    init_inputs: Annotated[
        str | None, typer.Option(help="Constructor arguments of a module, e.g. '[1024]'")
    ] = None,
    fuzz: Annotated[bool, typer.Option(help="Add get_fuzz_inputs varying the leading dimension")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary")] = False,
) -> None:
    """Make a KernelBench-format problem (Model, get_inputs, get_fuzz_inputs) from your own code.

    Example inputs run once in a subprocess; their shapes and dtypes become torch.randn/randint calls.
    The result is checked by running the reference on every fuzz case before it is written.
    """
    from kernelwright.tasks.init_task import init_task

    try:
        report = init_task(
            source,
            entry,
            out,
            inputs=inputs,
            example_inputs=example_inputs,
            init_inputs=init_inputs,
            fuzz=fuzz,
        )
    except KernelwrightError as exc:
        raise fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(report) + "\n")
        return
    shapes = ", ".join(
        f"{s['dtype']}{tuple(s['shape'])}" if s["kind"] == "tensor" else "literal" for s in report["inputs"]
    )
    fuzz_note = (
        f"{len(report['fuzz_checked'])} fuzz cases checked" if report["has_fuzz"] else "no fuzz inputs"
    )
    sys.stdout.write(
        f"wrote {report['out']}: inputs [{shapes}], {fuzz_note}\n"
        f"next: kernelwright verify {report['out']} YOUR_KERNEL.py\n"
    )


def mount(app: typer.Typer) -> None:
    app.command("mcp")(mcp_command)
    app.command("init-task")(init_task_command)
