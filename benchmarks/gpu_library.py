#!/usr/bin/env python3
"""Judge and time every library kernel on one GPU, in one run, and write results.json.

    python benchmarks/gpu_library.py [--out DIR] [--only relu,matmul_bf16] [--skip-compile] [--budget-s 480]

1. Ceilings, measured once: device-to-device copy bandwidth (bytes read + written), and matmul rates at
   8192^3 for bf16, fp32 (allow_tf32 off) and tf32 (allow_tf32 on).
2. For every library kernel (src/kernelwright/library/levelN/<stem>.py) against its bundled problem:
   - the real judge (`kernelwright.judge.judge`, timing on): it checks correctness and times the
     candidate, eager PyTorch and torch.compile honestly (fresh inputs, L2 flushed, every call checked);
   - `triton.testing.do_bench` on one input set, in this process: the candidate, eager, torch.compile
     and the vendor path where there is one (cuBLAS via torch.matmul / addmm / F.linear, SDPA for attention);
   - the roofline: bytes (inputs + outputs) over the copy bandwidth vs FLOPs (`get_flops`) over the
     matmul peak of the problem's precision; achieved GB/s and TFLOP/s; fraction of the floor reached.
3. results.json (schema kernelwright.bench/1) is rewritten after every problem, so a run cut short still
   leaves what it measured; one problem failing is recorded and the run goes on. A short table last.

Runs on the CPU too (no ceilings, no timing, judge through the Triton interpreter on fuzz cases): a
dry run of this script, not a benchmark. `kernelwright report results.json --html report.html` renders it.

Headline times are kernel times: do_bench for the library kernel, eager, torch.compile (default mode,
the judge's baseline) and the vendor path; the judge's audited per-call times are kept beside them
(`judge_ms`, `judge_speedup_vs_*`), with the judge's custom-kernel share.

Cost on one H100 (measured 2026-11-25): the quick look (--no-judge) took 135 s for all 24; the full
run ~60 s a problem (two worker processes, the candidate's Triton builds, torch.compile in this
process and in the judge's reference worker, which shares its Inductor cache), ~24 min for all 24.
One command does it all where a call may run that long; under a 10-minute cap, split it:
  python benchmarks/gpu_library.py --shard 1/3 --out DIR/s1     (then 2/3, 3/3; or --only lists)
  kernelwright report DIR/s1/results.json DIR/s2/results.json DIR/s3/results.json --html report.html --md report.md
--budget-s (default 480) stops starting problems after that many seconds; the rest are recorded as
skipped and can be rerun with --only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "src") not in sys.path:
    sys.path.insert(0, str(REPO / "src"))

SCHEMA = "kernelwright.bench/1"
PROBLEMS = REPO / "src" / "kernelwright" / "problems"
LIBRARY = REPO / "src" / "kernelwright" / "library"
LEVELS = ("level1", "level2", "level3")


def log(msg: str) -> None:
    print(msg, flush=True)


# -- environment & ceilings ---------------------------------------------------------------------------
def environment(cuda: bool) -> dict[str, Any]:
    import torch
    import triton

    driver = None
    if cuda:
        try:
            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                capture_output=True,
                text=True,
                timeout=20,
            )
            driver = (
                out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else None
            )
        except (OSError, subprocess.SubprocessError):
            driver = None
    return {
        "card": torch.cuda.get_device_name(0) if cuda else "cpu",
        "driver": driver,
        "cuda": torch.version.cuda,
        "torch": torch.__version__,
        "triton": triton.__version__,
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv]),
    }


def bench(fn: Any, warmup: int = 25, rep: int = 100) -> dict[str, float]:
    """do_bench with L2 flushing between calls; p20 / median / p80 in ms."""
    from triton.testing import do_bench

    p20, p50, p80 = do_bench(fn, warmup=warmup, rep=rep, quantiles=[0.2, 0.5, 0.8])
    return {"p20": round(p20, 6), "median": round(p50, 6), "p80": round(p80, 6)}


def _copy_rate() -> float:
    import torch

    n = 1 << 28  # 1 GiB of fp32: far beyond L2
    src = torch.randn(n, device="cuda")
    dst = torch.empty_like(src)
    return 2 * n * 4 / (bench(lambda: dst.copy_(src), rep=200)["median"] * 1e-3)


def _matmul_rate(dtype: Any, tf32: bool, rep: int) -> float:
    import torch

    m = 8192
    a = torch.randn(m, m, device="cuda", dtype=dtype)
    b = torch.randn(m, m, device="cuda", dtype=dtype)
    saved = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32
    try:
        return 2.0 * m**3 / (bench(lambda: a @ b, warmup=50, rep=rep)["median"] * 1e-3)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = saved


def measure_ceilings() -> dict[str, Any]:
    import torch

    out: dict[str, Any] = {"copy_bytes_per_s": _copy_rate()}
    out["bf16_flops_per_s"] = _matmul_rate(torch.bfloat16, False, 300)
    out["fp32_flops_per_s"] = _matmul_rate(torch.float32, False, 400)
    out["tf32_flops_per_s"] = _matmul_rate(torch.float32, True, 300)
    torch.cuda.empty_cache()
    out["copy_gbps"] = round(out["copy_bytes_per_s"] / 1e9, 1)
    for key in ("bf16", "fp32", "tf32"):
        out[f"{key}_tflops"] = round(out[f"{key}_flops_per_s"] / 1e12, 1)
    return out


# -- problems -------------------------------------------------------------------------------------------
def load_module(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, str(path))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def flatten(out: Any) -> list:
    if isinstance(out, list | tuple):
        return [t for o in out for t in flatten(o)]
    return [out]


def vendor_path(stem: str, model: Any, inputs: list) -> tuple[str, Any] | None:
    """(description, zero-argument callable) of the library path a practitioner would reach for."""
    import torch
    import torch.nn.functional as F

    def tf32(fn: Any) -> Any:
        def run() -> Any:
            saved = torch.backends.cuda.matmul.allow_tf32
            torch.backends.cuda.matmul.allow_tf32 = True
            try:
                return fn()
            finally:
                torch.backends.cuda.matmul.allow_tf32 = saved

        return run

    if stem == "matmul":
        a, b = inputs
        return "cuBLAS torch.matmul, tf32", tf32(lambda: torch.matmul(a, b))
    if stem == "matmul_bf16":
        a, b = inputs
        return "cuBLAS torch.matmul", lambda: torch.matmul(a, b)
    if stem == "matmul_scale_residual":
        a, b, r = inputs
        return "cuBLAS torch.addmm (alpha/beta epilogue), tf32", tf32(
            lambda: torch.addmm(r, a, b, alpha=model.alpha)
        )
    if stem == "linear_bias_gelu":
        x, w, bias = inputs
        return "cuBLAS F.linear, tf32, + eager erf GELU", tf32(lambda: F.gelu(F.linear(x, w, bias)))
    if stem == "swiglu_bf16":
        x, wg, wu = inputs
        wcat = torch.cat([wg, wu])  # prepared once, outside the timed region

        def swiglu() -> Any:
            gu = F.linear(x, wcat).view(x.shape[0], 2, -1)
            return (F.silu(gu[:, 0].float()) * gu[:, 1].float()).to(x.dtype)

        return "one cuBLAS GEMM on [Wg; Wu] + eager SiLU-mul", swiglu
    if stem == "causal_attention_bf16":
        q, k, v = inputs
        return "F.scaled_dot_product_attention(is_causal=True)", lambda: F.scaled_dot_product_attention(
            q, k, v, is_causal=True
        )
    if stem in ("transformer_mlp", "decoder_layer"):
        return "eager module with cuBLAS tf32", tf32(lambda: model(*inputs))
    return None


def peak_for(inputs: list, ceilings: dict) -> tuple[str, float]:
    """The matmul ceiling that applies: bf16 inputs -> bf16; fp32 -> tf32 (every fp32 GEMM problem's
    tolerance admits tf32, so that is the rate a faithful kernel faces)."""
    import torch

    dtypes = {t.dtype for t in inputs if isinstance(t, torch.Tensor) and t.is_floating_point()}
    if torch.bfloat16 in dtypes or torch.float16 in dtypes:
        return "bf16", float(ceilings.get("bf16_flops_per_s") or 0.0)
    return "tf32", float(ceilings.get("tf32_flops_per_s") or 0.0)


def roofline(entry: dict, ceilings: dict, peak_name: str, peak: float) -> None:
    bw = float(ceilings.get("copy_bytes_per_s") or 0.0)
    t_bytes = entry["bytes"] / bw * 1e3 if bw else 0.0
    t_flops = entry["flops"] / peak * 1e3 if peak and entry["flops"] else 0.0
    entry["peak"] = peak_name
    entry["bound"] = "compute" if t_flops > t_bytes else "memory"
    entry["floor_ms"] = round(max(t_bytes, t_flops), 6) if bw else None
    entry["floor_bytes_ms"] = round(t_bytes, 6) if bw else None
    entry["floor_flops_ms"] = round(t_flops, 6) if peak else None
    ms = entry.get("candidate_ms")
    if ms:
        entry["achieved_gbps"] = round(entry["bytes"] / (ms * 1e-3) / 1e9, 1)
        entry["achieved_tflops"] = round(entry["flops"] / (ms * 1e-3) / 1e12, 2) if entry["flops"] else None
        entry["roofline_fraction"] = round(entry["floor_ms"] / ms, 4) if entry["floor_ms"] else None


def ratio(num: float | None, den: float | None) -> float | None:
    return round(num / den, 4) if num and den else None


def measure_in_process(
    stem_id: str, entry: dict, ceilings: dict, cuda: bool, args: argparse.Namespace
) -> None:
    """Bytes, FLOPs, vendor and do_bench timings on one benchmark-size input set (trusted code only)."""
    import torch

    problem = load_module(PROBLEMS / f"{stem_id}.py", "bench_problem_" + stem_id.replace("/", "_"))
    cand = load_module(LIBRARY / f"{stem_id}.py", "bench_library_" + stem_id.replace("/", "_"))
    device = torch.device("cuda" if cuda else "cpu")
    torch.manual_seed(20_240_611)
    model = problem.Model(*problem.get_init_inputs()).to(device).eval()
    torch.manual_seed(20_240_611)
    new = cand.ModelNew(*problem.get_init_inputs()).to(device).eval()
    ref_state, own = model.state_dict(), new.state_dict()
    new.load_state_dict(
        {k: v for k, v in ref_state.items() if k in own and own[k].shape == v.shape}, strict=False
    )
    torch.manual_seed(0)
    if cuda:
        with torch.device(device):
            inputs = list(problem.get_inputs())
        inputs = [t.to(device) if isinstance(t, torch.Tensor) else t for t in inputs]
    else:
        inputs = list(problem.get_fuzz_inputs(7))  # the CPU dry run: a small case
    with torch.no_grad():
        outs = flatten(model(*inputs))
    tensors = [t for t in [*inputs, *outs] if isinstance(t, torch.Tensor)]
    entry["bytes"] = int(sum(t.numel() * t.element_size() for t in tensors))
    entry["flops"] = float(problem.get_flops(inputs)) if hasattr(problem, "get_flops") else 0.0
    entry["shapes"] = [list(t.shape) for t in inputs if isinstance(t, torch.Tensor)]
    entry["dtype"] = str(
        next(
            (t.dtype for t in inputs if isinstance(t, torch.Tensor) and t.is_floating_point()),
            inputs[0].dtype,
        )
    ).removeprefix("torch.")
    peak_name, peak = peak_for(inputs, ceilings)
    entry["_peak"] = (peak_name, peak)
    from kernelwright.judge.compare import compare_outputs

    with torch.no_grad():
        got = flatten(new(*inputs))
    bad = [
        m.message
        for m in compare_outputs(outs, got, getattr(problem, "TOLERANCE", None), "in-process check")
        if not m.ok
    ]
    entry["bench_check"] = "ok" if not bad else bad[0][:500]
    del got
    if not cuda:
        return
    if args.no_judge and hasattr(problem, "get_fuzz_inputs"):
        # Without the judge, at least run the fuzz shapes on the device (other compiled specialisations).
        fuzz_bad = []
        for i in range(8):
            torch.manual_seed(i)
            case = [t.to(device) if isinstance(t, torch.Tensor) else t for t in problem.get_fuzz_inputs(i)]
            with torch.no_grad():
                exp, got = flatten(model(*case)), flatten(new(*case))
            fuzz_bad += [
                m.message
                for m in compare_outputs(exp, got, getattr(problem, "TOLERANCE", None), f"fuzz {i}")
                if not m.ok
            ]
        entry["fuzz_check"] = "ok" if not fuzz_bad else fuzz_bad[0][:500]
    timing = entry["timing"]
    with torch.no_grad():
        timing["candidate_bench"] = bench(lambda: new(*inputs))
        timing["eager_bench"] = bench(lambda: model(*inputs))
        if not args.skip_compile:
            # The same torch.compile (default mode) the judge's reference worker uses; both share the
            # Inductor cache (JudgeConfig.reference_cache), so the judge's baseline build is a cache hit.
            compiled = torch.compile(model)
            for _ in range(3):
                compiled(*inputs)
            timing["compiled_bench"] = bench(lambda: compiled(*inputs))
            del compiled
        vendor = None if args.no_vendor else vendor_path(entry["stem"], model, inputs)
        if vendor is not None:
            entry["vendor"] = vendor[0]
            timing["vendor"] = bench(vendor[1])
            entry["vendor_ms"] = timing["vendor"]["median"]


def run_judge(stem_id: str, entry: dict, args: argparse.Namespace, cuda: bool, store: Any = None) -> None:
    from kernelwright.judge import JudgeConfig, judge

    if cuda:
        cfg = JudgeConfig(
            seeds=args.seeds,
            fuzz=args.fuzz,
            timed_calls=args.timed_calls,
            warmup_calls=args.warmup_calls,
            compile_baseline=not args.skip_compile,
        )
    else:
        cfg = JudgeConfig(seeds=1, fuzz=2, timing=False)
    problem_path, kernel_path = PROBLEMS / f"{stem_id}.py", LIBRARY / f"{stem_id}.py"
    verdict = judge(problem_path, kernel_path, cfg)
    body = verdict.to_json_dict()
    if store is not None:
        # Signed (ed25519) and stored like any `verify`: the agent's retrieval and `kb` see it, and
        # `kernelwright verdict check` verifies the copy kept in results.json.
        rec = store.record_verdict(
            verdict,
            problem_source=problem_path.read_text(encoding="utf-8"),
            candidate_source=kernel_path.read_text(encoding="utf-8"),
            origin={"kind": "file", "library": True, "benchmark": SCHEMA},
        )
        entry["signed_verdict"] = dict(rec.verdict)
    entry["verdict"] = body["verdict"]
    entry["category"] = body["category"]
    entry["reasons"] = [
        {"code": r["code"], "severity": r["severity"], "message": r["message"][:500]} for r in body["reasons"]
    ]
    t = body.get("timing")
    entry["judge"] = {"seconds": body.get("seconds"), "correctness": body.get("correctness"), "timing": t}
    if t:
        # The judge's audited per-call times: fresh inputs, L2 flushed, a device-wide synchronise around
        # every call and every output checked, so each includes the host's launch and synchronise
        # latency (~0.1 ms on the H100, docs/JUDGE.md). Kept next to the kernel times, not mixed in.
        entry["judge_ms"] = {
            "candidate": t["candidate_ms"],
            "eager": t["eager_ms"],
            "compiled": t.get("compiled_ms"),
        }
        entry["judge_speedup_vs_eager"] = t.get("speedup_vs_eager")
        entry["judge_speedup_vs_compiled"] = t.get("speedup_vs_compiled")
        entry["custom_kernel_share"] = t.get("custom_kernel_share")
        entry["timing"]["candidate"] = {
            "p20": t.get("candidate_p20_ms"),
            "median": t["candidate_ms"],
            "p80": t.get("candidate_p80_ms"),
            "samples": t.get("samples"),
            "spread": t.get("spread"),
        }
        entry["timing"]["eager"] = {
            "median": t["eager_ms"],
            "spread": t.get("eager_spread"),
            "drift": t.get("drift"),
        }
        if t.get("compiled_ms"):
            entry["timing"]["compiled"] = {"median": t["compiled_ms"]}


def finish(entry: dict, ceilings: dict) -> None:
    """Headline times are kernel times: do_bench (back to back, L2 flushed, trusted code in this process)
    for the library kernel, eager, torch.compile and the vendor path alike, the convention the field's
    published speedups use. The judge's audited per-call times sit beside them in `judge_ms`."""
    timing = entry["timing"]
    for key, name in (
        ("candidate_ms", "candidate_bench"),
        ("eager_ms", "eager_bench"),
        ("compiled_ms", "compiled_bench"),
    ):
        if timing.get(name):
            entry[key] = timing[name]["median"]
    entry["timing_source"] = "do_bench" if entry.get("candidate_ms") is not None else None
    entry["speedup_vs_eager"] = ratio(entry.get("eager_ms"), entry.get("candidate_ms"))
    entry["speedup_vs_compiled"] = ratio(entry.get("compiled_ms"), entry.get("candidate_ms"))
    entry["speedup_vs_vendor"] = ratio(entry.get("vendor_ms"), entry.get("candidate_ms"))
    peak_name, peak = entry.pop("_peak", ("", 0.0))
    if "bytes" in entry:
        roofline(entry, ceilings, peak_name, peak)


