"""Readable tables for verdicts and suites (the CLI's non-JSON output).

One console rule for every command (`console`): on a terminal, its width; piped or redirected, WIDE
columns and no colour, so a log or `| grep` gets whole rows instead of cells folded at 80 columns
(the `kb` commands print through it too).

The suite table picks its layout from the width it gets:

- wide enough for every name column plus REASON_MIN characters of reason: one table row per candidate;
- narrower (an 80-column terminal): the compact layout, one line per candidate under its problem and
  its first reason wrapped below it, so no cell is folded mid-word (`accepte|d`).

Timing columns appear only when some row was timed (on the CPU none is). Reasons are wrapped at
spaces, never cut (a row's first hard reason is whole, its code in front).
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # pydantic models: loaded by whatever produced the verdicts, not for `--help`
    from kernelwright.verdict import Verdict

STYLE = {"accepted": "bold green", "rejected": "bold red", "skipped": "yellow", "error": "bold red"}
# Verdicts whose candidate stopped before its outputs were compared: their error figures are zeros.
NOT_COMPARED = frozenset({"crash-or-timeout", "compile-error", "needs-cuda"})
# Piped output: wide enough that a suite row with a 100-character reason stays on one line.
WIDE = 200
# The narrowest reason column the table layout accepts; below it the compact layout reads better.
REASON_MIN = 40
EVIDENCE_CHARS = 400

# (problem id, candidate name, verdict or None, error when it could not be judged)
SuiteRow = tuple[str, str, "Verdict | None", "str | None"]


def _isatty(stream: IO[str] | Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams (test runners, `| head`)
        return False


def console(stderr: bool = False) -> Console:
    """The terminal's width on a terminal; WIDE and plain when piped or redirected."""
    tty = _isatty(sys.stderr if stderr else sys.stdout)
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=None if tty else WIDE)


def one_paragraph(text: str) -> str:
    """``text`` with its line breaks and runs of spaces made single spaces (one wrapped paragraph)."""
    return " ".join(text.split())


def tail_at_boundary(text: str, limit: int) -> str:
    """The end of ``text``, at most about ``limit`` characters, starting at a line or word boundary.

    Tracebacks and compiler output end with what matters; cutting them at a fixed character count
    would start the shown part mid-token (`…rror: expected ':'`).
    """
    if len(text) <= limit:
        return text
    lines = text.rstrip("\n").split("\n")
    kept: list[str] = []
    size = 0
    for line in reversed(lines):
        if kept and size + len(line) + 1 > limit:
            break
        kept.append(line)
        size += len(line) + 1
    if len(kept) == 1 and len(kept[0]) > limit:  # one long line: start after a space
        line = kept[0]
        cut = line.find(" ", len(line) - limit)
        kept[0] = line[cut + 1 :] if cut != -1 else line
    return "… " + "\n".join(reversed(kept))


def _speed(v: Verdict) -> tuple[str, str, str]:
    t = v.timing
    if t is None:
        return "-", "-", "-"
    comp = f"{t.speedup_vs_compiled:.2f}x" if t.speedup_vs_compiled else "-"
    return f"{t.candidate_ms:.4f}", f"{t.speedup_vs_eager:.2f}x", comp


def first_reason(v: Verdict | None, error: str | None) -> str:
    """What a suite row says about a candidate: its first hard reason (code and message), whole."""
    if v is None:
        return one_paragraph(error or "not judged")
    first = next(iter(v.hard_reasons), None)
    return one_paragraph(f"{first.code} {first.message}") if first else ""


