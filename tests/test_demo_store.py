"""`kernelwright demo` records into a throwaway store: a demo never feeds the knowledge base of real runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kernelwright.cli import app
from kernelwright.verdict import Correctness, Environment, Verdict, sha256_text

ROOT = Path(__file__).resolve().parent.parent


def test_demo_leaves_the_default_store_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kernelwright.judge import pipeline
    from kernelwright.store import Store

    monkeypatch.setenv("KERNELWRIGHT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KERNELWRIGHT_DB", raising=False)

    def fake_judge(problem: object, candidate: Path, config: object = None, repeat: int = 1) -> Verdict:
        return Verdict(
            problem="level1/relu",
            candidate=str(candidate),
            candidate_sha256=sha256_text(Path(candidate).read_text()),
            verdict="accepted",
            correctness=Correctness(fuzz_cases=1),
            environment=Environment(device="cpu", interpreter=True, torch="2", triton="3", python="3.11"),
        )

    monkeypatch.setattr(pipeline, "judge", fake_judge)
    result = CliRunner().invoke(
        app, ["demo", "--examples", str(ROOT / "examples"), "--recording", str(tmp_path / "none")]
    )
    assert result.exit_code == 0, result.output
    assert "throwaway store" in result.output
    store = Store.open()  # the default store of this home
    try:
        assert list(store.iter_records(include_rejected=True)) == []
    finally:
        store.close()
