"""`kernelwright repro`: one judged case again, in the sandbox, with the diff as numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import kernels as K
from typer.testing import CliRunner

from kernelwright.cli import app
from kernelwright.integrations.repro import parse_case, render

ROOT = Path(__file__).resolve().parent.parent
RELU = ROOT / "src" / "kernelwright" / "problems" / "level1" / "relu.py"


def test_repro_rebuilds_the_failing_fuzz_case(tmp_path: Path) -> None:
    """A kernel wrong only when n is a multiple of 37: fuzz:2 is relu's (1, 37) case."""
    cand = tmp_path / "wrong_at_37.py"
    cand.write_text(K.CORRECT.replace("tl.maximum(x, 0.0)", "tl.maximum(x, 0.0) + (n % 37 == 0) * 1.0"))
    env = {**os.environ, "KERNELWRIGHT_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [sys.executable, "-m", "kernelwright", "repro", str(RELU), str(cand), "--case", "fuzz:2", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=ROOT,
    )
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    assert result["schema"] == "kernelwright.repro/1" and result["case"] == "fuzz:2" and not result["ok"]
    assert result["builds_inputs_with"] == "get_fuzz_inputs(2)"
    assert result["inputs"] == [{"shape": [1, 37], "dtype": "float32"}]
    row = result["outputs"][0]
    assert row["where"] == "case fuzz:2" and not row["ok"]
    assert row["max_abs_err"] == pytest.approx(1.0) and row["bad_elements"] == 37
    assert row["first_bad"][0] == [0, 0]
    text = render(result)
    assert "inputs: arg0: float32[1, 37]" in text and "WRONG: 37 of 37 elements differ" in text


def test_repro_bad_input_exits_2(tmp_path: Path) -> None:
    assert parse_case("fuzz:3#0") == ("fuzz", 3)
    result = CliRunner().invoke(app, ["repro", str(RELU), str(RELU), "--case", "fuzz3"])
    assert result.exit_code == 2 and "--case must look like fuzz:3" in result.stderr
    result = CliRunner().invoke(app, ["repro", str(RELU), str(tmp_path / "none.py"), "--case", "fuzz:0"])
    assert result.exit_code == 2 and "candidate file not found" in result.stderr
