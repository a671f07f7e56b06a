"""The Ray executor: same verdicts as the local pool, dead workers retried or reported, never lost.

One local Ray cluster (2 CPUs) serves the whole module: starting Ray costs ~10 s. The CLI runs as a
separate driver connected to it with ``--ray-address``; the in-process tests reuse the runtime.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kernelwright.errors import BadInput, KernelwrightError, ProblemError
from kernelwright.judge import JudgeConfig
from kernelwright.problem import bundled_dir, load_problem
from kernelwright.suite.executors import ExecutorError, make_judge_fn
from kernelwright.suite.runner import Item, local_judge, pair, run_items
from kernelwright.verdict import Environment, Verdict

ray = pytest.importorskip("ray")

ROOT = Path(__file__).resolve().parents[1]
FAST = JudgeConfig(fuzz=4, seeds=1, timeout=120, call_timeout=30, compile_timeout=60)
CLI = [sys.executable, "-c", "from kernelwright.cli import main; main()"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private local Ray cluster for this module; yields its address for other drivers.

    Its workers inherit this environment, so it gets its own KERNELWRIGHT_HOME before Ray starts.
    """
    if ray.is_initialized():  # pragma: no cover - another module left one running
        ray.shutdown()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KERNELWRIGHT_HOME", str(tmp_path_factory.mktemp("ray-home")))
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("suite")
    (base / "problems").mkdir()
    shutil.copy(bundled_dir() / "level1" / "relu.py", base / "problems" / "relu.py")
    cands = base / "cands" / "relu"
    cands.mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "relu_correct.py", cands / "a.py")
    shutil.copy(ROOT / "examples" / "relu_wrong.py", cands / "b.py")
    return base


