"""How long a verdict takes, and where the time goes (issue #14).

  python benchmarks/verify_speed.py --out DIR [--runs 3] [--pooled 5] [--suite] [--jobs 1 2]
                                    [--concurrent 10] [--problem level1/relu --candidate FILE]

(a) one `kernelwright verify --json --no-store` as a user runs it, each in its own process: cold
    (a fresh KERNELWRIGHT_HOME: no compile-baseline cache, no measured ceilings) and warm (the same
    home again); wall time on this script's monotonic clock, and the verdict's own phases;
(b) pooled: `--pooled N` judgements of the same candidate in one process under `use_pool` (what
    `suite run`, the agent loop and the MCP server get): the first pays the workers' start, the rest
    find a pre-started candidate worker and a warm reference;
(c) GPU only: the same files through a KernelBench-style eval in its own process (our own code,
    following KernelBench's `eval_kernel_against_ref`: both models in one process, 5 correctness
    trials at get_inputs() size, 3 warm-up and 100 timed calls between CUDA events);
(d) --suite: `kernelwright suite run` of the bundled problems against the bundled library with each
    `--jobs` value: wall time and candidates per hour;
(e) --concurrent N (GPU): N verifies of the same candidate started at once, their verdicts next to
    the sequential ones.
Writes DIR/verify_speed.json and DIR/verify_speed.md; prints the markdown last. Every time is wall
time on this script's clock (`time.monotonic`) unless a row says otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src/kernelwright"

KERNELBENCH_STYLE = r"""
import importlib.util, json, sys, time
t0 = time.monotonic()
import torch

def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod

problem, cand = load(sys.argv[1], "ref"), load(sys.argv[2], "new")
torch.manual_seed(42)
init = problem.get_init_inputs()
ref = problem.Model(*init).cuda()
torch.manual_seed(42)
new = cand.ModelNew(*init).cuda()
ok = True
with torch.no_grad():
    for trial in range(5):
        torch.manual_seed(trial)
        inputs = [x.cuda() if isinstance(x, torch.Tensor) else x for x in problem.get_inputs()]
        ok &= torch.allclose(ref(*inputs), new(*inputs), atol=1e-2, rtol=1e-2)
    inputs = [x.cuda() if isinstance(x, torch.Tensor) else x for x in problem.get_inputs()]
    for _ in range(3):
        new(*inputs)
    torch.cuda.synchronize()
    times = []
    for _ in range(100):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record(); new(*inputs); e.record(); torch.cuda.synchronize()
        times.append(s.elapsed_time(e))
