"""Readable tables for verdicts and suites (the CLI's non-JSON output)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from kernelwright.verdict import Verdict

STYLE = {"accepted": "bold green", "rejected": "bold red", "skipped": "yellow"}
# Verdicts whose candidate stopped before its outputs were compared: their error figures are zeros.
NOT_COMPARED = frozenset({"crash-or-timeout", "compile-error", "needs-cuda"})


def _speed(v: Verdict) -> tuple[str, str, str]:
    t = v.timing
    if t is None:
        return "-", "-", "-"
    comp = f"{t.speedup_vs_compiled:.2f}x" if t.speedup_vs_compiled else "-"
    return f"{t.candidate_ms:.4f}", f"{t.speedup_vs_eager:.2f}x", comp


def verdict_table(v: Verdict) -> Table:
    table = Table(title=f"{v.problem}  <-  {v.candidate}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
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
            table.add_row("note", note)
    if v.timing:
        t = v.timing
        table.add_row("time", f"{t.candidate_ms:.4f} ms (median of {t.samples}, spread {t.spread:.1%})")
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
        table.add_row(f"{tag} {r.code}", r.message + (f"\n[dim]{r.evidence[-400:]}[/]" if r.evidence else ""))
    table.add_row(
        "environment",
        f"{v.environment.device}, torch {v.environment.torch}, "
        f"triton {v.environment.triton}, {v.seconds:.1f} s",
    )
    return table


def suite_table(rows: list[tuple[str, str, Verdict | None, str | None]]) -> Table:
    table = Table(title="kernelwright suite", title_justify="left")
    for col in (
        "problem",
        "candidate",
        "verdict",
        "category",
        "ms",
        "vs eager",
        "vs compile",
        "first reason",
    ):
        table.add_column(col, overflow="fold")
    for problem, cand, v, err in rows:
        if v is None:
            table.add_row(problem, cand, "[red]error[/]", "", "", "", "", err or "")
            continue
        ms, se, sc = _speed(v)
        first = next((r.message for r in v.reasons if r.severity == "hard"), "")
        table.add_row(
            problem, cand, f"[{STYLE[v.verdict]}]{v.verdict}[/]", v.category or "", ms, se, sc, first[:90]
        )
    return table


def summary_table(summary: dict) -> Table:
    table = Table(title="summary", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row(
        "candidates",
        f"{summary['candidates']} on {summary['problems']} problems: "
        f"{summary['accepted']} accepted, {summary['rejected']} rejected, {summary['skipped']} skipped",
    )
    if summary.get("categories"):
        table.add_row("rejections", ", ".join(f"{k}: {n}" for k, n in sorted(summary["categories"].items())))
    for base in ("eager", "compiled"):
        cells = []
        for p in ("0", "1", "1.5", "2"):
            val = summary.get(f"fast_{p}_vs_{base}")
            cells.append(f"fast_{p}={'-' if val is None else f'{val:.2f}'}")
        table.add_row(f"vs {base}", "  ".join(cells))
    return table


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=False)
