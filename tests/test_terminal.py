"""The terminal: a crash verdict prints no error figures; verify's spinner only on a terminal."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from kernelwright.cli.progress import spinner
from kernelwright.cli.render import verdict_table
from kernelwright.verdict import Correctness, Environment, Reason, Verdict

ENV = Environment(device="cpu", interpreter=True, torch="2", triton="3", python="3.11")


def _text(v: Verdict) -> str:
    out = io.StringIO()
    Console(file=out, width=200).print(verdict_table(v))
    return out.getvalue()


def test_crash_verdict_prints_no_error_figures() -> None:
    crash = Verdict(
        problem="level1/relu",
        candidate="c.py",
        candidate_sha256="0" * 64,
        verdict="rejected",
        category="crash-or-timeout",
        reasons=[
            Reason(code="KW-X003", category="crash-or-timeout", message="forward raised on case fuzz:0")
        ],
        correctness=Correctness(fuzz_cases=1),
        environment=ENV,
    )
    text = _text(crash)
    assert "max abs" not in text and "no error figures" in text
    wrong = crash.model_copy(
        update={"category": "wrong-output", "correctness": Correctness(fuzz_cases=2, max_abs_err=1.0)}
    )
    assert "max abs 1" in _text(wrong)


def test_spinner_is_silent_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with spinner("judging x.py", "phases"):
        pass
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_version_names_the_package_and_toolchain_without_loading_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from kernelwright.cli.app import main\n"
        "sys.argv = ['kernelwright', '--version']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "assert 'torch' not in sys.modules, 'the version line imported torch'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    line = out.stdout.strip()
    assert line.startswith("kernelwright 0.") and "torch 2." in line and "triton " in line
