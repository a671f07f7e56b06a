"""Options are validated by the config model (issue 17 #6): bad values and unknown keys are exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kernelwright.judge import JudgeConfig

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = ROOT / "src/kernelwright/problems/level1/relu.py"
CANDIDATE = ROOT / "examples/relu_correct.py"


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--seeds", "0", "--fuzz", "0"], "at least one checked case"),
        (["--seeds", "-3"], "seeds"),
        (["--fuzz", "-1"], "fuzz"),
        (["--device", "gpu"], "device"),
        (["--timeout", "0"], "timeout"),
    ],
)
def test_bad_flags_are_one_line_and_exit_2(flags: list[str], needle: str) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "kernelwright", "verify", str(PROBLEM), str(CANDIDATE), "--no-store", *flags],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("kernelwright: ") and needle in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("judge = 3\n", "must be a table"),
        ("[judge]\nseed = 3\n", "seed"),
        ("[judge]\nseeds = 'x'\n", "seeds"),
    ],
)
def test_bad_config_files_are_exit_2(tmp_path: Path, toml: str, needle: str) -> None:
    cfg = tmp_path / "kw.toml"
    cfg.write_text(toml)
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "kernelwright",
            "verify",
            str(PROBLEM),
            str(CANDIDATE),
            "--no-store",
            "--config",
            str(cfg),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and needle in r.stderr, r.stderr


def test_the_model_refuses_unknown_keys_and_keeps_good_ones() -> None:
    with pytest.raises(ValueError, match="Extra inputs"):
        JudgeConfig(seed=3)  # type: ignore[call-arg]
    assert JudgeConfig(seeds=0, fuzz=1).fuzz == 1