print(json.dumps({"correct": bool(ok), "mean_ms": sum(times) / len(times), "in_process_s": time.monotonic() - t0}))
"""


def env(home: str | None = None) -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), e.get("PYTHONPATH", "")) if p)
    if home:
        e["KERNELWRIGHT_HOME"] = home
    return e


def cli_verify(problem: Path, candidate: Path, home: str) -> dict[str, Any]:
    t0 = time.monotonic()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "kernelwright",
            "verify",
            str(problem),
            str(candidate),
            "--json",
            "--no-store",
        ],
        capture_output=True,
        text=True,
        env=env(home),
        timeout=1200,
    )
    wall = time.monotonic() - t0
    try:
        v = json.loads(out.stdout)
    except json.JSONDecodeError:
        return {"wall_s": wall, "error": (out.stderr or out.stdout)[-400:]}
    return {
        "wall_s": round(wall, 2),
        "verdict": v["verdict"],
        "category": v.get("category"),
        "seconds": v["seconds"],
        "phases": v.get("phases", {}),
        "kernel_ms": (v.get("timing") or {}).get("candidate_ms"),
        "speedup_vs_eager": (v.get("timing") or {}).get("speedup_vs_eager"),
    }


def pooled(problem: Path, candidate: Path, n: int, home: str) -> list[dict[str, Any]]:
    os.environ["KERNELWRIGHT_HOME"] = home
    sys.path.insert(0, str(ROOT / "src"))
    from kernelwright.judge import judge
    from kernelwright.judge.pool import use_pool

    rows = []
    with use_pool(spares=1, references=2):
        for _ in range(n):
            t0 = time.monotonic()
            v = judge(problem, candidate)
            rows.append(
                {
                    "wall_s": round(time.monotonic() - t0, 2),
                    "verdict": v.verdict,
                    "seconds": v.seconds,
                    "phases": v.phases,
                }  # fmt: skip
            )
    return rows


def kernelbench_style(problem: Path, candidate: Path) -> dict[str, Any]:
    t0 = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c", KERNELBENCH_STYLE, str(problem), str(candidate)],
        capture_output=True, text=True, env=env(), timeout=600,
    )  # fmt: skip
    wall = time.monotonic() - t0
    try:
        return {"wall_s": round(wall, 2), **json.loads(out.stdout.strip().splitlines()[-1])}
    except (json.JSONDecodeError, IndexError):
        return {"wall_s": round(wall, 2), "error": out.stderr[-400:]}


def suite(jobs: int, home: str) -> dict[str, Any]:
    t0 = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "kernelwright", "suite", "run", str(SRC / "problems"), "--candidates", str(SRC / "library"),
         "--jobs", str(jobs), "--json", "--no-store"],
        capture_output=True, text=True, env=env(home), timeout=7200,
    )  # fmt: skip
    wall = time.monotonic() - t0
    try:
        verdicts = [r.get("verdict") for r in json.loads(out.stdout).get("results", [])]
    except (json.JSONDecodeError, AttributeError):
        return {"jobs": jobs, "wall_s": round(wall, 1), "error": out.stderr[-400:]}
    n = len(verdicts)
    return {
        "jobs": jobs,
        "wall_s": round(wall, 1),
        "candidates": n,
        "accepted": verdicts.count("accepted"),
        "per_hour": round(n / wall * 3600) if wall else None,
    }


def machine() -> dict[str, Any]:
    import torch
    import triton

    cuda = torch.cuda.is_available()
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "device": torch.cuda.get_device_name(0)
        if cuda
        else f"CPU ({os.cpu_count()} cores, Triton interpreter)",
        "torch": torch.__version__,
        "triton": triton.__version__,
        "python": platform.python_version(),
        "cuda": cuda,
        "clock": "wall time, time.monotonic of this script (verdict phases: the judge's monotonic clock)",
    }


def phase_line(phases: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in phases.items() if v >= 0.01)


def report(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    lines = [
        f"# Verdict speed: {m['device']}",
        "",
        f"{m['date']}; torch {m['torch']}, Triton {m['triton']}, Python {m['python']}. {m['clock']}.",
        f"Subject: {doc['problem']} <- {doc['candidate']}.",
        "",
        "| run | wall s | verdict | judge s | phases (s) |",
        "|---|---|---|---|---|",
    ]
    for name in ("cold", "warm"):
        for i, r in enumerate(doc.get(name, [])):
            lines.append(
                f"| CLI {name} #{i + 1} | {r['wall_s']} | {r.get('verdict', r.get('error', '?'))} | "
                f"{r.get('seconds', '')} | {phase_line(r.get('phases', {}))} |"
            )
    for i, r in enumerate(doc.get("pooled", [])):
        lines.append(
            f"| pooled #{i + 1} | {r['wall_s']} | {r['verdict']} | {r['seconds']} | {phase_line(r['phases'])} |"
        )
    for i, r in enumerate(doc.get("kernelbench", [])):
        lines.append(
            f"| KernelBench-style eval #{i + 1} | {r['wall_s']} | "
            f"{'correct' if r.get('correct') else r.get('error', 'incorrect')} | | "
            f"mean {r.get('mean_ms', 0):.4f} ms (CUDA events) |"
        )
    summary = doc.get("summary", {})
    if summary:
        lines += ["", "Medians: " + ", ".join(f"{k} {v:.2f} s" for k, v in summary.items())]
    if doc.get("suite"):
        lines += [
            "",
            "| suite run | jobs | wall s | candidates | accepted | per hour |",
            "|---|---|---|---|---|---|",
        ]
        for r in doc["suite"]:
            lines.append(
                f"| bundled library | {r['jobs']} | {r['wall_s']} | {r.get('candidates')} | "
                f"{r.get('accepted')} | {r.get('per_hour')} |"
            )
    if doc.get("concurrent"):
        c = doc["concurrent"]
        lines += [
            "",
            f"{c['n']} verifies at once: wall {c['wall_s']} s (sequential: {c['sequential_wall_s']} s); "
            f"verdicts {c['verdicts']} (sequential: {c['sequential_verdicts']}); same: {c['same']}.",
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--problem", default="level1/relu")
    ap.add_argument("--candidate", type=Path, default=ROOT / "examples/relu_correct.py")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pooled", type=int, default=5)
    ap.add_argument("--suite", action="store_true")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--concurrent", type=int, default=0)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    problem = SRC / "problems" / f"{args.problem}.py"
    doc: dict[str, Any] = {"machine": machine(), "problem": args.problem, "candidate": str(args.candidate)}
    cuda = doc["machine"]["cuda"]

    def checkpoint() -> None:
        (args.out / "verify_speed.json").write_text(json.dumps(doc, indent=1))

    home = tempfile.mkdtemp(prefix="kw-speed-")
    doc["cold"] = [
        cli_verify(problem, args.candidate, tempfile.mkdtemp(prefix="kw-cold-")) for _ in range(args.runs)
    ]
    if args.runs:
        cli_verify(problem, args.candidate, home)  # fills the warm home (baseline cache, ceilings)
    doc["warm"] = [cli_verify(problem, args.candidate, home) for _ in range(args.runs)]
    checkpoint()
    if args.pooled:
        doc["pooled"] = pooled(problem, args.candidate, args.pooled, home)
    if cuda:
        doc["kernelbench"] = [kernelbench_style(problem, args.candidate) for _ in range(args.runs)]
    summary = {}
    if args.runs:
        summary["cold CLI"] = statistics.median(r["wall_s"] for r in doc["cold"])
        summary["warm CLI"] = statistics.median(r["wall_s"] for r in doc["warm"])
    if doc.get("pooled", [])[1:]:
        summary["pooled (after the first)"] = statistics.median(r["wall_s"] for r in doc["pooled"][1:])
    if doc.get("kernelbench"):
        summary["KernelBench-style eval"] = statistics.median(r["wall_s"] for r in doc["kernelbench"])
    doc["summary"] = summary
    checkpoint()
    if args.concurrent and cuda:
        t0 = time.monotonic()
        seq = [cli_verify(problem, args.candidate, home) for _ in range(args.concurrent)]
        seq_wall = time.monotonic() - t0
        t0 = time.monotonic()
        with ThreadPoolExecutor(args.concurrent) as ex:
            conc = list(ex.map(lambda _: cli_verify(problem, args.candidate, home), range(args.concurrent)))
        doc["concurrent"] = {
            "n": args.concurrent,
            "wall_s": round(time.monotonic() - t0, 1),
            "sequential_wall_s": round(seq_wall, 1),
            "verdicts": sorted(str(r.get("verdict")) for r in conc),
            "sequential_verdicts": sorted(str(r.get("verdict")) for r in seq),
            "runs": conc,
        }
        doc["concurrent"]["same"] = doc["concurrent"]["verdicts"] == doc["concurrent"]["sequential_verdicts"]
        checkpoint()
    if args.suite:
        doc["suite"] = [suite(j, home) for j in args.jobs]
        checkpoint()
    md = report(doc)
    (args.out / "verify_speed.md").write_text(md)
    checkpoint()
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
