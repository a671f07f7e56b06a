"""`kernelwright optimize` end to end on the CPU: a scripted model behind local servers that speak the
real OpenAI and Anthropic protocols, the real judge, the store, record/replay, and no leaked key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import kernels as K
from fakes.llm_server import FakeLLMServer
from typer.testing import CliRunner

from kernelwright.cli import app

ROOT = Path(__file__).resolve().parent.parent
RELU = ROOT / "src" / "kernelwright" / "problems" / "level1" / "relu.py"
KEY = "sk-test-DO-NOT-LEAK-123"
FAST_JUDGE = ["--fuzz", "3", "--seeds", "1"]  # 4 cases on the CPU interpreter instead of 13


def cli(args: list[str], home: Path, timeout: float = 480) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KERNELWRIGHT_HOME": str(home),
        "OPENAI_API_KEY": KEY,
        "ANTHROPIC_API_KEY": KEY,
        "COLUMNS": "200",
    }
    env.pop("KERNELWRIGHT_DB", None)
    return subprocess.run(
        [sys.executable, "-c", "from kernelwright.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def optimize(
    server: FakeLLMServer, kind: str, out: Path, home: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    return cli(
        [
            "optimize",
            str(RELU),
            "--provider",
            kind,
            "--base-url",
            server.base_url,
            "--model",
            server.model,
            "--max-turns",
            "8",
            "--out",
            str(out),
            "--retry-delay",
            "0.01",
            *FAST_JUDGE,
            *extra,
        ],
        home,
    )


def assert_no_key(*texts: str, folders: tuple[Path, ...] = ()) -> None:
    for text in texts:
        assert KEY not in text
    for folder in folders:
        for file in folder.rglob("*"):
            if file.is_file():
                assert KEY.encode() not in file.read_bytes(), f"API key leaked into {file}"


def trajectory(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "trajectory.jsonl").read_text().splitlines()]


def verify(best: Path, home: Path) -> dict:
    proc = cli(["verify", str(RELU), str(best), "--json", "--no-store", *FAST_JUDGE], home)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.timeout(900)  # four to five real judgements: minutes on a loaded CPU
def test_openai_session_with_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    steps = [
        {"text": K.SYNTAX_ERROR_REPLY},
        {"text": K.WRONG_REPLY},
        {"text": K.CHEAT_REPLY},
        {"status": 429, "retry_after": "0"},
        {"status": 500},
        {"text": K.truncated_reply(), "finish": "length"},
        {"text": K.CORRECT_REPLY},
    ]
    out, home, db = tmp_path / "out", tmp_path / "home", tmp_path / "kw.db"
    with FakeLLMServer("openai", steps) as server:
        proc = optimize(server, "openai", out, home, "--db", f"sqlite:///{db}")
    assert proc.returncode == 0, proc.stderr
    assert len(server.requests) == 7  # 5 replies + the 429 and the 500, retried by us (SDK retries off)

    # what the model saw: each prompt carries the previous verdict as feedback
    seen = [FakeLLMServer.prompt_text(r) for r in server.served()]
    assert "class ModelNew" in seen[0] and "Last verdict" not in seen[0]
    assert "compile-error" in seen[1] and "expected ':'" in seen[1]  # the SyntaxError text
    assert "wrong-output" in seen[2] and "KW-O001" in seen[2]
    assert "reference-passthrough" in seen[3]
    assert "parse-error" in seen[4] and "cut off" in seen[4]

    lines = trajectory(out)
    assert [line["outcome"] for line in lines] == [
        "compile-error",
        "wrong-output",
        "passthrough",
        "parse-error",
        "accepted",
    ]
    assert lines[3]["retries"] == 2 and lines[3]["candidate"] is None and lines[3]["verdict"] is None
    assert all(line["tokens_in"] > 0 and line["tokens_out"] > 0 for line in lines)
    assert lines[1]["prompt"][0]["role"] == "system" and lines[1]["verdict"]["category"] == "wrong-output"

    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "accepted" and summary["best"]["turn"] == 5
    assert summary["retries"] == 2 and summary["attempts"] == 5
    assert summary["failures"] == {"compile-error": 1, "parse-error": 1, "passthrough": 1, "wrong-output": 1}
    assert summary["wrong_output_codes"] == {"KW-O001": 1}
    assert summary["tokens"]["total"] == sum(line["tokens_in"] + line["tokens_out"] for line in lines)
    assert verify(out / "best.py", home)["verdict"] == "accepted"

    from kernelwright.store import Store

    monkeypatch.setenv("KERNELWRIGHT_HOME", str(home))  # reads trust this home's key, which signed them
    store = Store.open(f"sqlite:///{db}")
    run = store.get_run(summary["run_id"])
    assert run is not None and run["kind"] == "optimize" and run["records"] == 4 and run["tokens"] > 0
    records = list(store.iter_records(include_rejected=True))
    assert {r["origin"] for r in records} == {"agent"} and {r["model"] for r in records} == {server.model}
    turns = sorted(r["verdict_json"]["provenance"]["turn"] for r in records)
    assert turns == [1, 2, 3, 5]
    store.close()
    assert_no_key(
        proc.stdout, proc.stderr, json.dumps(records), json.dumps(run), folders=(out, home, tmp_path)
    )


@pytest.mark.timeout(900)  # four to five real judgements: minutes on a loaded CPU
def test_anthropic_session_with_retries(tmp_path: Path) -> None:
    steps = [
        {"text": K.SYNTAX_ERROR_REPLY},
        {"status": 429},
        {"status": 529},
        {"text": K.WRONG_REPLY},
        {"status": 500},
        {"drop": True, "text": K.CORRECT_REPLY},
        {"text": K.CORRECT_REPLY},
    ]
    out, home = tmp_path / "out", tmp_path / "home"
    with FakeLLMServer("anthropic", steps) as server:
        proc = optimize(server, "anthropic", out, home, "--no-store")
    assert proc.returncode == 0, proc.stderr
    seen = [FakeLLMServer.prompt_text(r) for r in server.served()]
    assert len(seen) == 3 and all(r["path"] == "/v1/messages" for r in server.requests)
    assert "compile-error" in seen[1] and "expected ':'" in seen[1]
    assert "wrong-output" in seen[2]
    lines = trajectory(out)
    assert [line["retries"] for line in lines] == [0, 2, 2]
    assert any("529" in e for e in lines[1]["retry_errors"]) and any(
        "stream ended" in e for e in lines[2]["retry_errors"]
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["retries"] == 4 and summary["provider"] == "anthropic" and summary["run_id"] is None
    assert (out / "best.py").read_text() == K.CORRECT
    assert_no_key(proc.stdout, proc.stderr, folders=(out, home))


def test_record_and_replay_offline(tmp_path: Path) -> None:
    """--record writes a session that --provider replay reproduces with no server at all."""
    steps = [{"status": 500}, {"text": K.CORRECT_REPLY}]  # multi-turn replay: the committed demo test
    rec, home = tmp_path / "rec", tmp_path / "home"
    with FakeLLMServer("openai", steps) as server:
        first = optimize(server, "openai", tmp_path / "a", home, "--no-store", "--record", str(rec))
    assert first.returncode == 0, first.stderr
    assert sorted(p.name for p in rec.iterdir()) == ["session.json", "t001-s00.json"]
    replay = cli(
        [
            "optimize",
            str(RELU),
            "--replay",
            str(rec),
            "--out",
            str(tmp_path / "b"),
            "--no-store",
            *FAST_JUDGE,
            "--json",
        ],
        home,
    )
    assert replay.returncode == 0, replay.stderr
    summary = json.loads(replay.stdout)
    assert summary["provider"] == "replay" and summary["model"] == server.model
    assert summary["replay"]["served"] == 1 and summary["replay"]["diverged"] == []
    assert [line["outcome"] for line in trajectory(tmp_path / "b")] == ["accepted"]
    recorded = json.loads((rec / "t001-s00.json").read_text())
    assert recorded["reply"]["text"] == trajectory(tmp_path / "b")[0]["reply"]
    assert summary["retries"] == 1  # the recorded 500, replayed as a counted retry
    assert_no_key(first.stdout, first.stderr, replay.stdout, folders=(rec, tmp_path / "a", tmp_path / "b"))


def test_committed_demo_recording_replays(tmp_path: Path) -> None:
    demo = ROOT / "recordings" / "relu-demo"
    assert "not a real model" in (demo / "README.md").read_text()
    proc = cli(
        [
            "optimize",
            str(RELU),
            "--provider",
            "replay",
            "--replay",
            str(demo),
            "--out",
            str(tmp_path / "x"),
            "--no-store",
            *FAST_JUDGE,
            "--json",
        ],
        tmp_path / "home",
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["status"] == "accepted" and summary["turns"] == 3
    assert summary["failures"] == {"compile-error": 1, "wrong-output": 1}
    assert (tmp_path / "x" / "best.py").is_file()


def test_suite_runs_every_problem_and_reports_fast_p(tmp_path: Path) -> None:
    problems = tmp_path / "problems" / "level1"
    problems.mkdir(parents=True)
    (problems / "relu.py").write_text(RELU.read_text())
    out, home = tmp_path / "suite", tmp_path / "home"
    with FakeLLMServer("openai", [{"text": K.WRONG_REPLY}, {"text": K.CORRECT_REPLY}]) as server:
        proc = cli(
            [
                "optimize-suite",
                str(tmp_path / "problems"),
                "--base-url",
                server.base_url,
                "--model",
                server.model,
                "--out",
                str(out),
                "--no-store",
                "--retry-delay",
                "0.01",
                *FAST_JUDGE,
            ],
            home,
        )
    assert proc.returncode == 0, proc.stderr
    body = json.loads((out / "suite_summary.json").read_text())
    assert body["summary"]["solved"] == 1 and body["summary"]["fast_p"]["fast_0_vs_eager"] == 1.0
    assert body["summary"]["failures"] == {"wrong-output": 1}
    assert (out / "level1__relu" / "best.py").is_file()
    assert "fast_0=1.00" in proc.stdout and "wrong-output: 1" in proc.stdout
    assert_no_key(proc.stdout, proc.stderr, folders=(out,))


@pytest.mark.parametrize(
    "args,message",
    [
        (["optimize", "/no/such/problem.py", "--model", "m"], "problem file not found"),
        (["optimize", str(RELU), "--provider", "nope", "--model", "m", "--no-store"], "unknown provider"),
        (["optimize", str(RELU), "--provider", "openai", "--no-store"], "--model is required"),
        (["optimize", str(RELU), "--provider", "replay", "--no-store"], "needs --replay"),
        (
            ["optimize", str(RELU), "--model", "m", "--strategy", "greedy", "--no-store"],
            "bad agent setting strategy",
        ),
        (
            ["optimize", str(RELU), "--model", "m", "--samples", "0", "--no-store"],
            "bad agent setting samples",
        ),
    ],
)
def test_bad_input_exits_2(args: list[str], message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1 and KEY not in result.output


def test_malformed_config_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "kw.toml"
    bad.write_text("[agent]\nsamples = 'many'\n")
    result = CliRunner().invoke(
        app, ["optimize", str(RELU), "--model", "m", "--config", str(bad), "--no-store"]
    )
    assert result.exit_code == 2 and "bad agent setting samples" in result.stderr
    bad.write_text("[agent\n")
    result = CliRunner().invoke(
        app, ["optimize", str(RELU), "--model", "m", "--config", str(bad), "--no-store"]
    )
    assert result.exit_code == 2 and "not valid TOML" in result.stderr


def test_broken_problem_exits_2_before_any_request(tmp_path: Path) -> None:
    bad = tmp_path / "broken.py"
    bad.write_text(RELU.read_text() + "\nraise RuntimeError('broken on purpose')\n")
    with FakeLLMServer("openai", [{"text": K.CORRECT_REPLY}]) as server:
        result = CliRunner().invoke(
            app,
            [
                "optimize",
                str(bad),
                "--base-url",
                server.base_url,
                "--model",
                "m",
                "--no-store",
                "--out",
                str(tmp_path / "out"),
            ],
        )
        assert server.requests == []
    assert result.exit_code == 2 and "broken on purpose" in result.stderr


def test_fuzz_failure_names_the_case_shape_and_the_store_keeps_the_answer_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16's acceptance run: the first kernel is wrong only on the (1, 37) fuzz case; the second
    request names that case and its shape. The store already holds an accepted kernel for this very
    problem: it is not in any prompt (the answer would leak)."""
    from kernelwright.store import Store
    from kernelwright.verdict import Correctness, Environment, Verdict, sha256_text

    home, db = tmp_path / "home", tmp_path / "kw.db"
    answer = K.CORRECT.replace("relu_kernel", "STORED_ANSWER_kernel")
    monkeypatch.setenv("KERNELWRIGHT_HOME", str(home))  # the CLI below signs and reads with this key
    store = Store.open(f"sqlite:///{db}")
    store.record_verdict(
        Verdict(
            problem="level1/relu",
            candidate="answer.py",
            candidate_sha256=sha256_text(answer),
            verdict="accepted",
            correctness=Correctness(trials=1, fuzz_cases=3),
            environment=Environment(device="cpu", interpreter=True, torch="2", triton="3", python="3.11"),
        ),
        problem_source=RELU.read_text(),
        candidate_source=answer,
        origin={"kind": "file"},
    )
    store.close()
    wrong_at_37 = K.CORRECT.replace("tl.maximum(x, 0.0)", "tl.maximum(x, 0.0) + (n % 37 == 0) * 1.0")
    steps = [{"text": K.reply(wrong_at_37)}, {"text": "I give up."}]
    with FakeLLMServer("openai", steps) as server:
        proc = optimize(
            server, "openai", tmp_path / "out", home, "--db", f"sqlite:///{db}", "--max-turns", "2"
        )
    assert proc.returncode == 1, proc.stderr
    first, second = (FakeLLMServer.prompt_text(r) for r in server.served())
    assert "STORED_ANSWER" not in first + second
    last = second.split("## Last verdict")[1].split("## The candidate")[0]
    assert "KW-O001" in last and "case fuzz:2 (get_fuzz_inputs(2): arg0: float32[1, 37])" in last
