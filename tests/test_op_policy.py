"""The op policy ("work, not influence", DESIGN; docs/JUDGE.md row 25): the op trace and the judge's rules.

The trace (worker/strict.py) runs here in-process on plain PyTorch functions, each one a mechanism a
corpus cheat uses to hide its work (tests/adversarial/cheat_rt_hide_ops_*.py, cheat_rt_gate_*.py);
the rules (judge/session.py `_check_ops`) run on op lists as the worker would send them. The corpus
files judge the same mechanisms end to end in the jail.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F

from kernelwright.judge import JudgeConfig
from kernelwright.judge.record import RunRecord
from kernelwright.judge.session import CandidateSession
from kernelwright.worker import op_classes, strict

ROOT = Path(__file__).resolve().parents[1]

X = torch.randn(4, 8)
W = torch.randn(3, 8)
B = torch.randn(3)


def trace(fn: Any) -> strict.OpTrace:
    """The trace as the judge reads it: the worker sends every op name, the judge drops free ones."""
    t = strict.trace_ops(fn)
    t.ops = [o for o in t.ops if op_classes.kind(o) != "free"]
    t.hidden = [h for h in t.hidden if op_classes.kind(h) != "free"]
    return t


def test_the_worker_sends_free_ops_too() -> None:
    """Classifying happens in the judge: a candidate that rebinds op_classes' tables in its own process
    changes nothing the verdict reads."""
    assert {"empty_like", "copy_"} <= set(strict.trace_ops(lambda: torch.empty_like(X).copy_(X)).ops)


# -- the trace ------------------------------------------------------------------------------------------
def test_free_ops_are_not_reported_and_compute_ops_are() -> None:
    def honest_shell() -> Any:
        y = X.reshape(2, 16).contiguous().to(torch.float64).t()
        z = torch.empty_like(y)
        z.copy_(y)
        return torch.zeros(3), z.reshape(-1)[:4].clone()

    assert trace(honest_shell).ops == [] and trace(honest_shell).hidden == []
    t = trace(lambda: torch.clamp(X, min=0.0) * 2)
    assert t.ops == ["clamp", "mul"] and t.hidden == []


def test_composite_ops_are_named_by_their_parts_as_the_mode_sees_them() -> None:
    assert trace(lambda: F.softmax(X, -1)).ops == ["_softmax"]
    assert trace(lambda: F.linear(X, W, B)).ops == ["addmm"]
    assert trace(lambda: torch.matmul(X, W.t())).ops == ["mm"]


def test_a_gemm_scale_is_recorded_as_the_references_mul() -> None:
    r = torch.randn(4, 3)
    assert trace(lambda: torch.addmm(r, X, W.t(), alpha=0.5)).ops == ["addmm", strict.GEMM_SCALE]
    assert op_classes.work(["addmm", strict.GEMM_SCALE]) == {"mm", "add", "mul"}


def test_popping_the_dispatch_mode_is_seen_by_the_profiler() -> None:
    from torch.utils._python_dispatch import _disable_current_modes

    def hide() -> Any:
        with _disable_current_modes():
            return torch.relu(X)

    t = trace(hide)
    assert "relu" in t.ops and "relu" in t.hidden


def test_disabling_the_python_dispatch_key_is_seen_by_the_profiler() -> None:
    def hide() -> Any:
        with torch._C._DisableTorchDispatch():
            return torch.relu(X)

    t = trace(hide)
    assert "relu" in t.ops and "relu" in t.hidden


def test_work_on_another_thread_is_seen() -> None:
    def hide() -> Any:
        box: list = []
        th = threading.Thread(target=lambda: box.append(torch.sigmoid(X)))
        th.start()
        th.join()
        return box[0]

    t = trace(hide)
    assert "sigmoid" in t.ops and "sigmoid" in t.hidden


def test_a_custom_ops_body_is_traced_and_a_custom_op_itself_is_not_compute() -> None:
    @torch.library.custom_op("kwtest::clamp_body", mutates_args=())
    def clamp_body(x: torch.Tensor) -> torch.Tensor:
        return torch.clamp(x, min=0.0)

    @torch.library.custom_op("kwtest::alloc_body", mutates_args=())
    def alloc_body(x: torch.Tensor) -> torch.Tensor:
        return torch.empty_like(x).copy_(x)

    t = trace(lambda: torch.ops.kwtest.clamp_body(X))
    assert t.ops == ["clamp"] and t.hidden == []  # its body runs with the mode popped: not "hidden"
    assert trace(lambda: torch.ops.kwtest.alloc_body(X)).ops == []


def test_stopping_or_restarting_the_profiler_is_seen() -> None:
    import torch.autograd.profiler as prof
    from torch.utils._python_dispatch import _disable_current_modes

    def stop() -> Any:
        torch._C._autograd._disable_profiler()
        with _disable_current_modes():
            return torch.relu(X)

    def restart() -> Any:
        y = stop()
        prof.profile().__enter__()  # a fresh session for the trace to close
        return y

    assert trace(stop).hidden == ["the profiler session was stopped or restarted from inside forward"]
    assert trace(restart).hidden == ["the profiler session was stopped or restarted from inside forward"]


def test_host_round_trips_and_item_loops_are_named() -> None:
    meta = torch.empty(strict.HOST_COPY_NUMEL, device="meta")
    assert strict._to_host("_to_copy", (meta,), {"device": torch.device("cpu")}) == strict.HOST_COPY_NUMEL
    assert strict._to_host("copy_", (torch.empty(3), meta[:3]), {}) == 3
    assert strict._to_host("_to_copy", (X,), {"device": torch.device("cpu")}) == 0  # CPU to CPU
    assert op_classes.kind(strict.HOST_COPY) == "compute" and op_classes.kind(strict.ITEM_LOOP) == "compute"
    v = torch.randn(strict.ITEM_CALLS + 1)
    assert trace(lambda: [float(e) for e in v]).ops == [strict.ITEM_LOOP]


# -- the classes --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("op", "kind"),
    [
        ("empty_like", "free"), ("_to_copy", "free"), ("copy_", "free"), ("as_strided", "free"),
        ("cat", "move"), ("gather", "move"), ("triu", "move"),
        ("mm", "product"), ("addmm", "product"), ("bmm", "product"), ("convolution", "product"),
        ("relu", "compute"), ("clamp_min", "compute"), ("mul_", "compute"), ("_softmax", "compute"),
        ("sum", "compute"), ("where", "compute"), ("masked_fill", "compute"),
    ],
)  # fmt: skip
def test_op_kinds(op: str, kind: str) -> None:
    assert op_classes.kind(op) == kind


# -- the rules ----------------------------------------------------------------------------------------
def check(ops: list[str], ref: list[str], hidden: tuple[str, ...] = (), **config: Any) -> list[str]:
    run = RunRecord()
    s = CandidateSession(None, run, [], [], None, JudgeConfig(**config))  # type: ignore[arg-type]
    s.ref_ops = ref
    s._check_ops(ops, list(hidden))
    assert run.correctness.notes[-1].startswith("op policy: ")
    return [r.code for r in run.reasons]


def test_default_policy() -> None:
    assert check([], ["relu"]) == []
    assert check(["clamp", "mul"], ["relu"]) == ["KW-P006"]  # cheat_rt_gate_clamp
    assert check(["mm"], ["addmm", "gelu"]) == []  # legit_gemm_epilogue
    assert check(["addmm"], ["addmm", "gelu"]) == []  # legit_linear_vendor_bias_gelu
    assert check(["mm"], ["mm"]) == ["KW-P004"]  # a GEMM problem answered by a GEMM
    assert check(["addmm", "gemm_scale"], ["mm", "mul", "add"]) == ["KW-P004"]  # cheat_rt_gemm_addmm_scaled
    assert check(["cat"], ["relu"]) == []  # data movement the reference does not do
    assert check(["cat", "mul"], ["neg", "cat", "mul", "add"]) == ["KW-P006"]  # the reference's own cat
    assert check(["relu"], ["relu"], hidden=("relu",)) == ["KW-P007", "KW-P006", "KW-P004"]
    assert check(["add"], ["relu"], allow_ops=("add_",)) == []


def test_strict_and_loose_policies() -> None:
    assert check(["mm"], ["addmm", "gelu"], strict=True) == ["KW-P003"]
    assert check(["mm"], ["addmm", "gelu"], op_policy="strict") == ["KW-P003"]
    assert check(["clamp", "mul"], ["relu"], op_policy="loose") == []  # KernelBench's looser mode
    assert check(["relu", "add"], ["relu"], op_policy="loose") == ["KW-P004"]
    assert check([], ["relu"], hidden=("relu",), op_policy="loose") == ["KW-P007"]


# -- the CLI's flags ------------------------------------------------------------------------------


def test_verify_takes_the_op_policy_and_allowed_ops_and_refuses_an_unknown_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    import kernelwright.judge
    from kernelwright.cli import app

    seen: list = []

    def fake_judge(problem: object, candidate: object, config: object = None, repeat: int = 1) -> object:
        seen.append(config)
        raise SystemExit(0)  # the config is what this test is about; no worker starts

    monkeypatch.setattr(kernelwright.judge, "judge", fake_judge, raising=False)
    relu = ROOT / "src/kernelwright/problems/level1/relu.py"
    good = ROOT / "examples/relu_correct.py"
    runner = CliRunner()
    res = runner.invoke(app, ["verify", str(relu), str(good), "--op-policy", "bogus", "--no-store"])
    assert res.exit_code == 2 and "op_policy" in res.stderr and not seen
    runner.invoke(
        app,
        ["verify", str(relu), str(good), "--op-policy", "loose", "--allow-op", "softmax", "--allow-op", "gelu",
         "--no-store"],
    )  # fmt: skip
    assert seen and seen[0].op_policy == "loose" and seen[0].allow_ops == ("softmax", "gelu")