def new_entry(stem_id: str) -> dict:
    level, stem = stem_id.split("/")
    return {
        "id": stem_id,
        "level": int(level.removeprefix("level")),
        "stem": stem,
        "verdict": None,
        "category": None,
        "reasons": [],
        "dtype": None,
        "bound": None,
        "bytes": None,
        "flops": None,
        "candidate_ms": None,
        "eager_ms": None,
        "compiled_ms": None,
        "vendor_ms": None,
        "vendor": None,
        "speedup_vs_eager": None,
        "speedup_vs_compiled": None,
        "speedup_vs_vendor": None,
        "floor_ms": None,
        "achieved_gbps": None,
        "achieved_tflops": None,
        "roofline_fraction": None,
        "timing": {},
        "timing_source": None,
        "judge": None,
        "judge_ms": None,
        "judge_speedup_vs_eager": None,
        "judge_speedup_vs_compiled": None,
        "custom_kernel_share": None,
        "signed_verdict": None,
        "seconds": None,
        "error": None,
    }


def geomean(xs: list[float]) -> float | None:
    xs = [x for x in xs if x and x > 0]
    return round(math.exp(sum(math.log(x) for x in xs) / len(xs)), 4) if xs else None


def summarize(problems: list[dict], started: float) -> dict:
    acc = [p for p in problems if p.get("verdict") == "accepted"]
    l12 = [p for p in acc if p["level"] in (1, 2)]
    return {
        "problems": len(problems),
        "accepted": len(acc),
        "rejected": sum(1 for p in problems if p.get("verdict") == "rejected"),
        "errors": sum(1 for p in problems if p.get("error")),
        "geomean_speedup_vs_eager_l12": geomean([p["speedup_vs_eager"] for p in l12]),
        "geomean_speedup_vs_compiled_l12": geomean([p["speedup_vs_compiled"] for p in l12]),
        "geomean_speedup_vs_eager": geomean([p["speedup_vs_eager"] for p in acc]),
        "geomean_speedup_vs_compiled": geomean([p["speedup_vs_compiled"] for p in acc]),
        "judge_geomean_speedup_vs_eager_l12": geomean([p.get("judge_speedup_vs_eager") for p in l12]),
        "judge_geomean_speedup_vs_compiled_l12": geomean([p.get("judge_speedup_vs_compiled") for p in l12]),
        "elapsed_s": round(time.monotonic() - started, 1),
    }


