"""Progress on the terminal while something slow runs: a spinner with the elapsed time, on stderr.

Only on a terminal: stdout stays the result (`--json` output is one object), and a pipe or a log
file gets no spinner frames. A judgement takes 10-70 s on the CPU interpreter; without this the
terminal looks hung.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def spinner(what: str, detail: str = "") -> Iterator[None]:
    """`what` with a spinner and the elapsed seconds on stderr while the block runs (a no-op off a TTY)."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        TextColumn("[dim]{task.fields[detail]}"),
        console=Console(stderr=True),
        transient=True,  # the verdict replaces it
    )
    with progress:
        progress.add_task(what, total=None, detail=detail)
        yield


JUDGE_PHASES = "static guard, reference outputs, sandboxed candidate on every case, comparison"