def verdict_table(v: Verdict) -> Table:
    table = Table(title=f"{v.problem}  <-  {v.candidate}", show_header=False, title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")  # words wrap at spaces; only a token wider than the cell folds
    label = v.verdict + (f" ({v.category})" if v.category else "")
    table.add_row("verdict", f"[{STYLE[v.verdict]}]{label}[/]")
    c = v.correctness
    if c:
        table.add_row(
            "checked",
            f"{c.trials} benchmark-size seeds, {c.fuzz_cases} fuzz cases, repeat "
            f"{'yes' if c.repeat_checked else 'no'}, {c.timed_calls_checked} timed calls",
        )
        if v.category in NOT_COMPARED:  # zeros here would read as a perfect kernel
            table.add_row("error", f"[dim]no error figures: outputs were not all compared ({v.category})[/]")
        else:
            table.add_row(
                "error",
                f"max abs {c.max_abs_err:.3g}, max rel {c.max_rel_err:.3g}, rel-RMS {c.rel_rms_err:.3g}",
            )
        if c.ablation:
            table.add_row("ablation", f"{c.ablation} ({c.custom_launches} custom launches per forward)")
        for note in c.notes:
            table.add_row("note", Text(note))
    if v.timing:
        t = v.timing
        table.add_row(
            "kernel time",
            f"{t.candidate_ms:.4f} ms (device, median of {t.samples}, spread {t.spread:.1%}); "
            f"+ {t.host_overhead_ms:.4f} ms host launch overhead = {t.total_ms:.4f} ms per call",
        )
        if t.repeats > 1:
            runs = ", ".join(f"{x:.4f}" for x in t.repeat_candidate_ms)
            table.add_row(
                "repeats", f"{t.repeats} processes: {runs} ms; max/min {t.repeat_max_over_min or 0:.3f}"
            )
        if t.clock:
            table.add_row("clock", Text(t.clock))
        comp = f"{t.compiled_ms:.4f} ms" if t.compiled_ms else "-"
        table.add_row("baselines", f"eager {t.eager_ms:.4f} ms, torch.compile {comp}, drift {t.drift:.1%}")
        table.add_row(
            "speedup",
            f"{t.speedup_vs_eager:.2f}x vs eager, "
            f"{(t.speedup_vs_compiled or 0):.2f}x vs compile, {t.roofline_fraction:.0%} of roofline",
        )
    else:
        table.add_row("time", "not timed (no GPU: the Triton interpreter checks correctness only)")
    for r in v.reasons:
        tag = "[red]✗[/]" if r.severity == "hard" else "[yellow]![/]"
        cell = Text(r.message)  # Text, not markup: a message may hold `[...]` (indices, shapes)
        if r.evidence:
            cell.append("\n" + tail_at_boundary(r.evidence, EVIDENCE_CHARS), style="dim")
        table.add_row(f"{tag} {r.code}", cell)
    table.add_row(
        "environment",
        f"{v.environment.device}, torch {v.environment.torch}, "
        f"triton {v.environment.triton}, {v.seconds:.1f} s",
    )
    return table


def _name_columns(timed: bool) -> tuple[str, ...]:
    cols = ("problem", "candidate", "verdict", "category")
    return (*cols, "ms", "vs eager", "vs compile") if timed else cols


def _name_cells(problem: str, cand: str, v: Verdict | None, timed: bool) -> list[str]:
    if v is None:
        cells = [problem, cand, "error", ""]
        return cells + ["", "", ""] if timed else cells
    cells = [problem, cand, v.verdict, v.category or ""]
    return cells + list(_speed(v)) if timed else cells


def suite_table(
    rows: Sequence[SuiteRow], width: int = WIDE, title: str = "kernelwright suite"
) -> RenderableType:
    """The suite's rows: a table where it fits with a readable reason column, else the compact layout."""
    timed = any(v is not None and v.timing is not None for _, _, v, _ in rows)
    cols = _name_columns(timed)
    widths = [len(c) for c in cols]
    for problem, cand, v, _ in rows:
        for i, cell in enumerate(_name_cells(problem, cand, v, timed)):
            widths[i] = max(widths[i], len(cell))
    # A box table: one space of padding either side of a cell, one rule between cells and at each edge.
    ncols = len(cols) + 1
    needed = sum(widths) + REASON_MIN + 2 * ncols + ncols + 1
    if needed <= width:
        return _suite_wide(rows, timed, title)
    return _suite_compact(rows, timed, title, width)


def hanging(text: str, width: int, first: int = 0, rest: int = 6) -> str:
    """``text`` wrapped at spaces to ``width``, its first line indented ``first``, the others ``rest``."""
    return "\n".join(wrap_words(text, width, rest, first=first))


def wrap_words(text: str, width: int, indent: int, first: int | None = None) -> list[str]:
    """``text`` in lines of at most ``width`` characters (indent included), broken at spaces only.

    A token longer than a whole line (a long path) is the one thing split, and only then.
    """
    lead = indent if first is None else first
    width = max(width, max(lead, indent) + 20)
    lines = textwrap.wrap(
        text,
        width,
        initial_indent=" " * lead,
        subsequent_indent=" " * indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [" " * lead]
    out: list[str] = []
    for line in lines:
        while len(line) > width:  # only a single token wider than the line gets here
            out.append(line[:width])
            line = " " * indent + line[width:]
        out.append(line)
    return out


def _suite_wide(rows: Sequence[SuiteRow], timed: bool, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for col in _name_columns(timed):
        table.add_column(
            col, no_wrap=True, justify="right" if col in ("ms", "vs eager", "vs compile") else "left"
        )
    table.add_column("first reason", overflow="fold", min_width=REASON_MIN)
    for problem, cand, v, err in rows:
        cells = _name_cells(problem, cand, v, timed)
        status = "error" if v is None else v.verdict
        cells[2] = f"[{STYLE[status]}]{status}[/]"
        table.add_row(*cells, Text(first_reason(v, err)))
    return table


def _suite_compact(rows: Sequence[SuiteRow], timed: bool, title: str, width: int) -> Group:
    """Problem headers, one line per candidate, its reason indented and wrapped at spaces below it."""
    parts: list[RenderableType] = [Text(title, style="bold")]
    # Pad names to the longest up to 36 characters, so verdicts line up without pushing the line past
    # 80 columns for KernelBench's 37-character `level_1_problem_19_sample_0_kernel.py`.
    pad = min(36, max((len(cand) for _, cand, _, _ in rows), default=0))
    shown_problem = None
    for problem, cand, v, err in rows:
        if problem != shown_problem:
            parts.append(Text(problem, style="bold"))
            shown_problem = problem
        status = "error" if v is None else v.verdict
        line = Text("  " + cand.ljust(pad) + "  ")
        line.append(status, style=STYLE[status])
        if v is not None and v.category:
            line.append(f"  {v.category}")
        parts.append(line)
        if timed and v is not None and v.timing is not None:  # its own line: the names stay aligned
            ms, se, sc = _speed(v)
            parts.append(Text(f"      {ms} ms, {se} vs eager, {sc} vs compile"))
        reason = first_reason(v, err)
        if reason:
            style = "dim" if v is not None else ""
            parts.extend(Text(line, style=style) for line in wrap_words(reason, width, 6))
    return Group(*parts)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_table(summary: dict, timed: bool = True) -> Table:
    """The suite's counts; the fast_p-by-baseline rows only when something was timed (a GPU)."""
    table = Table(title="summary", show_header=False, title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    table.add_row(
        "candidates",
        f"{summary['candidates']} on {_plural(summary['problems'], 'problem')}: "
        f"{summary['accepted']} accepted, {summary['rejected']} rejected, {summary['skipped']} skipped"
        + (f", {len(summary['errors'])} not judged (error)" if summary.get("errors") else ""),
    )
    missing = summary.get("without_candidate") or []
    if missing:
        table.add_row(
            "no candidate",
            Text(f"{_plural(len(missing), 'problem')} had no candidate to judge: {', '.join(missing)}"),
        )
    if summary.get("categories"):
        table.add_row("rejections", ", ".join(f"{k}: {n}" for k, n in sorted(summary["categories"].items())))
    if timed:
        for base in ("eager", "compiled"):
            cells = []
            for p in ("0", "1", "1.5", "2"):
                val = summary.get(f"fast_{p}_vs_{base}")
                cells.append(f"fast_{p}={'-' if val is None else f'{val:.2f}'}")
            table.add_row(f"vs {base}", "  ".join(cells))
    else:
        table.add_row("timing", "none: no candidate was timed (no GPU)")
    return table


def fast_p_table(block: dict[str, Any], timed: bool = True) -> Group:
    """KernelBench's fast_p next to the judge's: same thresholds, two notions of correct.

    Headers are `p=...` (not `fast_...`) so eight columns fit in 80; untimed thresholds above 0, all
    `-`, are left out. The explanation is printed around the table, not as its title: a title is
    wrapped to the table's own (narrow) width.
    """
    thresholds = [p for p in block["thresholds"] if timed or p == 0]
    table = Table()
    table.add_column("correct by", no_wrap=True)
    table.add_column("correct", no_wrap=True)
    for p in thresholds:
        table.add_column(f"p={p:g}", justify="right", no_wrap=True)
    for label, row in (("KernelBench", block["kernelbench"]), ("kernelwright", block["strict"])):
        cells = [row[f"fast_{p:g}"] for p in thresholds]
        correct = f"{row['correct']} of {block['problems']}"
        table.add_row(label, correct, *("-" if c is None else f"{c:.2f}" for c in cells))
    head = Text("fast_p", style="italic")
    head.append(f": share of problems with a correct candidate of speedup > p (speedup = {block['speedup']})")
    foot = [Text("correct by KernelBench: outputs match at the benchmark shape; by kernelwright: accepted")]
    if not timed:
        foot.append(Text("no candidate was timed (no GPU): only p=0, the share correct, is known"))
    return Group(head, table, *foot)


def timed_any(verdicts: Sequence[Verdict | None]) -> bool:
    return any(v is not None and v.timing is not None for v in verdicts)
