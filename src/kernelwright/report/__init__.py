"""`kernelwright report`: an HTML page and a markdown summary from a benchmark results.json.

The input is what `benchmarks/gpu_library.py` writes (schema `kernelwright.bench/1`): ceilings of the
card, and per problem the verdict, timings (candidate, eager, torch.compile, vendor), bytes, FLOPs and
roofline numbers. The page embeds its charts (matplotlib, Agg backend) as base64 PNG, so it is one file.
"""

from __future__ import annotations

from kernelwright.report.build import (
    BENCH_SCHEMA,
    ReportInputError,
    headline_rows,
    load_results,
    merge_results,
    render_html,
    render_markdown,
    write_report,
)

__all__ = [
    "BENCH_SCHEMA",
    "ReportInputError",
    "headline_rows",
    "load_results",
    "merge_results",
    "render_html",
    "render_markdown",
    "write_report",
]