def write(path: Path, doc: dict) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=1))
    tmp.replace(path)


def table(problems: list[dict]) -> str:
    def f(x: Any, spec: str) -> str:
        width = int(spec.split(".")[0])
        return format(x, spec) if isinstance(x, int | float) else "-".rjust(width)

    head = (
        f"{'problem':32s} {'verdict':9s} {'ms':>9s} {'eager':>9s} {'compile':>9s} {'vendor':>9s} "
        f"{'xEager':>7s} {'xComp':>7s} {'roof%':>6s} {'judgeMs':>8s} {'jxComp':>7s} {'s':>5s}"
    )
    rows = [head, "-" * len(head)]
    for p in problems:
        roof = p.get("roofline_fraction")
        jms = (p.get("judge_ms") or {}).get("candidate")
        rows.append(
            f"{p['id']:32s} {(p.get('verdict') or ('error' if p.get('error') else '-')):9s} "
            f"{f(p.get('candidate_ms'), '9.4f')} {f(p.get('eager_ms'), '9.4f')} {f(p.get('compiled_ms'), '9.4f')} "
            f"{f(p.get('vendor_ms'), '9.4f')} {f(p.get('speedup_vs_eager'), '7.2f')} "
            f"{f(p.get('speedup_vs_compiled'), '7.2f')} {f(roof * 100 if roof else None, '6.1f')} "
            f"{f(jms, '8.4f')} {f(p.get('judge_speedup_vs_compiled'), '7.2f')} {f(p.get('seconds'), '5.0f')}"
        )
    return "\n".join(rows)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--out", type=Path, default=Path(os.environ.get("OUT") or "out"), help="output folder ($OUT or out/)"
    )
    ap.add_argument("--only", default="", help="comma-separated stems or level/stem ids")
    ap.add_argument(
        "--shard", default="", help="K/N: every N-th problem starting at the K-th (split a run over calls)"
    )
    ap.add_argument("--skip-compile", action="store_true", help="no torch.compile baseline in the judge")
    ap.add_argument("--no-vendor", action="store_true", help="skip the vendor (cuBLAS / SDPA) timings")
    ap.add_argument(
        "--no-judge",
        action="store_true",
        help="quick look: in-process check and do_bench only (no verdicts, no compile baseline)",
    )
    ap.add_argument(
        "--seeds", type=int, default=1, help="benchmark-size correctness cases (timed calls are checked too)"
    )
    ap.add_argument(
        "--fuzz", type=int, default=3, help="fuzz cases (each new shape class costs Triton compiles)"
    )
    ap.add_argument(
        "--db", default="", help="store for the signed verdicts (default: OUT/verdicts.db; 'none': no store)"
    )
    ap.add_argument("--timed-calls", type=int, default=50)
    ap.add_argument("--warmup-calls", type=int, default=5)
    ap.add_argument(
        "--budget-s", type=float, default=480.0, help="start no new problem after this many seconds"
    )
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("KERNELWRIGHT_HOME", tempfile.mkdtemp(prefix="kw-bench-home-"))
    from kernelwright.settings import cache_dir

    # This process's torch.compile shares the judge's reference cache (JudgeConfig.reference_cache).
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(cache_dir() / "reference" / "inductor"))
    import torch

    cuda = torch.cuda.is_available()
    if not cuda:
        os.environ["TRITON_INTERPRET"] = "1"  # read when each @triton.jit is defined: before loading kernels
    started = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)
    ids = sorted(f"{p.parent.name}/{p.stem}" for lv in LEVELS for p in (LIBRARY / lv).glob("*.py"))
    if args.shard:
        k, n = (int(x) for x in args.shard.split("/"))
        if not 1 <= k <= n:
            log(f"gpu_library: bad --shard {args.shard} (use K/N with 1 <= K <= N)")
            return 2
        ids = ids[k - 1 :: n]
    if args.only:
        wanted = {w.strip() for w in args.only.split(",") if w.strip()}
        ids = [i for i in ids if i in wanted or i.split("/")[1] in wanted]
        unknown = wanted - set(ids) - {i.split("/")[1] for i in ids}
        if unknown:
            log(f"gpu_library: unknown problems in --only: {sorted(unknown)}")
            return 2
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        **environment(cuda),
        "device_kind": "cuda" if cuda else "cpu-dry-run",
    }
    doc["config"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    log(f"gpu_library: {doc['card']} | torch {doc['torch']} | triton {doc['triton']} | {len(ids)} problems")
    if cuda:
        t0 = time.monotonic()
        doc["ceilings"] = measure_ceilings()
        c = doc["ceilings"]
        log(
            f"ceilings ({time.monotonic() - t0:.1f} s): copy {c['copy_gbps']} GB/s, bf16 {c['bf16_tflops']} TFLOP/s, "
            f"tf32 {c['tf32_tflops']} TFLOP/s, fp32 {c['fp32_tflops']} TFLOP/s"
        )
    else:
        doc["ceilings"] = {}
        log("no GPU: a CPU dry run (judge through the interpreter, no timing, no ceilings)")
    doc["problems"] = []
    results = args.out / "results.json"
    store = None
    if not args.no_judge and args.db != "none":
        from kernelwright.store import Store

        store = Store.open(args.db or f"sqlite:///{(args.out / 'verdicts.db').resolve()}")
        doc["store"] = store.url
    for stem_id in ids:
        entry = new_entry(stem_id)
        doc["problems"].append(entry)
        if time.monotonic() - started > args.budget_s:
            entry["error"] = (
                f"skipped: the time budget of {args.budget_s:.0f} s was spent (rerun with --only)"
            )
            continue
        t0 = time.monotonic()
        try:
            measure_in_process(stem_id, entry, doc["ceilings"], cuda, args)
        except Exception as exc:  # noqa: BLE001 - one problem failing must not stop the run
            entry["error"] = f"in-process measurement: {type(exc).__name__}: {exc}"[:800]
            entry["traceback"] = traceback.format_exc()[-2000:]
        if cuda:
            torch.cuda.empty_cache()  # the tensors above are gone: leave the judge's workers the memory
        try:
            if not args.no_judge:
                run_judge(stem_id, entry, args, cuda, store)
        except Exception as exc:  # noqa: BLE001
            entry["error"] = ((entry["error"] or "") + f" | judge: {type(exc).__name__}: {exc}")[:1200]
            entry["traceback"] = traceback.format_exc()[-2000:]
        try:
            finish(entry, doc["ceilings"])
        except Exception as exc:  # noqa: BLE001
            entry["error"] = ((entry["error"] or "") + f" | summary: {type(exc).__name__}: {exc}")[:1200]
        entry.pop("_peak", None)
        entry["seconds"] = round(time.monotonic() - t0, 1)
        log(
            f"  {stem_id:32s} {entry.get('verdict') or 'error':9s} cand {entry.get('candidate_ms')} ms  "
            f"x{entry.get('speedup_vs_eager')} eager  x{entry.get('speedup_vs_compiled')} compile  "
            f"roof {entry.get('roofline_fraction')}  ({entry['seconds']} s)"
            + (f"  ERROR {entry['error'][:200]}" if entry.get("error") else "")
        )
        doc["summary"] = summarize(doc["problems"], started)
        write(results, doc)
    doc["summary"] = summarize(doc["problems"], started)
    write(results, doc)
    log("")
    log(table(doc["problems"]))
    s = doc["summary"]
    log(
        f"\n{s['accepted']}/{s['problems']} accepted, {s['errors']} errors; geomean (levels 1-2) "
        f"x{s['geomean_speedup_vs_eager_l12']} vs eager, x{s['geomean_speedup_vs_compiled_l12']} vs compile; "
        f"{s['elapsed_s']} s; wrote {results}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
