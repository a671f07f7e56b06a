#!/usr/bin/env python
"""Judge the whole adversarial corpus and print a markdown detection table.

For every file in tests/adversarial/ (cheat_*.py, legit_*.py): the THREATS.md rows it exercises,
the expected verdict/category from its header, what the judge returned, which layer caught it (a
static-guard code or the runtime's reason codes) and whether that matches. Files marked device=cuda
are listed as skipped where no GPU is present; on a GPU every file runs.

    python scripts/detection_table.py                     # everything this machine can run
    python scripts/detection_table.py --jobs 2 --json detection.json
    python scripts/detection_table.py --filter sandbox    # files whose name contains "sandbox"
    python scripts/detection_table.py --timed-calls 30 --no-compile-baseline   # quicker on a GPU

Exit status: 0 when every judged file matched its expectation (known judge bugs, marked
xfail-reason in the header, count as expected failures), 1 otherwise.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def load_corpus() -> Any:
    name = "kw_adversarial_corpus"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "adversarial" / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _cuda_available() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:  # pragma: no cover
        return False


def judge_one(corpus: Any, e: Any, cuda: bool, overrides: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "file": e.name,
        "threats": list(e.threats),
        "device": e.device,
        "layer": e.layer,
        "expected": f"{e.verdict}/{e.category}",
        "known_bug": e.xfail_reason or None,
    }
    if e.device == "cuda" and not cuda:
        row.update(got="-", caught_by="-", status="skipped (needs GPU)", seconds=0.0, reasons=[])
        return row
    from kernelwright.judge import judge

    started = time.monotonic()
    try:
        v = judge(e.problem_path(), e.path, corpus.corpus_config(e, **overrides))
    except Exception as exc:  # noqa: BLE001 - a judge crash is a row, not the end of the table
        row.update(
            got=f"judge raised {type(exc).__name__}",
            caught_by="-",
            status="FAIL",
            seconds=round(time.monotonic() - started, 1),
            reasons=[str(exc)[:300]],
        )
        return row
    got = f"{v.verdict}/{v.category or 'none'}"
    ok = got == row["expected"]
    if e.xfail_reason:
        status = "XPASS (bug fixed? drop xfail-reason)" if ok else "xfail (known judge bug)"
    else:
        status = "pass" if ok else "FAIL"
    if e.legit and v.verdict != "accepted":
        status = "FAIL (legit rejected)"
    row.update(
        got=got,
        caught_by=corpus.caught_by(v),
        status=status,
        seconds=round(time.monotonic() - started, 1),
        reasons=[f"{r.code} [{r.severity}] {r.message[:160]}" for r in v.reasons],
        ablation=v.correctness.ablation if v.correctness else None,
    )
    return row


def markdown(rows: list[dict[str, Any]]) -> str:
    out = [
        "| file | threats | expected | got | caught by | result |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        threats = ",".join(map(str, r["threats"])) or "-"
        out.append(
            f"| {r['file']} | {threats} | {r['expected']} | {r['got']} | {r['caught_by']} | {r['status']} |"
        )
    return "\n".join(out)


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    judged = [r for r in rows if not r["status"].startswith("skipped")]
    cheats = [r for r in judged if r["file"].startswith("cheat_")]
    legit = [r for r in judged if r["file"].startswith("legit_")]
    caught = [r for r in cheats if r["got"].startswith("rejected")]
    return {
        "files": len(rows),
        "judged": len(judged),
        "skipped_needs_gpu": len(rows) - len(judged),
        "cheats_judged": len(cheats),
        "cheats_rejected": len(caught),
        "cheats_rejected_by_guard": sum(1 for r in caught if r["caught_by"].startswith("guard")),
        "cheats_rejected_by_runtime": sum(1 for r in caught if r["caught_by"].startswith("runtime")),
        "cheats_accepted": [r["file"] for r in cheats if r["got"].startswith("accepted")],
        "legit_judged": len(legit),
        "legit_accepted": sum(1 for r in legit if r["got"].startswith("accepted")),
        "matched_expectation": sum(1 for r in judged if r["status"] == "pass"),
        "known_judge_bugs": [r["file"] for r in judged if r["status"].startswith("xfail")],
        "mismatches": [r["file"] for r in judged if r["status"].startswith(("FAIL", "XPASS"))],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", metavar="OUT", help="also write the rows and totals as JSON")
    ap.add_argument(
        "--filter", action="append", default=[], help="only files whose name contains this (repeatable)"
    )
    ap.add_argument(
        "--only",
        choices=("cpu", "cuda", "legit", "cheat", "guard", "runtime"),
        action="append",
        default=[],
        help="only files with this device, kind or layer (repeatable: all must hold)",
    )
    ap.add_argument("--jobs", type=int, default=1, help="files judged in parallel (each uses 2 processes)")
    ap.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    ap.add_argument(
        "--fast", action="store_true", help="fuzz=4 seeds=1 (fewer cases; some shape cheats pass)"
    )
    ap.add_argument("--timed-calls", type=int, default=None, help="GPU timed calls per candidate")
    ap.add_argument("--no-compile-baseline", action="store_true", help="skip the torch.compile baseline")
    args = ap.parse_args(argv)

    os.environ.setdefault("KERNELWRIGHT_MAX_WORKER_MB", "4000")
    corpus = load_corpus()
    cuda = _cuda_available() if args.device == "auto" else args.device == "cuda"
    overrides: dict[str, Any] = {"device": "cuda" if cuda else "cpu"}
    if args.fast:
        overrides.update(fuzz=4, seeds=1)
    if args.timed_calls:
        overrides.update(timed_calls=args.timed_calls, warmup_calls=min(10, max(2, args.timed_calls // 10)))
    if args.no_compile_baseline:
        overrides["compile_baseline"] = False

    def wanted(e: Any) -> bool:
        tags = {e.device, e.layer, "legit" if e.legit else "cheat"}
        return (not args.filter or any(f in e.name for f in args.filter)) and all(
            o in tags for o in args.only
        )

    exps = [e for e in corpus.expectations() if wanted(e)]
    started = time.monotonic()

    def one(e: Any) -> dict[str, Any]:
        row = judge_one(corpus, e, cuda, overrides)
        # progress on stderr, so a run cut short still shows what it judged
        print(
            f"[{row['seconds']:6.1f}s] {row['file']}: expected {row['expected']}, got {row['got']} "
            f"({row['caught_by']}) -> {row['status']}",
            file=sys.stderr,
            flush=True,
        )
        return row

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows = list(pool.map(one, exps))
    tot = totals(rows)
    tot["seconds"] = round(time.monotonic() - started, 1)
    tot["device"] = "cuda" if cuda else "cpu (Triton interpreter)"
    print(markdown(rows))
    print()
    print(
        f"**Totals** ({tot['device']}, {tot['seconds']} s): {tot['judged']} of {tot['files']} files judged "
        f"({tot['skipped_needs_gpu']} need a GPU). Cheats rejected: {tot['cheats_rejected']}/{tot['cheats_judged']} "
        f"(static guard {tot['cheats_rejected_by_guard']}, runtime {tot['cheats_rejected_by_runtime']}); "
        f"legit accepted: {tot['legit_accepted']}/{tot['legit_judged']}; matched expectation: "
        f"{tot['matched_expectation']}/{tot['judged']}."
    )
    if tot["cheats_accepted"]:
        print(f"Cheats ACCEPTED: {', '.join(tot['cheats_accepted'])}")
    if tot["known_judge_bugs"]:
        print(f"Known judge bugs (xfail): {', '.join(tot['known_judge_bugs'])}")
    if tot["mismatches"]:
        print(f"MISMATCHES: {', '.join(tot['mismatches'])}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "totals": tot}, indent=1))
    return 1 if tot["mismatches"] else 0


if __name__ == "__main__":
    sys.exit(main())
