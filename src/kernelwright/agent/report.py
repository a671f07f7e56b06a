"""Readable output for `optimize` and `optimize-suite`: per-attempt lines, summary and suite tables."""

from __future__ import annotations

import textwrap
from typing import Any

from rich.table import Table

from kernelwright.agent.attempt import Attempt
from kernelwright.agent.taxonomy import Outcome
from kernelwright.secrets import redact

STYLE = {Outcome.ACCEPTED: "bold green", Outcome.SLOWER: "yellow", Outcome.PROVIDER_ERROR: "magenta"}


def attempt_line(a: Attempt) -> str:
    style = STYLE.get(a.outcome, "red")
    extra = f", {a.retries} retries" if a.retries else ""
    reason = a.reason_line(10_000)
    if reason.startswith(str(a.outcome)):  # "accepted accepted (no timing on CPU)": say it once
        reason = reason[len(str(a.outcome)) :].lstrip(":").strip()
    # Shortened at a space, never mid-token (`max rel err…`); the run folder has the whole reason.
    reason = textwrap.shorten(reason, 110, placeholder=" …").replace("[", "\\[")
    return redact(
        f"  turn {a.turn} sample {a.sample}: [{style}]{a.outcome}[/] {reason} "
        f"[dim]({a.tokens_in}+{a.tokens_out} tok, {a.seconds:.1f} s{extra})[/]"
    )


def _money(s: dict[str, Any]) -> str:
    return f"${s['cost_usd']:.4f}" + ("" if s.get("priced") else " (model not in the price table)")


def summary_table(s: dict[str, Any]) -> Table:
    table = Table(
        title=f"optimize {s['problem']} with {s['provider']}:{s['model']}",
        show_header=False,
        title_justify="left",
    )
    table.add_column(style="bold")
    table.add_column()
    ok = s["best"] is not None
    why = s["stop_reason"]
    if why.startswith(f"an {s['status']} kernel"):  # "accepted (an accepted kernel (no GPU: ...))"
        why = why.removeprefix(f"an {s['status']} kernel").strip().removeprefix("(").removesuffix(")")
    table.add_row("status", f"[{'bold green' if ok else 'bold red'}]{s['status']}[/] ({why})")
    if ok:
        b = s["best"]
        speed = (
            "not timed (no GPU)"
            if b["speedup"] is None
            else f"{b['speedup']:.2f}x over the stronger baseline"
        )
        table.add_row("best", f"turn {b['turn']} sample {b['sample']}: {speed} -> best.py")
    table.add_row(
        "search",
        f"{s['strategy']}, {s['turns']} rounds, {s['attempts']} candidates, "
        f"{s['accepted_attempts']} accepted",
    )
    table.add_row(
        "usage",
        f"{s['tokens']['in']:,} in + {s['tokens']['out']:,} out tokens, {_money(s)}, "
        f"{s['retries']} retries, {s['seconds']:.1f} s",
    )
    if s["failures"]:
        table.add_row("failures", ", ".join(f"{k}: {n}" for k, n in s["failures"].items()))
    if s["wrong_output_codes"]:
        table.add_row("wrong-output", ", ".join(f"{k}: {n}" for k, n in s["wrong_output_codes"].items()))
    if s.get("run_id"):
        table.add_row("store run", s["run_id"])
    for note in s.get("notes", []):
        table.add_row("note", redact(note))
    return table


def suite_table(rows: list[dict[str, Any]], summary: dict[str, Any]) -> list[Table]:
    table = Table(title="kernelwright optimize-suite", title_justify="left")
    for col in ("problem", "status", "best", "rounds", "tokens", "cost", "failures"):
        table.add_column(col, overflow="fold")
    for r in rows:
        if r.get("error"):
            table.add_row(r["problem"], "[red]error[/]", "", "", "", "", redact(r["error"])[:90])
            continue
        s = r["summary"]
        best = (
            "-"
            if s["best"] is None
            else ("correct" if s["best"]["speedup"] is None else f"{s['best']['speedup']:.2f}x")
        )
        style = "bold green" if s["best"] is not None else "bold red"
        fails = ", ".join(f"{k} {n}" for k, n in s["failures"].items())
        table.add_row(
            r["problem"],
            f"[{style}]{s['status']}[/]",
            best,
            str(s["turns"]),
            f"{s['tokens']['total']:,}",
            f"${s['cost_usd']:.4f}",
            fails,
        )
    totals = Table(title="fast_p and failure taxonomy", show_header=False, title_justify="left")
    totals.add_column(style="bold")
    totals.add_column()
    totals.add_row(
        "problems",
        f"{summary['problems']}: {summary['solved']} with an accepted kernel, {summary['errors']} errors",
    )
    for base in ("eager", "compiled"):
        cells = []
        for p in ("0", "1", "1.5", "2"):
            val = summary["fast_p"].get(f"fast_{p}_vs_{base}")
            cells.append(f"fast_{p}={'-' if val is None else f'{val:.2f}'}")
        totals.add_row(f"vs {base}", "  ".join(cells))
    totals.add_row(
        "usage", f"{summary['tokens']:,} tokens, ${summary['cost_usd']:.4f}, {summary['retries']} retries"
    )
    if summary["failures"]:
        totals.add_row("failures", ", ".join(f"{k}: {n}" for k, n in summary["failures"].items()))
    if summary["wrong_output_codes"]:
        totals.add_row(
            "wrong-output", ", ".join(f"{k}: {n}" for k, n in summary["wrong_output_codes"].items())
        )
    return [table, totals]
