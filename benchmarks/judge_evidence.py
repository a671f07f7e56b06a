"""GPU evidence for the judge (issues 2 and 3), in one run on one GPU.

  python benchmarks/judge_evidence.py --out DIR [--runs 5]

(a) repeatability: the same reference and candidate judged in N separate `kernelwright verify`
    processes: max/min and coefficient of variation of the candidate and eager medians;
(b) the judge's candidate time next to `triton.testing.do_bench` for the same kernel and inputs;
(c) wall time of one `verify`, end to end, median over the runs;
(d) the GPU-only cheats of tests/adversarial (device=cuda): verdict and category against expected;
(e) defence overhead: do_bench of legitimate kernels in a plain process and in one with the
    candidate worker's in-call defences installed (audit policy, launch ledger, guarded environ).
Writes DIR/judge_evidence.json and DIR/judge_evidence.md; prints the markdown last.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RELU = ROOT / "src/kernelwright/problems/level1/relu.py"
CANDIDATE = ROOT / "examples/relu_correct.py"
LEGIT = [  # (problem, kernel) pairs timed with and without the defences
    (RELU, CANDIDATE),
    (ROOT / "src/kernelwright/problems/level1/softmax.py", ROOT / "examples/library_smoke/softmax.py"),
    (ROOT / "src/kernelwright/problems/level1/rmsnorm.py", ROOT / "examples/library_smoke/rmsnorm.py"),
]


QUICK: list[str] = []  # extra verify flags for --quick (fewer cases, no compile baseline)


def verify(problem: Path, candidate: Path, home: str) -> tuple[dict, float]:
    env = {**os.environ, "KERNELWRIGHT_HOME": home}
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
            *QUICK,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    wall = time.monotonic() - t0
    try:
        return json.loads(out.stdout), wall
    except ValueError:
        return {"verdict": "error", "category": None, "error": out.stderr[-800:]}, wall


def cv(xs: list[float]) -> float:
    return statistics.pstdev(xs) / statistics.mean(xs) if len(xs) > 1 else 0.0


def overhead_child(problem: str, kernel: str, defended: bool) -> None:
    """Runs in its own process: the audit hook cannot be removed once installed."""
    import torch
    import triton.testing

    from kernelwright.worker import common

    prob = common.load_module(problem, "kw_problem")
    if defended:
        from kernelwright.sandbox.policy import AuditPolicy
        from kernelwright.worker.integrity import guard_environment
        from kernelwright.worker.launches import LaunchLedger

        ledger = LaunchLedger()
        ledger.install_triton()
        ledger.install_extensions()
        policy = AuditPolicy(tempfile.mkdtemp(), lambda *a: None)
        guard_environment()  # reports through the policy's audit hook (installed next)
        policy.install()
    cand = common.load_module(kernel, "kw_candidate")
    model = common.build_model(prob, cand.ModelNew, torch.device("cuda"))
    inputs = common.make_inputs(prob, common.Case("seed", 0), torch.device("cuda"))
    with torch.no_grad():
        ms = triton.testing.do_bench(lambda: model(*inputs), warmup=100, rep=1000, return_mode="median")
    print(json.dumps({"ms": ms}))


def do_bench_ms(problem: Path, kernel: Path, defended: bool) -> float:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--overhead-child",
            str(problem),
            str(kernel),
            "on" if defended else "off",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        return float(json.loads(out.stdout.strip().splitlines()[-1])["ms"])
    except (ValueError, IndexError, KeyError):
        sys.stderr.write(out.stderr[-2000:])
        return float("nan")


def gpu_cheats() -> list[Path]:
    return sorted(p for p in (ROOT / "tests/adversarial").glob("*.py") if "device=cuda" in p.read_text())


def expectation(path: Path) -> dict:
    for line in path.read_text().splitlines():
        if line.startswith("# kernelwright-expect:"):
            return dict(kv.split("=", 1) for kv in line.split(":", 1)[1].split() if "=" in kv)
    return {}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.environ.get("OUT", "out"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--overhead-child", nargs=3)
    ap.add_argument("--skip-cheats", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated GPU corpus files; skips the overhead figures")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="GPU corpus with 2 seeds, 3 fuzz cases and no compile baseline (~25 s a file)",
    )
    args = ap.parse_args()
    if args.overhead_child:
        overhead_child(args.overhead_child[0], args.overhead_child[1], args.overhead_child[2] == "on")
        return
    import torch
    import triton

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    home = tempfile.mkdtemp(prefix="kw-evidence-")
    if args.quick:
        cfg = Path(home) / "quick.toml"
        cfg.write_text("[judge]\ncompile_baseline = false\n")
        QUICK.extend(["--seeds", "2", "--fuzz", "3", "--config", str(cfg)])
    results: dict = {
        "schema": "kernelwright.judge-evidence/1",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "card": torch.cuda.get_device_name(0),
        "driver": subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
        ).stdout.strip(),
        "cuda": torch.version.cuda,
        "torch": torch.__version__,
        "triton": triton.__version__,
        "python": platform.python_version(),
        "command": f"python benchmarks/judge_evidence.py --out DIR --runs {args.runs}"
        + (" --quick" if args.quick else ""),
    }
    runs = []
    for i in range(args.runs):
        v, wall = verify(RELU, CANDIDATE, home)
        t = v.get("timing") or {}
        runs.append(
            {
                "run": i,
                "verdict": v.get("verdict"),
                "candidate_ms": t.get("candidate_ms"),
                "eager_ms": t.get("eager_ms"),
                "compiled_ms": t.get("compiled_ms"),
                "spread": t.get("spread"),
                "drift": t.get("drift"),
                "wall_s": round(wall, 2),
            }
        )
        print(f"run {i}: {runs[-1]}", flush=True)
    results["repeatability"] = runs
    ok = [r for r in runs if r["candidate_ms"]]
    rep: dict = {}
    for key in ("candidate_ms", "eager_ms", "compiled_ms"):
        xs = [r[key] for r in ok if r[key]]
        if xs:
            rep[key] = {"median": statistics.median(xs), "max_over_min": max(xs) / min(xs), "cv": cv(xs)}
    rep["verify_wall_s_median"] = statistics.median([r["wall_s"] for r in runs]) if runs else None
    results["repeatability_summary"] = rep
    overhead = []
    for problem, kernel in [] if args.only else LEGIT:
        plain, defended = do_bench_ms(problem, kernel, False), do_bench_ms(problem, kernel, True)
        overhead.append(
            {
                "kernel": str(kernel.relative_to(ROOT)),
                "do_bench_plain_ms": plain,
                "do_bench_defended_ms": defended,
                "difference": defended / plain - 1 if plain else None,
            }
        )
    results["defence_overhead"] = overhead
    cheats = []
    if not args.skip_cheats:
        for path in [p for p in gpu_cheats() if not args.only or p.name in args.only.split(",")]:
            exp = expectation(path)
            problem = ROOT / "src/kernelwright/problems" / f"{exp.get('problem', 'level1/relu')}.py"
            v, wall = verify(problem, path, home)
            want = (
                exp.get("verdict"),
                None if exp.get("category") in (None, "none") else exp.get("category"),
            )
            got = (v.get("verdict"), v.get("category"))
            cheats.append(
                {
                    "file": path.name,
                    "expected": list(want),
                    "got": list(got),
                    "ok": want == got,
                    "first_reason": next((r["message"][:160] for r in v.get("reasons", [])), ""),
                    "wall_s": round(wall, 1),
                }
            )
            print(f"{path.name}: expected {want} got {got}", flush=True)
    results["gpu_cheats"] = cheats
    (out / "judge_evidence.json").write_text(json.dumps(results, indent=1))
    md = render(results)
    (out / "judge_evidence.md").write_text(md)
    print(md)


def render(r: dict) -> str:
    lines = [
        f"card {r['card']}, driver {r['driver']}, CUDA {r['cuda']}, torch {r['torch']}, Triton {r['triton']}, "
        f"Python {r['python']}, {r['date']}",
        "",
        "| quantity | median ms | max/min | CV |",
        "|---|---|---|---|",
    ]
    for key, s in r["repeatability_summary"].items():
        if isinstance(s, dict):
            lines.append(
                f"| {key} ({len(r['repeatability'])} verify runs) | {s['median']:.4f} | "
                f"{s['max_over_min']:.3f}x | {s['cv']:.2%} |"
            )
    lines.append(
        f"\nverify wall time, end to end, median: {r['repeatability_summary'].get('verify_wall_s_median')} s\n"
    )
    lines += ["| kernel | do_bench plain ms | do_bench with defences ms | difference |", "|---|---|---|---|"]
    for o in r["defence_overhead"]:
        diff = o["difference"]
        lines.append(
            f"| {o['kernel']} | {o['do_bench_plain_ms']:.4f} | {o['do_bench_defended_ms']:.4f} | "
            f"{'-' if diff is None else f'{diff:+.2%}'} |"
        )
    judge_med = r["repeatability_summary"].get("candidate_ms", {}).get("median")
    plain0 = r["defence_overhead"][0]["do_bench_plain_ms"] if r["defence_overhead"] else None
    if judge_med and plain0:
        lines.append(
            f"\njudge candidate time {judge_med:.4f} ms vs triton.testing.do_bench {plain0:.4f} ms for "
            f"examples/relu_correct.py (ratio {judge_med / plain0:.3f})\n"
        )
    if r["gpu_cheats"]:
        lines += ["| GPU-only corpus file | expected | got | ok | first reason |", "|---|---|---|---|---|"]
        for c in r["gpu_cheats"]:
            lines.append(
                f"| {c['file']} | {'/'.join(map(str, c['expected']))} | {'/'.join(map(str, c['got']))} | "
                f"{'yes' if c['ok'] else 'NO'} | {c['first_reason'][:90]} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
