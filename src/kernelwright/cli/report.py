"""`kernelwright report RESULTS... --html OUT [--md OUT.md]`: render benchmark results.json file(s).

Several files (shards of one benchmark, `gpu_library.py --shard K/N`) are merged by problem id.

Bad input (a missing, unreadable or invalid results file, an unwritable output): one line on stderr,
exit status 2. With neither --html nor --md, the markdown summary goes to stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kernelwright.cli.common import fail


def report_command(
    results: Annotated[
        list[Path], typer.Argument(help="results.json file(s) written by benchmarks/gpu_library.py")
    ],
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the HTML page (charts embedded) here")
    ] = None,
    md: Annotated[Path | None, typer.Option("--md", help="Write the markdown summary here")] = None,
) -> None:
    """Render a benchmark results file as an HTML page with charts and a markdown summary."""
    from kernelwright.report import ReportInputError, merge_results, render_markdown, write_report

    try:
        if html is None and md is None:
            sys.stdout.write(render_markdown(merge_results(list(results))))
            return
        write_report(list(results), html, md)
    except ReportInputError as exc:
        raise fail(str(exc)) from None
    for path in (html, md):
        if path is not None:
            sys.stderr.write(f"wrote {path}\n")


def mount(app: typer.Typer) -> None:
    app.command("report", epilog="Exit status: 0 written, 2 bad input.")(report_command)
