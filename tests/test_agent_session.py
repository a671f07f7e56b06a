"""The loop in-process with a stand-in judge that reports GPU-style timings: strategies, parallel
samples, stop conditions and budgets, against the local OpenAI-protocol server."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fakes.llm_server import FakeLLMServer

from kernelwright.agent import loop as loop_mod
from kernelwright.agent.config import AgentConfig
from kernelwright.agent.loop import Session
from kernelwright.judge import JudgeConfig
from kernelwright.problem import ProblemSpec
from kernelwright.tasks.describe import HardwareCard, TaskInfo
from kernelwright.verdict import Correctness, Environment, Reason, Timing, Verdict, sha256_text

ROOT = Path(__file__).resolve().parent.parent
RELU = ROOT / "src" / "kernelwright" / "problems" / "level1" / "relu.py"
GPU = Environment(device="NVIDIA H100 80GB HBM3", interpreter=False, torch="2", triton="3", python="3.11")


def kernel(tag: str) -> str:
    """A reply whose file carries a marker the stand-in judge reads: SPEED=1.3 or BAD."""
    return f"Plan.\n```python\n# {tag}\nimport torch\nfrom torch import nn\n\n\nclass ModelNew(nn.Module):\n    pass\n```\n"


def fake_judge(spec: ProblemSpec, path: Path, cfg: JudgeConfig) -> Verdict:
    source = Path(path).read_text()
    base = {
        "problem": spec.id,
        "candidate": str(path),
        "candidate_sha256": sha256_text(source),
        "correctness": Correctness(trials=5, fuzz_cases=8),
        "environment": GPU,
    }
    m = re.search(r"SPEED=([\d.]+)", source)
    if m is None:
        return Verdict(
            **base,
            verdict="rejected",
            category="wrong-output",
            reasons=[Reason(code="KW-O001", category="wrong-output", message="case fuzz:3: 7 of 9 differ")],
        )
    s = float(m.group(1))
    timing = Timing(
        candidate_ms=1 / s,
        eager_ms=1.2,
        compiled_ms=1.0,
        speedup_vs_eager=1.2 * s,
        speedup_vs_compiled=s,
        samples=100,
        spread=0.02,
        floor_ms=0.25,
        roofline_fraction=0.25 * s,
    )
    return Verdict(**base, verdict="accepted", timing=timing)


@pytest.fixture(autouse=True)
def _fast_describe(monkeypatch: pytest.MonkeyPatch) -> None:
    """A canned task and an H100 card instead of the describing subprocess."""

    def describe(spec: ProblemSpec, device: str = "auto", fuzz: int = 8) -> tuple[TaskInfo, HardwareCard]:
        task = TaskInfo(
            spec.id,
            spec.title,
            spec.source,
            inputs=[{"shape": [8192, 4096], "dtype": "float32"}],
            init_inputs=[],
            fuzz=[[{"shape": [3, 4097], "dtype": "float32"}]],
        )
        card = HardwareCard(
            device="NVIDIA H100 80GB HBM3",
            interpreter=False,
            sms=132,
            l2_bytes=50 * 2**20,
            bandwidth=3.0e12,
            flops=7.0e14,
        )
        return task, card

    monkeypatch.setattr(loop_mod, "describe_for_prompt", describe)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-DO-NOT-LEAK-123")


def run(server: FakeLLMServer, tmp_path: Path, **cfg: object) -> tuple[int, dict]:
    config = AgentConfig(
        provider="openai", model=server.model, base_url=server.base_url, retry_base_delay=0.001, **cfg
    )  # type: ignore[arg-type]
    session = Session(RELU, tmp_path / "out", config, JudgeConfig(), None, judge_fn=fake_judge)
    result = session.run()
    return result.exit_code, result.summary


def test_refine_reverts_then_reaches_target(tmp_path: Path) -> None:
    steps = [{"text": kernel("SPEED=1.01")}, {"text": kernel("SPEED=0.5")}, {"text": kernel("SPEED=1.3")}]
    with FakeLLMServer("openai", steps) as server:
        code, summary = run(server, tmp_path, target=1.05, patience=5)
    assert code == 0 and summary["status"] == "target-reached" and summary["turns"] == 3
    assert summary["best"]["speedup"] == pytest.approx(1.3)
    assert "SPEED=1.3" in (tmp_path / "out" / "best.py").read_text()
    assert summary["failures"] == {"slower-than-baseline": 1}
    second, third = (FakeLLMServer.prompt_text(r) for r in server.served()[1:])
    assert "GPU: NVIDIA H100" in second and "132" in second and "3000 GB/s" in second
    assert "Current best kernel (turn 1" in second and "1.01x vs torch.compile" in second
    assert (
        "search reverted" in third
        and "SPEED=1.01" in third
        and "SPEED=0.5" not in third.split("## Attempt log")[0]
    )
    assert "slower-than-baseline" in third and "0.50x" in third


def test_best_of_n_runs_samples_in_parallel(tmp_path: Path) -> None:
    steps = [
        {"text": kernel("BAD")},
        {"text": kernel("SPEED=1.01")},
        {"text": kernel("BAD")},
        {"text": kernel("BAD")},
        {"text": kernel("SPEED=1.2")},
        {"text": kernel("BAD")},
    ]
    with FakeLLMServer("openai", steps) as server:
        _, summary = run(server, tmp_path, strategy="best-of-n", samples=3, patience=5)
    assert summary["status"] == "target-reached" and summary["turns"] == 2 and summary["attempts"] == 6
    lines = [json.loads(x) for x in (tmp_path / "out" / "trajectory.jsonl").read_text().splitlines()]
    assert [(x["turn"], x["sample"]) for x in lines] == [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)]
    assert summary["failures"] == {"wrong-output": 4} and summary["wrong_output_codes"] == {"KW-O001": 4}
    round2 = [FakeLLMServer.prompt_text(r) for r in server.served()[3:]]
    assert all("Current best kernel" in p and "fix it" not in p for p in round2)


def test_evolve_prompts_with_two_parents(tmp_path: Path) -> None:
    steps = [
        {"text": kernel("SPEED=1.01")},
        {"text": kernel("SPEED=1.02")},
        {"text": kernel("SPEED=1.5")},
        {"text": kernel("SPEED=1.5")},
    ]
    with FakeLLMServer("openai", steps) as server:
        _, summary = run(server, tmp_path, strategy="evolve", samples=2, patience=5)
    assert summary["status"] == "target-reached" and summary["turns"] == 2
    round2 = [FakeLLMServer.prompt_text(r) for r in server.served()[2:]]
    assert all("## Parents" in p and "SPEED=1.01" in p and "SPEED=1.02" in p for p in round2)
    lines = [json.loads(x) for x in (tmp_path / "out" / "trajectory.jsonl").read_text().splitlines()]
    assert all(len(x["parents"]) == 2 for x in lines[2:])


def test_plateau_and_roofline(tmp_path: Path) -> None:
    with FakeLLMServer("openai", [{"text": kernel("SPEED=1.01")}, {"text": kernel("SPEED=1.0")}]) as server:
        _, summary = run(server, tmp_path / "a", target=2.0, patience=1)
    assert summary["status"] == "plateau" and summary["best"] is not None
    with FakeLLMServer("openai", [{"text": kernel("SPEED=3.9")}]) as server:
        _, summary = run(server, tmp_path / "b", target=9.0)
    assert summary["status"] == "roofline"


def test_budgets(tmp_path: Path) -> None:
    with FakeLLMServer("openai", [{"text": kernel("BAD")}] * 5) as server:
        _, summary = run(server, tmp_path / "tokens", max_tokens=50)
    assert summary["status"] == "no-accepted-kernel" and "max-tokens" in summary["stop_reason"]
    assert summary["turns"] == 1 and not (tmp_path / "tokens" / "out" / "best.py").exists()
    with FakeLLMServer("openai", [{"text": kernel("BAD")}] * 5) as server:
        _, summary = run(server, tmp_path / "cost", max_cost=0.01, price_in=100.0, price_out=100.0)
    assert "max-cost" in summary["stop_reason"] and summary["cost_usd"] > 0.01 and summary["priced"]
    with FakeLLMServer("openai", [{"text": kernel("BAD")}] * 5) as server:
        _, summary = run(server, tmp_path / "turns", max_turns=2)
    assert summary["turns"] == 2 and "max-turns" in summary["stop_reason"]


def test_fatal_provider_error_stops_with_exit_1(tmp_path: Path) -> None:
    with FakeLLMServer("openai", [{"status": 401, "message": "invalid api key"}]) as server:
        code, summary = run(server, tmp_path)
    assert code == 1 and summary["status"] == "provider-error" and "401" in summary["stop_reason"]
    assert summary["failures"] == {"provider-error": 1} and summary["retries"] == 0
    assert not (tmp_path / "out" / "best.py").exists()


def _store_with_relu_kernels(tmp_path: Path):
    """A store holding an accepted kernel for relu itself and one for a relu at other shapes, both
    verified on an H100 (another machine than this one), and two lessons."""
    from kernelwright.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'kw.db'}")
    for name, source, marker in (
        ("relu.py", RELU.read_text(), "# SPEED=1.2 SAME-PROBLEM ANSWER"),
        ("relu_wide.py", RELU.read_text().replace("8192, 4096", "1024, 65536"), "# SPEED=1.2 WIDE RELU"),
    ):
        problem = tmp_path / "problems" / name
        problem.parent.mkdir(exist_ok=True)
        problem.write_text(source)
        known = f"{marker}\nimport torch\nfrom torch import nn\n\n\nclass ModelNew(nn.Module):\n    pass\n"
        spec = ProblemSpec(problem, f"level1/{problem.stem}", source, True, "ReLU")
        verdict = fake_judge(spec, _write(tmp_path, known), JudgeConfig())
        store.record_verdict(verdict, problem_source=source, candidate_source=known, origin={"kind": "file"})
    store.add_lesson("elementwise", "avoid", "never return torch.relu(x) from forward")  # relu's op family
    store.add_lesson("matmul", "avoid", "a lesson for another family")
    return store


def test_store_knowledge_and_lessons_reach_the_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Similar problems' kernels and lessons reach the prompt; this problem's own accepted kernel does
    not (it would be the answer), unless --allow-same-problem; a kernel verified on another machine
    says so."""
    monkeypatch.setenv("KERNELWRIGHT_HOME", str(tmp_path / "home"))
    store = _store_with_relu_kernels(tmp_path)
    with FakeLLMServer("openai", [{"text": kernel("SPEED=1.3")}]) as server:
        config = AgentConfig(provider="openai", model=server.model, base_url=server.base_url)
        result = Session(RELU, tmp_path / "out", config, JudgeConfig(), store, judge_fn=fake_judge).run()
        prompt = FakeLLMServer.prompt_text(server.served()[0])
    assert "Verified kernels for similar problems" in prompt and "WIDE RELU" in prompt
    assert "SAME-PROBLEM ANSWER" not in prompt and "(similarity 1.00;" not in prompt
    assert "verified on another machine or toolchain" in prompt  # the H100 entry, judged here on a CPU
    assert "never return torch.relu(x)" in prompt and "another family" not in prompt
    run = store.get_run(result.summary["run_id"])
    assert run is not None and run["records"] == 1 and run["tokens"] == result.summary["tokens"]["total"]
    assert run["summary"]["status"] == "target-reached"
    record = store.list_records(limit=1)[0]
    assert (
        record["origin"] == "agent" and record["model"] == server.model and record["run_id"] == run["run_id"]
    )

    with FakeLLMServer("openai", [{"text": kernel("SPEED=1.3")}]) as server:
        config = AgentConfig(
            provider="openai", model=server.model, base_url=server.base_url, allow_same_problem=True
        )
        Session(RELU, tmp_path / "out2", config, JudgeConfig(), store, judge_fn=fake_judge).run()
        # relu's own fastest accepted kernel now: the one the first session recorded
        assert "(similarity 1.00;" in FakeLLMServer.prompt_text(server.served()[0])
    store.close()


