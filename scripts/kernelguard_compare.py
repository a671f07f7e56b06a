#!/usr/bin/env python
"""Dev-only: compare kernelwright with kernelguard (a rule-based kernel-hack detector on PyPI) on the corpus.

kernelguard is NOT a kernelwright dependency. Install it yourself (`pip install kernelguard`); it is
a single module whose library entry point is `kernelguard.analyze_code(source) -> dict` with
`classification` in {hacked, suspicious, low_confidence, valid} and the matched rule names in
`matched_patterns`. Its default profile looks for GPU MODE's `custom_kernel` entry point; KernelBench
candidates define `ModelNew.forward`, so the `sol-execbench` profile (entry points custom_kernel,
kernel, forward, run) is used unless --profile says otherwise.

For every corpus file it prints, as a markdown table: kernelguard's classification and rules, our
static guard's hard codes, and our verdict. "Our verdict" is read from a detection-table JSON
(--verdicts, from `scripts/detection_table.py --json`), or computed now with --judge, or else shown
as the file's expected verdict (marked "expected").

    python scripts/kernelguard_compare.py
    python scripts/kernelguard_compare.py --verdicts detection.json
    python scripts/kernelguard_compare.py --judge --jobs 2
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FLAGGED = ("hacked", "suspicious")


def _load(name: str, path: Path) -> Any:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_kernelguard(profile: str) -> Any:
    try:
        import kernelguard  # type: ignore[import-not-found]
    except ImportError as exc:
        raise SystemExit(
            "kernelguard is not installed (it is a dev-only comparison, not a kernelwright dependency): "
            f"pip install kernelguard  [{exc}]"
        ) from None
    if not hasattr(kernelguard, "analyze_code"):
        raise SystemExit(
            f"kernelguard {getattr(kernelguard, '__version__', '?')} has no analyze_code(); "
            "this script was written against kernelguard 0.3.x"
        )
    if hasattr(kernelguard, "configure_runtime"):
        kernelguard.configure_runtime(profile=profile)
    return kernelguard


def kernelguard_row(kg: Any, source: str) -> tuple[str, list[str]]:
    result = kg.analyze_code(source, compute_structural_hash=False)
    rules = sorted(
        {str(m.get("pattern") or m.get("rule") or "?") for m in result.get("matched_patterns", [])}
    )
    return str(result.get("classification", "?")), rules


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="sol-execbench", help="kernelguard runtime profile")
    ap.add_argument(
        "--verdicts", metavar="JSON", help="detection_table.py --json output to read our verdicts from"
    )
    ap.add_argument("--judge", action="store_true", help="run our judge now (slow: the whole corpus)")
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args(argv)

    kg = load_kernelguard(args.profile)
    corpus = _load("kw_adversarial_corpus", ROOT / "tests" / "adversarial" / "corpus.py")
    from kernelwright.guard import scan

    ours: dict[str, str] = {}
    if args.verdicts:
        data = json.loads(Path(args.verdicts).read_text())
        ours = {r["file"]: r["got"] for r in data["rows"] if r.get("got") not in (None, "-")}
    elif args.judge:
        table = _load("kw_detection_table", ROOT / "scripts" / "detection_table.py")
        import os
        from concurrent.futures import ThreadPoolExecutor

        os.environ.setdefault("KERNELWRIGHT_MAX_WORKER_MB", "4000")
        cuda = table._cuda_available()
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            rows = list(
                pool.map(
                    lambda e: table.judge_one(corpus, e, cuda, {"device": "cuda" if cuda else "cpu"}),
                    corpus.expectations(),
                )
            )
        ours = {r["file"]: r["got"] for r in rows if r["got"] != "-"}

    print(
        f"| file | threats | kernelguard ({args.profile}) | kernelguard rules | our static guard | our verdict |"
    )
    print("|---|---|---|---|---|---|")
    stats = {
        "cheats": 0,
        "legit": 0,
        "kg_flag": 0,
        "kg_any": 0,
        "guard": 0,
        "ours": 0,
        "kg_fp": 0,
        "kg_any_fp": 0,
        "guard_fp": 0,
        "ours_fp": 0,
    }
    for e in corpus.expectations():
        source = e.path.read_text(encoding="utf-8")
        cls, rules = kernelguard_row(kg, source)
        hard = sorted({f.code for f in scan(source, "candidate.py") if f.hard})
        verdict = ours.get(e.name)
        shown = verdict if verdict else f"{e.verdict}/{e.category} (expected)"
        rejected = (verdict or f"{e.verdict}/").startswith("rejected")
        print(
            f"| {e.name} | {','.join(map(str, e.threats)) or '-'} | {cls} | {', '.join(rules) or '-'} | "
            f"{', '.join(hard) or '-'} | {shown} |"
        )
        if e.legit:
            stats["legit"] += 1
            stats["kg_fp"] += cls in FLAGGED
            stats["kg_any_fp"] += cls != "valid"
            stats["guard_fp"] += bool(hard)
            stats["ours_fp"] += rejected
        else:
            stats["cheats"] += 1
            stats["kg_flag"] += cls in FLAGGED
            stats["kg_any"] += cls != "valid"
            stats["guard"] += bool(hard)
            stats["ours"] += rejected
    src = "detection table" if args.verdicts else ("judged now" if args.judge else "expected, not judged")
    print()
    print(
        f"**Cheats ({stats['cheats']})**: kernelguard flags {stats['kg_flag']} as hacked/suspicious "
        f"({stats['kg_any']} incl. low_confidence); our static guard rejects {stats['guard']}; our verdict "
        f"({src}) rejects {stats['ours']}."
    )
    print(
        f"**Legit ({stats['legit']})**: kernelguard flags {stats['kg_fp']} as hacked/suspicious "
        f"({stats['kg_any_fp']} incl. low_confidence); our static guard rejects {stats['guard_fp']}; our "
        f"verdict rejects {stats['ours_fp']}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
