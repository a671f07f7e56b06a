"""`kernelwright report`: HTML page with embedded charts and tables, markdown summary, bad-input paths.

The results document below is a FIXTURE written for these tests (made-up numbers in the
kernelwright.bench/1 shape that benchmarks/gpu_library.py writes), not a measurement.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kernelwright.cli import app
from kernelwright.report import BENCH_SCHEMA, ReportInputError, load_results, render_markdown


def _fixture_problem(
    pid: str,
    verdict: str,
    ms: float,
    eager: float,
    compiled: float | None,
    *,
    flops: float = 0.0,
    nbytes: float = 268435456.0,
    vendor: float | None = None,
    category: str | None = None,
    error: str | None = None,
) -> dict:
    floor = max(nbytes / 3.0e12, flops / 7.9e14) * 1e3
    return {
        "id": pid,
        "level": int(pid[5]),
        "stem": pid.split("/")[1],
        "verdict": verdict,
        "category": category,
        "reasons": [{"code": "KW-O001", "severity": "hard", "message": "FIXTURE: wrong on case fuzz:3"}]
        if category
        else [],
        "dtype": "float32",
        "bound": "compute" if flops / 7.9e14 > nbytes / 3.0e12 else "memory",
        "bytes": nbytes,
        "flops": flops,
        "candidate_ms": ms,
        "eager_ms": eager,
        "compiled_ms": compiled,
        "vendor_ms": vendor,
        "vendor": "cuBLAS torch.matmul (fixture)" if vendor else None,
        "speedup_vs_eager": round(eager / ms, 4),
        "speedup_vs_compiled": round(compiled / ms, 4) if compiled else None,
        "speedup_vs_vendor": round(vendor / ms, 4) if vendor else None,
        "floor_ms": floor,
        "achieved_gbps": nbytes / (ms * 1e-3) / 1e9,
        "achieved_tflops": flops / (ms * 1e-3) / 1e12 if flops else None,
        "roofline_fraction": floor / ms,
        "timing": {"candidate": {"p20": ms * 0.98, "median": ms, "p80": ms * 1.03, "samples": 50}},
        "timing_source": "do_bench",
        "error": error,
        "judge_ms": {
            "candidate": ms + 0.1,
            "eager": eager + 0.1,
            "compiled": compiled + 0.1 if compiled else None,
        },
        "judge_speedup_vs_eager": round((eager + 0.1) / (ms + 0.1), 4),
        "judge_speedup_vs_compiled": round((compiled + 0.1) / (ms + 0.1), 4) if compiled else None,
        "custom_kernel_share": 0.97,
    }


@pytest.fixture
def results_file(tmp_path: Path) -> Path:
    doc = {
        "schema": BENCH_SCHEMA,
        "card": "FIXTURE GPU (not a measurement)",
        "driver": "0.0",
        "cuda": "13.0",
        "torch": "2.11.0",
        "triton": "3.6.0",
        "python": "3.12.3",
        "date": "2026-01-01T00:00:00+00:00",
        "command": "python benchmarks/gpu_library.py (fixture)",
        "ceilings": {
            "copy_bytes_per_s": 3.0e12,
            "bf16_flops_per_s": 7.9e14,
            "tf32_flops_per_s": 4.0e14,
            "fp32_flops_per_s": 5.0e13,
            "copy_gbps": 3000.0,
            "bf16_tflops": 790.0,
            "tf32_tflops": 400.0,
            "fp32_tflops": 50.0,
        },
        "problems": [
            _fixture_problem("level1/relu", "accepted", 0.100, 0.110, 0.105),
            _fixture_problem("level1/softmax", "accepted", 0.095, 0.300, 0.120),
            _fixture_problem(
                "level1/matmul_bf16",
                "accepted",
                0.210,
                0.200,
                0.190,
                flops=1.37e11,
                nbytes=1.0e8,
                vendor=0.195,
            ),
            _fixture_problem("level2/cross_entropy", "rejected", 0.2, 0.5, 0.3, category="wrong-output"),
            _fixture_problem(
                "level3/decoder_layer", "accepted", 0.900, 2.500, 1.200, flops=1.1e11, nbytes=6.4e7
            ),
            {
                "id": "level3/transformer_mlp",
                "verdict": None,
                "error": "skipped: the time budget was spent (fixture)",
                "timing": {},
            },
        ],
        "summary": {"note": "fixture"},
    }
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    return path


def test_html_has_charts_and_tables(results_file: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    html, md = tmp_path / "out" / "report.html", tmp_path / "out" / "report.md"
    result = CliRunner().invoke(app, ["report", str(results_file), "--html", str(html), "--md", str(md)])
    assert result.exit_code == 0, result.output
    page = html.read_text()
    for chart in ("chart-speedup", "chart-roofline", "chart-timing"):
        m = re.search(rf'id="{chart}"[^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
        assert m, f"{chart} missing"
        assert len(m.group(1)) > 2000  # a real picture, not a placeholder
    assert 'id="headline"' in page and 'id="ceilings"' in page and 'id="notes"' in page
    for pid in (
        "level1/relu",
        "level1/softmax",
        "level1/matmul_bf16",
        "level2/cross_entropy",
        "level3/decoder_layer",
        "level3/transformer_mlp",
    ):
        assert f">{pid}<" in page
    assert "3000 GB/s" in page and "FIXTURE GPU" in page
    assert "3.16×" in page  # softmax vs eager
    assert "wrong-output" in page


def test_markdown_rows_geomeans_and_honest_notes(results_file: Path) -> None:
    text = render_markdown(load_results(results_file))
    rows = [line for line in text.splitlines() if line.startswith("| level")]
    assert len(rows) == 6
    relu = next(r for r in rows if r.startswith("| level1/relu "))
    assert "| 0.1000 | 1.10× | 1.05× |" in relu and "accepted" in relu
    # geomean over levels 1-2, accepted only: relu 1.1, softmax 3.158, matmul_bf16 0.952 -> 1.49 vs eager
    assert "**1.49× vs eager**" in text
    assert "vs torch.compile" in text
    assert "level1/matmul_bf16 loses to torch.compile (0.90×)" in text
    assert "level2/cross_entropy was rejected (wrong-output)" in text
    assert "level3/transformer_mlp: skipped" in text


def test_markdown_to_stdout_without_outputs(results_file: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(results_file)])
    assert result.exit_code == 0
    assert "| level1/softmax |" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "results file not found"),
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "is not a JSON object"),
        (json.dumps({"schema": "kernelwright.verdict/1", "problems": []}), "expected 'kernelwright.bench/1'"),
        (
            json.dumps({"schema": BENCH_SCHEMA, "problems": [{"verdict": "accepted"}]}),
            "bad field problems.0.id",
        ),
        (json.dumps({"schema": BENCH_SCHEMA}), "bad field problems"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content)
    result = CliRunner().invoke(app, ["report", str(path), "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 2
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and err.startswith("kernelwright: ") and message in err, err
    assert not (tmp_path / "r.html").exists()
    with pytest.raises(ReportInputError):
        load_results(path)


def test_unwritable_output_is_exit_2(results_file: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(app, ["report", str(results_file), "--md", str(blocker / "sub" / "r.md")])
    assert result.exit_code == 2
    assert result.stderr.startswith("kernelwright: cannot write")


def test_shards_merge_by_problem_id(results_file: Path, tmp_path: Path) -> None:
    doc = json.loads(results_file.read_text())
    first, second = dict(doc), dict(doc)
    first["problems"] = doc["problems"][:3]
    second["problems"] = doc["problems"][2:]
    second["problems"][0] = {**second["problems"][0], "candidate_ms": 0.180, "speedup_vs_eager": 1.1111}
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(first))
    b.write_text(json.dumps(second))
    md = tmp_path / "merged.md"
    result = CliRunner().invoke(app, ["report", str(a), str(b), "--md", str(md)])
    assert result.exit_code == 0, result.output
    text = md.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| level")]
    assert len(rows) == 6
    assert "| level1/matmul_bf16 | 0.1800 | 1.11× |" in text  # the later file wins
    assert "merged from 2 results files" in text


def test_untimed_results_render_without_charts(tmp_path: Path) -> None:
    """A CPU dry run of the benchmark (verdicts, no timings, no ceilings) still renders, and says why."""
    doc = {
        "schema": BENCH_SCHEMA,
        "card": "cpu",
        "ceilings": {},
        "problems": [
            {"id": "level1/relu", "level": 1, "verdict": "accepted", "bytes": 8.0, "flops": 0.0, "timing": {}}
        ],
    }
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    html, md = tmp_path / "r.html", tmp_path / "r.md"
    result = CliRunner().invoke(app, ["report", str(path), "--html", str(html), "--md", str(md)])
    assert result.exit_code == 0, result.output
    page = html.read_text()
    assert "<img" not in page and ">level1/relu<" in page
    assert "nothing to chart" in page or "matplotlib is not installed" in page
    assert "| level1/relu | – |" in md.read_text()


def test_judge_times_custom_share_and_bandwidth_target_are_reported(
    results_file: Path, tmp_path: Path
) -> None:
    doc = json.loads(results_file.read_text())
    slow = doc["problems"][0]  # relu: memory-bound, made to reach only half the floor
    slow["candidate_ms"], slow["roofline_fraction"] = 0.2, 0.45
    results_file.write_text(json.dumps(doc))
    text = render_markdown(load_results(results_file))
    relu = next(line for line in text.splitlines() if line.startswith("| level1/relu |"))
    assert "| 45% | 0.2000 | 1.02× | 97% |" in relu  # roofline, judge ms, judge vs compile, custom share
    assert "Memory-bound kernels at ≥ 70% of the measured copy bandwidth: 1/2" in text
    assert "level1/relu reaches only 45% of the copy bandwidth (target: 70%)" in text
    assert "do_bench" in text and "synchronise the device around every call" in text


def test_one_clock_per_timing_chart() -> None:
    """do_bench's candidate is never drawn next to the judge's baselines, nor the other way round."""
    from kernelwright.report.charts import clock_series

    p = {
        "id": "level1/argmax",
        "candidate_ms": 0.1015,  # top level: do_bench (timing_source)
        "eager_ms": 0.1107,
        "compiled_ms": 0.1022,
        "timing_source": "do_bench",
        "timing": {
            "candidate_bench": {"p20": 0.1010, "median": 0.1015, "p80": 0.1020},
            "eager_bench": {"median": 0.1107},
            "compiled_bench": {"median": 0.1022},
            "candidate": {"p20": 0.2925, "median": 0.3075, "p80": 0.3256, "samples": 50},
            "eager": {"median": 0.1689},
            "compiled": {"median": 0.2983},
        },
    }
    bench, judge = clock_series(p, "do_bench"), clock_series(p, "judge")
    assert bench is not None and judge is not None
    assert (bench["candidate"]["median"], bench["eager"], bench["compile"]) == (0.1015, 0.1107, 0.1022)
    assert (judge["candidate"]["median"], judge["eager"], judge["compile"]) == (0.3075, 0.1689, 0.2983)
    # only the judge timed it: no do_bench series is made up from the judge's numbers
    only_judge = {
        **p,
        "timing_source": "judge",
        "timing": {k: v for k, v in p["timing"].items() if "bench" not in k},
    }
    only_judge.update(candidate_ms=0.3075, eager_ms=0.1689, compiled_ms=0.2983)
    assert clock_series(only_judge, "do_bench") is None
    assert clock_series(only_judge, "judge")["eager"] == 0.1689  # type: ignore[index]


def test_roofline_names_points_in_a_legend(results_file: Path) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot as plt

    from kernelwright.report import charts
    from kernelwright.report.build import load_results

    doc = load_results(results_file)
    captured: list = []
    real = charts._png
    charts._png = lambda fig: captured.append(fig) or real(fig)  # type: ignore[assignment]
    try:
        assert charts.roofline_chart(doc) is not None
    finally:
        charts._png = real  # type: ignore[assignment]
    ax = captured[0].axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert "1  level1/matmul_bf16" in labels and any("level3/decoder_layer" in lab for lab in labels)
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2"]  # numbers at the points, not names
    plt.close("all")