def _suite_run(suite: Path, *extra: str) -> dict:
    out = subprocess.run(
        [
            *CLI,
            "suite",
            "run",
            str(suite / "problems"),
            "--candidates",
            str(suite / "cands"),
            "--json",
            "--no-store",
            "--fuzz",
            "4",
            "--seeds",
            "1",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=suite,
    )
    assert out.returncode == 1, out.stderr  # one candidate is wrong
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1, out.stdout  # exactly one JSON object on stdout, whatever Ray logs
    return json.loads(lines[0])


def _rows(body: dict) -> list[tuple]:
    return sorted(
        (
            r["problem"],
            r["candidate"],
            r["verdict"],
            r["category"],
            sorted({x["code"] for x in r["reasons"] if x["severity"] == "hard"}),
        )
        for r in body["results"]
    )


def test_ray_and_local_give_the_same_verdicts(cluster: str, suite: Path) -> None:
    local = _suite_run(suite, "--executor", "local", "--jobs", "2")
    remote = _suite_run(suite, "--executor", "ray", "--ray-address", cluster)
    assert _rows(local) == _rows(remote)
    verdicts = {Path(r["candidate"]).name: (r["verdict"], r["category"]) for r in remote["results"]}
    assert verdicts == {"a.py": ("accepted", None), "b.py": ("rejected", "wrong-output")}
    assert remote["summary"]["errors"] == [] and remote["summary"]["candidates"] == 2


def _item(suite: Path, name: str = "a.py") -> Item:
    items, _ = pair(suite / "problems", suite / "cands")
    return next(it for it in items if it.candidate.name == name)


def test_a_worker_that_dies_once_is_retried(cluster: str, suite: Path, tmp_path: Path) -> None:
    marker = tmp_path / "died-once"
    payload_path = str(_item(suite).candidate)

    def crash_once(payload: dict) -> dict:  # nested: Ray pickles it by value
        if not marker.exists():
            marker.touch()
            os._exit(1)  # the worker process dies mid-task, as on a segfault or an OOM kill
        return {"verdict": canned}

    canned = Verdict(
        problem="relu",
        candidate=payload_path,
        candidate_sha256="0" * 64,
        verdict="accepted",
        environment=Environment(device="cpu", interpreter=True, torch="x", triton="x", python="3"),
    ).to_json_dict()
    judge_fn = make_judge_fn("ray", None, max_retries=1, task=crash_once)
    verdict = judge_fn(_item(suite), FAST)
    assert marker.exists()  # the first attempt ran and died; the second one answered
    assert verdict.to_json_dict() == canned


def test_a_worker_that_keeps_dying_becomes_an_error_row(cluster: str, suite: Path) -> None:
    def always_crash(payload: dict) -> dict:
        os._exit(1)

    judge_fn = make_judge_fn("ray", None, max_retries=1, task=always_crash)
    item = _item(suite)
    results = run_items([item, _item(suite, "b.py")], FAST, jobs=2, judge_fn=judge_fn)
    assert len(results) == 2  # every item comes back, none silently dropped
    for _, verdict, error in results:
        assert verdict is None
        assert error is not None and "lost (WorkerCrashedError) after 1 retry" in error
    with pytest.raises(ExecutorError):
        judge_fn(item, FAST)


def test_a_bug_in_the_task_is_reported_not_retried(cluster: str, suite: Path, tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()

    def buggy(payload: dict) -> dict:
        import uuid

        (calls / uuid.uuid4().hex).touch()  # one file per attempt
        raise KeyError("candidate_source")

    judge_fn = make_judge_fn("ray", None, max_retries=2, task=buggy)
    with pytest.raises(ExecutorError, match=r"raised in the worker: KeyError: 'candidate_source'"):
        judge_fn(_item(suite), FAST)
    assert len(list(calls.iterdir())) == 1  # application errors are not retried (retry_exceptions=False)


def test_an_unusable_problem_is_reported_like_the_local_pool(
    cluster: str, tmp_path: Path, suite: Path
) -> None:
    bad = tmp_path / "broken.py"
    bad.write_text(
        "import torch\nfrom torch import nn\n\nclass Model(nn.Module):\n    def forward(self, x):\n"
        "        return x\n\ndef get_init_inputs():\n    return []\n\ndef get_inputs():\n"
        "    raise RuntimeError('no inputs today')\n"
    )
    item = Item(load_problem(bad), suite / "cands" / "relu" / "a.py")
    with pytest.raises(ProblemError) as remote:
        make_judge_fn("ray")(item, FAST)
    with pytest.raises(ProblemError) as local:
        local_judge(item, FAST)
    assert str(remote.value) == str(local.value)
    assert str(bad.resolve()) in str(remote.value)  # the driver's path, not the worker's temp copy


def test_resources_follow_the_cluster(cluster: str) -> None:
    judge_fn = make_judge_fn("ray")
    assert judge_fn.resources(FAST) == {"num_cpus": 1}  # type: ignore[attr-defined]
    assert judge_fn.parallelism == 2  # type: ignore[attr-defined]
    with pytest.raises(BadInput, match="no GPU"):
        judge_fn.resources(FAST.model_copy(update={"device": "cuda"}))  # type: ignore[attr-defined]


def test_judgements_can_share_a_gpu_because_timing_queues_for_it(cluster: str) -> None:
    from kernelwright.suite.ray_executor import RayJudge

    judge_fn = RayJudge(per_gpu=4)
    judge_fn.gpus = 2  # as on a node with two GPUs: correctness packs 4 to a GPU, timing takes turns
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("kernelwright.suite.ray_executor.force_cpu", lambda: False)
        assert judge_fn.resources(FAST) == {"num_gpus": 0.25}
        assert judge_fn.parallelism == 8


def test_bad_executor_choices() -> None:
    with pytest.raises(BadInput, match="unknown executor"):
        make_judge_fn("slurm")
    with pytest.raises(BadInput, match="only applies"):
        make_judge_fn("local", "head:6379")
    assert issubclass(ExecutorError, KernelwrightError)


def test_cli_rejects_an_unknown_executor(suite: Path) -> None:
    out = subprocess.run(
        [
            *CLI,
            "suite",
            "run",
            str(suite / "problems"),
            "--candidates",
            str(suite / "cands"),
            "--no-store",
            "--executor",
            "slurm",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [
        "kernelwright: unknown executor 'slurm' (available: local, ray)"
    ]


def test_suite_run_per_gpu_reaches_the_ray_judge_and_is_bad_input_locally(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from kernelwright.cli.app import app
    from kernelwright.cli.suite import executor_judge

    seen: dict = {}

    def fake(name: str, address: str | None = None, **options: object) -> str:
        seen.update(name=name, address=address, **options)
        return "judge"

    monkeypatch.setattr("kernelwright.suite.executors.make_judge_fn", fake)
    assert executor_judge("ray", None, 3) == "judge" and seen == {
        "name": "ray",
        "address": None,
        "per_gpu": 3,
    }
    (tmp_path / "p").mkdir()
    (tmp_path / "c").mkdir()
    result = CliRunner().invoke(
        app, ["suite", "run", str(tmp_path / "p"), str(tmp_path / "c"), "--per-gpu", "2"]
    )
    assert result.exit_code == 2 and "--per-gpu only applies to --executor ray" in result.output
