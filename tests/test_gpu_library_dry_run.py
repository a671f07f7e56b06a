"""benchmarks/gpu_library.py on the CPU: the dry run judges a library kernel, stores the verdict signed,
and writes a results document that `kernelwright report` renders (no timing without a GPU)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kernelwright.report import load_results, render_markdown
from kernelwright.store.signing import verify_record

ROOT = Path(__file__).resolve().parents[1]


def test_dry_run_judges_stores_signed_verdicts_and_reports(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks/gpu_library.py"),
            "--out",
            str(tmp_path),
            "--only",
            "relu,level1/softmax",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["device_kind"] == "cpu-dry-run" and [p["id"] for p in doc["problems"]] == [
        "level1/relu",
        "level1/softmax",
    ]
    for p in doc["problems"]:
        assert p["verdict"] == "accepted" and p["bench_check"] == "ok", p
        signed = p["signed_verdict"]
        assert signed["verdict"] == "accepted" and verify_record(signed)
        tampered = {**signed, "verdict": "rejected"}
        assert not verify_record(tampered)
    assert (tmp_path / "verdicts.db").is_file()
    text = render_markdown(load_results(tmp_path / "results.json"))
    assert "| level1/relu |" in text and "2/2 accepted" in text
