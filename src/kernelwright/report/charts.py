"""The report's charts, drawn with matplotlib's Agg backend and embedded as base64 PNG data URIs.

- speedup: per problem, vs eager and vs torch.compile (and vs the vendor path), log scale, 1x marked;
- roofline: achieved TFLOP/s against arithmetic intensity, under the measured ceilings (copy bandwidth,
  bf16 and tf32 matmul peaks), plus the fraction of copy bandwidth reached by the FLOP-free kernels;
  points are numbered and named in a legend beside the plot (names next to points overlapped);
- timings: the candidate's p20-median-p80 per problem (log ms), with eager / compile / vendor medians,
  one chart per clock: `triton.testing.do_bench` and the judge's audited per-call clock measure
  different things (the judge's includes the synchronise around every call), so a chart never puts
  one clock's candidate next to the other clock's baselines.
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
    for n, (p, x) in enumerate(zip(with_flops, ai, strict=True), start=1):
        y = p["flops"] / (p["candidate_ms"] * 1e-3) / 1e12
        ax.scatter(
            [x],
            [y],
            marker=LEVEL_MARKERS.get(p.get("level") or 0, "o"),
            s=45,
            color=COLORS["candidate"],
            zorder=3,
            label=f"{n}  {p['id']}",
        )
        # A number, not the name: names of neighbouring kernels overlapped; the legend names them.
        ax.annotate(
            str(n),
            (x, y),
            fontsize=7,
            fontweight="bold",
            xytext=(4, 4 if n % 2 else -9),
            textcoords="offset points",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP / byte of inputs + outputs)")
    ax.set_ylabel("achieved TFLOP/s")
    ax.set_title("Roofline (kernels with FLOPs)")
    ax.grid(which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0.0, -0.13), ncol=2, frameon=False)
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


CLOCKS = {
    "do_bench": "triton.testing.do_bench medians (benchmark inputs, L2 flushed, back to back)",
    "judge": "the judge's audited clock (fresh inputs, device synchronised around every call)",
}


def _median(d: Any) -> float | None:
    return d.get("median") if isinstance(d, dict) else None


def clock_series(p: dict[str, Any], clock: str) -> dict[str, Any] | None:
    """One problem's times on one clock: ``{"candidate": {p20, median, p80}, "eager": ms, ...}``.

    The nested ``timing`` entries say their clock (``*_bench``: do_bench; ``candidate``, ``eager``,
    ``compiled``: the judge's); the top-level ``*_ms`` fields are on ``timing_source``'s clock.
    """
    t = p.get("timing") or {}
    top = (p.get("timing_source") or "do_bench") == clock
    if clock == "do_bench":
        cand = dict(t.get("candidate_bench") or {})
        base = {
            "eager": _median(t.get("eager_bench")),
            "compile": _median(t.get("compiled_bench")),
            "vendor": _median(t.get("vendor_bench")),
        }
    else:
        jt = (p.get("judge") or {}).get("timing") or {}
        jm = p.get("judge_ms") or {}
        cand = dict(t.get("candidate") or {})
        if not cand.get("median") and jt.get("candidate_ms"):
            cand = {
                "p20": jt.get("candidate_p20_ms"),
                "median": jt["candidate_ms"],
                "p80": jt.get("candidate_p80_ms"),
            }
        if not cand.get("median") and jm.get("candidate"):
            cand = {"median": jm["candidate"]}
        base = {
            "eager": _median(t.get("eager")) or jt.get("eager_ms") or jm.get("eager"),
            "compile": _median(t.get("compiled")) or jt.get("compiled_ms") or jm.get("compiled"),
            "vendor": None,  # the judge does not time a vendor path
        }
    if top:  # the top-level figures are this clock's: fill what the nested entries left out
        if not cand.get("median") and p.get("candidate_ms"):
            cand = {"median": p["candidate_ms"]}
        for name, key in (("eager", "eager_ms"), ("compile", "compiled_ms"), ("vendor", "vendor_ms")):
            base[name] = base[name] or p.get(key)
    if not cand.get("median"):
        return None
    return {"candidate": cand, **base}


def timing_chart(doc: dict[str, Any], clock: str = "do_bench") -> str | None:
    series = [(p, clock_series(p, clock)) for p in doc["problems"]]
    rows = [(p, s) for p, s in series if s is not None]
    if not rows:
        return None
    probs = [p for p, _ in rows]
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 0.9 + 0.32 * len(probs)))
    for j, (_, ser) in enumerate(rows):
        cand = ser["candidate"]
        med = cand["median"]
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
        for name in ("eager", "compile", "vendor"):
            if ser.get(name):
                ax.scatter(
                    [ser[name]],
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
    ax.set_title(f"Timing on one clock: {CLOCKS[clock]}", fontsize=10)
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
    draw = {
        "speedup": speedup_chart,
        "roofline": roofline_chart,
        "timing": lambda d: timing_chart(d, "do_bench"),
        "timing_judge": lambda d: timing_chart(d, "judge"),
    }
    for name, fn in draw.items():
        uri = fn(doc)
        if uri:
            figures[name] = uri
    note = "" if figures else "No timed results in this file: nothing to chart."
    return figures, note