def test_performance_lessons_from_accepted_pairs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What made an accepted kernel faster than its accepted parent is stored as a `try` lesson and
    shown to the next session of the same op family."""
    from kernelwright.store import Store

    monkeypatch.setenv("KERNELWRIGHT_HOME", str(tmp_path / "home"))
    store = Store.open(f"sqlite:///{tmp_path / 'kw.db'}")
    faster = kernel("SPEED=1.3").replace(
        "class ModelNew", "@triton.autotune(configs=[], key=['n'])\nclass ModelNew"
    )
    steps = [{"text": kernel("SPEED=1.01")}, {"text": faster}]
    with FakeLLMServer("openai", steps) as server:
        config = AgentConfig(provider="openai", model=server.model, base_url=server.base_url, patience=5)
        Session(RELU, tmp_path / "a", config, JudgeConfig(), store, judge_fn=fake_judge).run()
    tries = [x for x in store.lessons(["elementwise"]) if x["kind"] == "try"]
    assert len(tries) == 1 and "1.01x -> 1.30x" in tries[0]["text"] and "@triton.autotune" in tries[0]["text"]
    with FakeLLMServer("openai", [{"text": kernel("SPEED=1.3")}]) as server:
        config = AgentConfig(provider="openai", model=server.model, base_url=server.base_url)
        Session(RELU, tmp_path / "b", config, JudgeConfig(), store, judge_fn=fake_judge).run()
        prompt = FakeLLMServer.prompt_text(server.served()[0])
    assert "## Try" in prompt and "adding @triton.autotune" in prompt.split("## Try")[1]
    store.close()


def test_feedback_names_each_failure_once_with_the_case_inputs(tmp_path: Path) -> None:
    """The failing case's shape is in the message; the failure is not repeated by the attempt log or
    the Avoid list; hints are for the latest outcome only."""

    def judge_crash_then_wrong(spec: ProblemSpec, path: Path, cfg: JudgeConfig) -> Verdict:
        v = fake_judge(spec, path, cfg)
        if "CRASH" in Path(path).read_text():
            trace = (
                "Traceback (most recent call last):\n"
                '  File "/x/site-packages/kernelwright/worker/candidate.py", line 167, in run_case\n'
                "    out = model(*inputs)\n"
                '  File "/x/site-packages/torch/nn/modules/module.py", line 1789, in _call_impl\n'
                "    return forward_call(*args, **kwargs)\n"
                '  File "/tmp/kw-judge-abc/sandbox/candidate.py", line 20, in forward\n'
                "    x = x.view(-1, 37)\n"
                "RuntimeError: shape '[-1, 37]' is invalid for input of size 1\n"
            )
            reason = Reason(
                code="KW-X003",
                category="crash-or-timeout",
                message="forward raised on case fuzz:0#0: RuntimeError: shape '[-1, 37]' is invalid",
                evidence=trace,
            )
            return v.model_copy(update={"category": "crash-or-timeout", "reasons": [reason]})
        return v

    steps = [{"text": kernel("CRASH")}, {"text": kernel("BAD")}, {"text": kernel("BAD")}]
    with FakeLLMServer("openai", steps) as server:
        config = AgentConfig(provider="openai", model=server.model, base_url=server.base_url, max_turns=3)
        Session(RELU, tmp_path / "o", config, JudgeConfig(), None, judge_fn=judge_crash_then_wrong).run()
        second, third = (FakeLLMServer.prompt_text(r) for r in server.served()[1:])
    last = second.split("## Last verdict")[1]
    assert "case fuzz:0 (get_fuzz_inputs(0): arg0: float32[3, 4097])" in last
    assert 'File "candidate.py", line 20, in forward' in last and "2 frames of kernelwright" in last
    assert "site-packages" not in second and "max abs err" not in last  # a crash compared nothing
    assert second.count("shape '[-1, 37]' is invalid") == 2  # the message and the traceback's last line
    assert "see the last verdict above" in second.split("## Attempt log")[1]
    # turn 3: the wrong-output hint, not the stale crash hint
    tries = third.split("## Try")[1]
    assert "Mask every load" in tries and "Keep grids and block sizes valid" not in tries
    assert third.count("7 of 9 differ") == 1


def test_evolve_shows_the_best_kernel_once(tmp_path: Path) -> None:
    steps = [{"text": kernel("SPEED=1.01")}, {"text": kernel("SPEED=1.02")}] + [{"text": kernel("BAD")}] * 2
    with FakeLLMServer("openai", steps) as server:
        run(server, tmp_path, strategy="evolve", samples=2, patience=5, max_turns=2, target=9.0)
        round2 = [FakeLLMServer.prompt_text(r) for r in server.served()[2:]]
    for prompt in round2:
        assert prompt.count("SPEED=1.02") == 1 and "## Current best kernel" not in prompt
        assert "the current best kernel" in prompt


def _write(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "known.py"
    path.write_text(source)
    return path


def test_judge_failures(tmp_path: Path) -> None:
    """A judge crash costs one candidate; a broken reference (ProblemError) is bad input."""
    from kernelwright.errors import BadInput, ProblemError

    calls: list[int] = []

    def flaky(spec: ProblemSpec, path: Path, cfg: JudgeConfig) -> Verdict:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("too many open files")
        return fake_judge(spec, path, cfg)

    steps = [{"text": kernel("SPEED=1.3")}, {"text": kernel("SPEED=1.3")}]
    with FakeLLMServer("openai", steps) as server:
        config = AgentConfig(provider="openai", model=server.model, base_url=server.base_url)
        result = Session(RELU, tmp_path / "a", config, JudgeConfig(), None, judge_fn=flaky).run()
    assert result.exit_code == 0 and result.summary["failures"] == {"judge-error": 1}

    def broken(spec: ProblemSpec, path: Path, cfg: JudgeConfig) -> Verdict:
        raise ProblemError("problem x: the reference raised ValueError")

    with FakeLLMServer("openai", [{"text": kernel("SPEED=1.3")}]) as server:
        config = AgentConfig(provider="openai", model=server.model, base_url=server.base_url)
        with pytest.raises(BadInput, match="reference raised"):
            Session(RELU, tmp_path / "b", config, JudgeConfig(), None, judge_fn=broken).run()
    assert json.loads((tmp_path / "b" / "summary.json").read_text())["status"] == "bad-problem"


class CountingExecutor:
    """A stand-in for `suite.executors`' Ray judge: `(Item, JudgeConfig) -> Verdict`, with parallelism."""

    parallelism = 4

    def __init__(self, expect: int) -> None:
        import threading

        self.lock = threading.Lock()
        self.all_in = threading.Event()  # set once `expect` judgements run at the same time
        self.expect = expect
        self.running = self.peak = self.calls = 0

    def __call__(self, item, cfg: JudgeConfig) -> Verdict:  # noqa: ANN001 - suite.runner.Item
        with self.lock:
            self.running += 1
            self.calls += 1
            self.peak = max(self.peak, self.running)
            if self.running >= self.expect:
                self.all_in.set()
        self.all_in.wait(timeout=20)  # a serial caller never gets here twice at once: peak stays 1
        try:
            return fake_judge(item.problem, item.candidate, cfg)
        finally:
            with self.lock:
                self.running -= 1


