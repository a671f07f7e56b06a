"""Loading and checking results, the headline rows, the markdown summary and the HTML page."""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from kernelwright.errors import BadInput

BENCH_SCHEMA = "kernelwright.bench/1"


class ReportInputError(BadInput):
    """The results file is missing, unreadable or not a kernelwright.bench/1 document."""


class _Problem(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    level: int | None = None
    verdict: str | None = None
    category: str | None = None
    bound: str | None = None
    bytes: float | None = None
    flops: float | None = None
    candidate_ms: float | None = None
    eager_ms: float | None = None
    compiled_ms: float | None = None
    vendor_ms: float | None = None
    vendor: str | None = None
    speedup_vs_eager: float | None = None
    speedup_vs_compiled: float | None = None
    speedup_vs_vendor: float | None = None
    floor_ms: float | None = None
    achieved_gbps: float | None = None
    achieved_tflops: float | None = None
    roofline_fraction: float | None = None
    timing: dict[str, Any] = {}
    error: str | None = None


class _Results(BaseModel):
    model_config = ConfigDict(extra="allow")

    schema_: str
    card: str | None = None
    driver: str | None = None
    cuda: str | None = None
    torch: str | None = None
    triton: str | None = None
    python: str | None = None
    date: str | None = None
    command: str | None = None
    ceilings: dict[str, Any] = {}
    problems: list[_Problem]


def load_results(path: str | Path) -> dict[str, Any]:
    """The results document, checked; ReportInputError (one line) when it is unusable."""
    p = Path(path)
    if not p.is_file():
        raise ReportInputError(f"results file not found: {p}")
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportInputError(f"cannot read results file {p}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ReportInputError(f"results file {p} is not valid JSON: {exc.msg} (line {exc.lineno})") from exc
    if not isinstance(raw, dict):
        raise ReportInputError(f"results file {p} is not a JSON object")
    if raw.get("schema") != BENCH_SCHEMA:
        raise ReportInputError(
            f"results file {p} has schema {raw.get('schema')!r}, expected {BENCH_SCHEMA!r}"
        )
    try:
        checked = _Results.model_validate({**raw, "schema_": raw["schema"]})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise ReportInputError(f"results file {p}: bad field {where}: {first['msg']}") from exc
    doc = checked.model_dump()
    doc.pop("schema_", None)
    doc["schema"] = BENCH_SCHEMA
    for prob in doc["problems"]:
        if prob.get("level") is None:
            head = prob["id"].split("/")[0]
            prob["level"] = int(head[5:]) if head.startswith("level") and head[5:].isdigit() else None
    return doc


def merge_results(paths: list[str | Path]) -> dict[str, Any]:
    """Several results files (shards of one benchmark) as one document: problems by id, later files win.

    Ceilings and environment come from the first file; when the cards differ the merge says so in
    `merge_notes`, because timings from different cards do not compare.
    """
    if not paths:
        raise ReportInputError("no results file given")
    docs = [load_results(p) for p in paths]
    merged = {**docs[0], "problems": []}
    by_id: dict[str, dict[str, Any]] = {}
    for d in docs:
        for prob in d["problems"]:
            by_id[prob["id"]] = prob
    merged["problems"] = sorted(by_id.values(), key=lambda p: p["id"])
    merged["merge_notes"] = []
    if len(docs) > 1:
        merged["merge_notes"].append(
            f"merged from {len(docs)} results files: {', '.join(str(p) for p in paths)}"
        )
        cards = sorted({str(d.get("card")) for d in docs})
        if len(cards) > 1:
            merged["merge_notes"].append(
                f"the files come from different cards ({', '.join(cards)}): do not compare their timings"
            )
    return merged


def geomean(xs: list[float | None]) -> float | None:
    vals = [x for x in xs if x is not None and x > 0]
    return math.exp(sum(math.log(x) for x in vals) / len(vals)) if vals else None


def _fmt(x: float | None, spec: str, suffix: str = "") -> str:
    return "–" if x is None else format(x, spec) + suffix


def headline_rows(doc: dict[str, Any]) -> list[dict[str, str]]:
    """The headline table, one row per problem, as display strings."""
    rows = []
    for p in doc["problems"]:
        verdict = p.get("verdict") or ("error" if p.get("error") else "–")
        if p.get("category"):
            verdict += f" ({p['category']})"
        roof = p.get("roofline_fraction")
        rows.append(
            {
                "problem": p["id"],
                "ms": _fmt(p.get("candidate_ms"), ".4f"),
                "vs_eager": _fmt(p.get("speedup_vs_eager"), ".2f", "×"),
                "vs_compile": _fmt(p.get("speedup_vs_compiled"), ".2f", "×"),
                "vs_vendor": _fmt(p.get("speedup_vs_vendor"), ".2f", "×"),
                "roofline": _fmt(roof * 100 if roof is not None else None, ".0f", "%"),
                "judge_ms": _fmt((p.get("judge_ms") or {}).get("candidate"), ".4f"),
                "judge_vs_compile": _fmt(p.get("judge_speedup_vs_compiled"), ".2f", "×"),
                "share": _fmt(
                    p["custom_kernel_share"] * 100 if p.get("custom_kernel_share") is not None else None,
                    ".0f",
                    "%",
                ),
                "bound": p.get("bound") or "–",
                "verdict": verdict,
            }
        )
    return rows


def summary(doc: dict[str, Any]) -> dict[str, Any]:
    probs = doc["problems"]
    acc = [p for p in probs if p.get("verdict") == "accepted"]
    l12 = [p for p in acc if p.get("level") in (1, 2)]
    mem = [p for p in acc if p.get("bound") == "memory" and p.get("roofline_fraction")]
    return {
        "problems": len(probs),
        "accepted": len(acc),
        "rejected": sum(1 for p in probs if p.get("verdict") == "rejected"),
        "errors": sum(1 for p in probs if p.get("error")),
        "geo_eager_l12": geomean([p.get("speedup_vs_eager") for p in l12]),
        "geo_compile_l12": geomean([p.get("speedup_vs_compiled") for p in l12]),
        "geo_eager_all": geomean([p.get("speedup_vs_eager") for p in acc]),
        "geo_compile_all": geomean([p.get("speedup_vs_compiled") for p in acc]),
        "n_l12": len(l12),
        "memory_bound": len(mem),
        "memory_bound_at_70": sum(1 for p in mem if (p.get("roofline_fraction") or 0) >= 0.7),
    }


def notes(doc: dict[str, Any]) -> list[str]:
    """Honest notes: every accepted kernel slower than torch.compile, every rejection and error."""
    out = list(doc.get("merge_notes") or [])
    ties = []
    for p in doc["problems"]:
        s = p.get("speedup_vs_compiled")
        roof = p.get("roofline_fraction")
        floor, compiled = p.get("floor_ms"), p.get("compiled_ms")
        compile_roof = floor / compiled if floor and compiled else None
        if p.get("verdict") == "accepted" and s is not None and TIE <= s < 1.0:
            ties.append(f"{p['id']} ({s:.3f}×)")
        elif p.get("verdict") == "accepted" and s is not None and s < TIE:
            where = (
                f"it reaches {roof:.0%} of its {p.get('bound') or ''}-bound roofline floor"
                if roof
                else "no roofline"
            )
            if compile_roof is not None:
                where += f", torch.compile {compile_roof:.0%}"
            if roof is not None and compile_roof is not None and compile_roof - roof < 0.05:
                why = "both sit at the floor, so there is little left to win"
            elif p.get("bound") == "compute":
                why = "Inductor's GEMMs (cuBLAS or its autotuned templates) use the tensor cores better than this Triton tiling"
            else:
                why = "headroom remains in memory traffic or launch overhead"
            out.append(f"{p['id']} loses to torch.compile ({s:.2f}×): {where}; {why}.")
        if roof is not None and roof > 1.0 and p.get("verdict") == "accepted":
            out.append(
                f"{p['id']} runs above the measured ceiling ({roof:.0%} of the floor): the ceiling is one "
                "8192³ matmul on random data, and this shape ran faster; read the floor as approximate."
            )
        if p.get("verdict") == "rejected":
            first = (p.get("reasons") or [{}])[0].get("message", "")
            out.append(f"{p['id']} was rejected ({p.get('category')}): {first[:300]}")
        if p.get("error"):
            out.append(f"{p['id']}: {p['error'][:300]}")
        if p.get("bound") == "memory" and roof is not None and roof < 0.7 and p.get("verdict") == "accepted":
            out.append(f"{p['id']} reaches only {roof:.0%} of the copy bandwidth (target: 70%).")
        if p.get("verdict") == "accepted" and p.get("candidate_ms") is not None and not p.get("judge_ms"):
            out.append(f"{p['id']}: the judge gave no timing; only the do_bench kernel time is shown.")
    if ties:
        out.append(
            f"Within {1 - TIE:.0%} of torch.compile (a tie at do_bench's resolution): {', '.join(ties)}."
        )
    return out


TIE = 0.98  # speedups in [0.98, 1.0) are ties: do_bench medians of one kernel vary ~1-2% run to run


TIMING_BASIS = (
    "Kernel times (ms, vs eager/compile/vendor, % roofline) are `triton.testing.do_bench` medians on the "
    "benchmark inputs, back to back with L2 flushed, for the library kernel, eager, torch.compile and the "
    "vendor path alike: the convention behind published speedups. The judge's audited times (judge ms, judge "
    "vs compile) synchronise the device around every call with fresh inputs and check every output, so they "
    "include the host's launch and synchronise latency (about 0.1 ms a call on an H100); its compile baseline "
    "also carries the compiled module's per-call host work, so judge vs compile is shown, not claimed. Custom "
    "share: the judge's measure of the device time a forward spends in the candidate's own kernels."
)


def render_markdown(doc: dict[str, Any]) -> str:
    s = summary(doc)
    c = doc.get("ceilings") or {}
    lines = [
        f"# kernelwright library benchmark — {doc.get('card') or 'unknown card'}",
        "",
        f"{doc.get('date') or ''} · torch {doc.get('torch') or '?'} · Triton {doc.get('triton') or '?'} · "
        f"CUDA {doc.get('cuda') or '?'} · driver {doc.get('driver') or '?'} · Python {doc.get('python') or '?'}",
        "",
    ]
    if c:
        lines += [
            f"Ceilings (measured): copy {_fmt(c.get('copy_gbps'), '.0f')} GB/s · bf16 {_fmt(c.get('bf16_tflops'), '.0f')} TFLOP/s"
            f" · tf32 {_fmt(c.get('tf32_tflops'), '.0f')} TFLOP/s · fp32 {_fmt(c.get('fp32_tflops'), '.0f')} TFLOP/s",
            "",
        ]
    lines += [
        f"**{s['accepted']}/{s['problems']} accepted.** Geometric mean speedup over levels 1–2 ({s['n_l12']} kernels): "
        f"**{_fmt(s['geo_eager_l12'], '.2f', '×')} vs eager**, **{_fmt(s['geo_compile_l12'], '.2f', '×')} vs torch.compile**"
        f" (all levels: {_fmt(s['geo_eager_all'], '.2f', '×')} / {_fmt(s['geo_compile_all'], '.2f', '×')}).",
        "",
        f"Memory-bound kernels at ≥ 70% of the measured copy bandwidth: {s['memory_bound_at_70']}/{s['memory_bound']}.",
        "",
        TIMING_BASIS,
        "",
        "| problem | ms | vs eager | vs compile | vs vendor | % roofline | judge ms | judge vs compile | custom share | bound | verdict |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in headline_rows(doc):
        lines.append(
            f"| {r['problem']} | {r['ms']} | {r['vs_eager']} | {r['vs_compile']} | {r['vs_vendor']} | "
            f"{r['roofline']} | {r['judge_ms']} | {r['judge_vs_compile']} | {r['share']} | {r['bound']} | "
            f"{r['verdict']} |"
        )
    ns = notes(doc)
    if ns:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in ns]
    return "\n".join(lines) + "\n"


def render_html(doc: dict[str, Any], with_charts: bool = True) -> str:
    import jinja2

    from kernelwright.report import charts

    figures: dict[str, str] = {}
    chart_note = ""
    if with_charts:
        figures, chart_note = charts.all_charts(doc)
    shown: dict[str, str | None] = {
        name: figures.get(name) for name in ("speedup", "roofline", "timing", "timing_judge")
    }
    template_text = (resources.files("kernelwright.report") / "templates" / "report.html.j2").read_text(
        encoding="utf-8"
    )
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(template_text).render(
        doc=doc,
        s=summary(doc),
        rows=headline_rows(doc),
        notes=notes(doc),
        figures=shown,
        chart_note=chart_note,
        ceilings=doc.get("ceilings") or {},
        fmt=_fmt,
        basis=TIMING_BASIS,
    )


def write_report(
    results: str | Path | list[str | Path], html: str | Path | None = None, md: str | Path | None = None
) -> dict[str, Any]:
    doc = merge_results(results if isinstance(results, list) else [results])
    for target, text in (
        (html, render_html(doc) if html else None),
        (md, render_markdown(doc) if md else None),
    ):
        if target is None or text is None:
            continue
        path = Path(target)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ReportInputError(f"cannot write {path}: {exc}") from exc
    return doc
