"""The report's charts, drawn with matplotlib's Agg backend and embedded as base64 PNG data URIs.

- speedup: per problem, vs eager and vs torch.compile (and vs the vendor path), log scale, 1x marked;
- roofline: achieved TFLOP/s against arithmetic intensity, under the measured ceilings (copy bandwidth,
  bf16 and tf32 matmul peaks), plus the fraction of copy bandwidth reached by the FLOP-free kernels;
- timings: the candidate's p20-median-p80 per problem (log ms), with eager / compile / vendor medians.
"""

from __future__ import annotations

import base64
import io
from typing import Any

COLORS = {"eager": "#4C72B0", "compile": "#DD8452", "vendor": "#55A868", "candidate": "#C44E52"}
LEVEL_MARKERS = {1: "o", 2: "s", 3: "D"}


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _plt().close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _times_axis(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}×"))
    axis.set_minor_formatter(FuncFormatter(lambda v, _: ""))


def speedup_chart(doc: dict[str, Any]) -> str | None:
    probs = [p for p in doc["problems"] if p.get("speedup_vs_eager") or p.get("speedup_vs_compiled")]
    if not probs:
        return None
    plt = _plt()
    series = [
        ("vs eager", "speedup_vs_eager", COLORS["eager"]),
        ("vs torch.compile", "speedup_vs_compiled", COLORS["compile"]),
        ("vs vendor", "speedup_vs_vendor", COLORS["vendor"]),
    ]
    series = [s for s in series if any(p.get(s[1]) for p in probs)]
    fig, ax = plt.subplots(figsize=(11, 0.9 + 0.36 * len(probs) * max(1, len(series)) / 2))
    height = 0.8 / len(series)
    labels = [
        p["id"] + ("" if p.get("verdict") == "accepted" else f" [{p.get('verdict') or 'error'}]")
        for p in probs
    ]
    for i, (name, key, color) in enumerate(series):
        ys = [j + (i - (len(series) - 1) / 2) * height for j in range(len(probs))]
        vals = [p.get(key) or 0.0 for p in probs]
        ax.barh(
            ys, [v if v > 0 else float("nan") for v in vals], height=height, color=color, label=name, left=0
        )
    ax.set_xscale("log")
    _times_axis(ax.xaxis)
    ax.axvline(1.0, color="black", lw=1)
    ax.set_yticks(range(len(probs)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("speedup (×, log scale; > 1 means the library kernel is faster)")
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Speedup of each library kernel")
    return _png(fig)


def roofline_chart(doc: dict[str, Any]) -> str | None:
    c = doc.get("ceilings") or {}
    bw = c.get("copy_bytes_per_s")
    probs = [p for p in doc["problems"] if p.get("candidate_ms") and p.get("bytes")]
    if not probs or not bw:
        return None
    plt = _plt()
    with_flops = [p for p in probs if p.get("flops")]
    no_flops = [p for p in probs if not p.get("flops")]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [1.3, 1]})
    ai = [p["flops"] / p["bytes"] for p in with_flops]
    lo = min([*ai, 0.5]) / 2
    hi = max([*ai, 2000.0]) * 2
    xs = [lo * (hi / lo) ** (i / 200) for i in range(201)]
    for key, style in (("bf16_flops_per_s", "-"), ("tf32_flops_per_s", "--"), ("fp32_flops_per_s", ":")):
        peak = c.get(key)
        if peak:
            ax.plot(
                xs,
                [min(peak, x * bw) / 1e12 for x in xs],
                style,
                color="gray",
                label=f"{key.split('_')[0]} peak {peak / 1e12:.0f} TFLOP/s · copy {bw / 1e9:.0f} GB/s",
            )
    for p, x in zip(with_flops, ai, strict=True):
        y = p["flops"] / (p["candidate_ms"] * 1e-3) / 1e12
        ax.scatter(
            [x],
            [y],
            marker=LEVEL_MARKERS.get(p.get("level") or 0, "o"),
            s=45,
            color=COLORS["candidate"],
            zorder=3,
        )
        ax.annotate(p["id"].split("/")[-1], (x, y), fontsize=7, xytext=(4, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP / byte of inputs + outputs)")
    ax.set_ylabel("achieved TFLOP/s")
    ax.set_title("Roofline (kernels with FLOPs)")
    ax.grid(which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    if no_flops:
        frac = [p["bytes"] / (p["candidate_ms"] * 1e-3) / bw * 100 for p in no_flops]
        bx.barh(range(len(no_flops)), frac, color=COLORS["candidate"])
        bx.axvline(100, color="black", lw=1)
        bx.axvline(70, color="gray", lw=1, ls="--")
        bx.set_yticks(range(len(no_flops)))
        bx.set_yticklabels([p["id"] for p in no_flops], fontsize=8)
        bx.invert_yaxis()
        bx.set_xlabel("% of measured copy bandwidth (bytes read + written / time)")
        bx.set_title("Memory-bound kernels (70% target dashed)")
        bx.grid(axis="x", alpha=0.3)
    else:
        bx.axis("off")
    fig.tight_layout()
    return _png(fig)


def timing_chart(doc: dict[str, Any]) -> str | None:
    probs = [p for p in doc["problems"] if p.get("candidate_ms")]
    if not probs:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 0.9 + 0.32 * len(probs)))
    for j, p in enumerate(probs):
        t = p.get("timing") or {}
        cand = t.get("candidate") or t.get("candidate_bench") or {}
        med = cand.get("median") or p["candidate_ms"]
        p20, p80 = cand.get("p20") or med, cand.get("p80") or med
        ax.plot([p20, p80], [j, j], color=COLORS["candidate"], lw=5, alpha=0.45, solid_capstyle="butt")
        ax.scatter(
            [med],
            [j],
            color=COLORS["candidate"],
            s=22,
            zorder=3,
            label="library p20–median–p80" if j == 0 else None,
        )
        for key, name in (("eager_ms", "eager"), ("compiled_ms", "compile"), ("vendor_ms", "vendor")):
            if p.get(key):
                ax.scatter(
                    [p[key]],
                    [j],
                    marker="|",
                    s=140,
                    color=COLORS[name],
                    zorder=2,
                    label=f"{name} median" if name not in ax.get_legend_handles_labels()[1] else None,
                )
    ax.set_xscale("log")
    ax.set_yticks(range(len(probs)))
    ax.set_yticklabels([p["id"] for p in probs], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("ms per call (log scale)")
    ax.set_title("Timing distributions")
    ax.grid(axis="x", which="both", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    seen: dict[str, Any] = {}
    for h, lab in zip(handles, labels, strict=True):
        seen.setdefault(lab, h)
    ax.legend(
        seen.values(),
        seen.keys(),
        fontsize=8,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12 - 1.2 / (2 + len(probs))),
        ncol=4,
        frameon=False,
    )
    return _png(fig)


def all_charts(doc: dict[str, Any]) -> tuple[dict[str, str], str]:
    """({name: data URI}, a note when charts could not be drawn)."""
    try:
        _plt()
    except ImportError:
        return {}, "matplotlib is not installed: charts are omitted (pip install matplotlib)."
    figures = {}
    for name, fn in (("speedup", speedup_chart), ("roofline", roofline_chart), ("timing", timing_chart)):
        uri = fn(doc)
        if uri:
            figures[name] = uri
    note = "" if figures else "No timed results in this file: nothing to chart."
    return figures, note