def test_samples_are_judged_concurrently_through_an_executor(tmp_path: Path) -> None:
    """Through a suite executor (Ray: one GPU per judgement) a round's samples are judged at once,
    and so they are by the local judge on one GPU, where timing takes turns."""
    steps = [{"text": kernel("BAD")}] * 3
    executor = CountingExecutor(expect=3)
    with FakeLLMServer("openai", steps) as server:
        config = AgentConfig(
            provider="openai",
            model=server.model,
            base_url=server.base_url,
            strategy="best-of-n",
            samples=3,
            max_turns=1,
        )
        session = Session(RELU, tmp_path / "o", config, JudgeConfig(), None, executor=executor)
        assert session.judge_jobs(interpreter=False) == 3
        session.run()
        # a local GPU judges them at once too: their timing phases queue for the card (gpu_lock.py)
        local = Session(RELU, tmp_path / "p", config, JudgeConfig(), None, judge_fn=fake_judge)
    assert executor.calls == 3 and executor.peak == 3
    assert local.judge_jobs(interpreter=False) == 3 and local.judge_jobs(interpreter=True) == 3


def test_optimize_suite_runs_problems_concurrently(tmp_path: Path) -> None:
    from rich.console import Console

    from kernelwright.agent.suite_run import run_suite

    problems = tmp_path / "problems" / "level1"
    problems.mkdir(parents=True)
    for name in ("relu", "relu_copy"):
        (problems / f"{name}.py").write_text(RELU.read_text())
    executor = CountingExecutor(expect=2)
    with FakeLLMServer("openai", [{"text": kernel("SPEED=1.3")}] * 2) as server:
        config = AgentConfig(provider="openai", model=server.model, base_url=server.base_url)
        rows, summary = run_suite(
            tmp_path / "problems",
            tmp_path / "out",
            config,
            JudgeConfig(),
            None,
            Console(stderr=True, quiet=True),
            problem_jobs=2,
            executor=executor,
        )
    assert [r["problem"] for r in rows] == ["level1/relu", "level1/relu_copy"]  # the problems' order
    assert summary["solved"] == 2 and executor.calls == 2 and executor.peak == 2
