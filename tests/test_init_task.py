"""`kernelwright init-task`: a user's own function or module becomes a task the judge accepts kernels for;
and the probe of `kernelwright.tasks.describe`, which describes a problem for the agent and for MCP."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from kernelwright.errors import BadInput, ProblemError
from kernelwright.problem import load_problem
from kernelwright.tasks.describe import HardwareCard, describe, describe_problem, hardware_card, shape_text
from kernelwright.tasks.init_task import FUZZ_BATCHES, init_task

CLI = [sys.executable, "-c", "from kernelwright.cli import main; main()"]

USER_SOURCE = '''"""The user's model code, as they wrote it."""
from __future__ import annotations

import torch
from torch import nn


def silu_fused(x: torch.Tensor) -> torch.Tensor:
    return x * torch.sigmoid(x)


class ScaledSiLU(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.randn(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return silu_fused(x) * self.scale


def pick_rows(x, idx, k: int):
    return x[idx] * k


def example():
    print("the factory may print; the task generator does not care")
    return [torch.randn(16, 256)]


def broken_example():
    raise ValueError("no data on this machine")


if __name__ == "__main__":
    raise SystemExit("never runs inside the task")
'''

SILU_KERNEL = """
import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        silu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
"""

SCALED_SILU_KERNEL = """
import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def scaled_silu_kernel(x_ptr, s_ptr, y_ptr, n, dim, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    s = tl.load(s_ptr + offs % dim, mask=mask, other=0.0)
    tl.store(y_ptr + offs, x * tl.sigmoid(x) * s, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.empty(dim))  # loaded from the reference's state_dict

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        scaled_silu_kernel[(triton.cdiv(n, 1024),)](x, self.scale, y, n, self.scale.numel(), BLOCK=1024)
        return y
"""


@pytest.fixture()
def user(tmp_path: Path) -> Path:
    path = tmp_path / "mymodel.py"
    path.write_text(USER_SOURCE)
    return path


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def _verify(problem: Path, kernel_source: str, tmp: Path) -> dict:
    kernel = tmp / f"kernel_{problem.stem}.py"
    kernel.write_text(kernel_source)
    out = _cli(
        "verify", str(problem), str(kernel), "--json", "--no-store", "--fuzz", "4", "--seeds", "1", cwd=tmp
    )
    assert out.stdout, out.stderr
    return json.loads(out.stdout)


def _import(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"task_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_function_becomes_a_task_that_accepts_a_triton_kernel(user: Path, tmp_path: Path) -> None:
    out = _cli(
        "init-task",
        str(user),
        "--entry",
        "silu_fused",
        "--example-inputs",
        "example",
        "--out",
        "silu_task.py",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "wrote silu_task.py" in out.stdout and "8 fuzz cases checked" in out.stdout
    task = tmp_path / "silu_task.py"
    spec = load_problem(task)
    assert spec.has_fuzz and spec.title.startswith("silu_fused from mymodel.py")
    text = task.read_text()
    assert "torch.randn((batch, 256), dtype=torch.float32)" in text
    assert "never runs inside the task" not in text  # the __main__ block is dropped
    module = _import(task)
    assert [tuple(x.shape) for x in module.get_inputs()] == [(16, 256)]
    sizes = [module.get_fuzz_inputs(i)[0].shape[0] for i in range(len(FUZZ_BATCHES))]
    assert sizes == list(FUZZ_BATCHES) and sizes[:4] == [1, 3, 7, 33]
    x = module.get_fuzz_inputs(2)[0]
    assert module.Model()(x).allclose(x * x.sigmoid())

    verdict = _verify(task, SILU_KERNEL, tmp_path)
    assert (verdict["verdict"], verdict["category"]) == ("accepted", None), verdict["reasons"]
    assert verdict["correctness"]["fuzz_cases"] >= 4


def test_a_module_with_parameters_becomes_a_task(user: Path, tmp_path: Path) -> None:
    report = init_task(
        user, "ScaledSiLU", tmp_path / "scaled.py", inputs="[torch.randn(8, 64)]", init_inputs="[64]"
    )
    assert report["inputs"] == [{"kind": "tensor", "shape": [8, 64], "dtype": "float32", "family": "float"}]
    text = (tmp_path / "scaled.py").read_text()
    assert "class Model(ScaledSiLU):" in text and "return [64]" in text
    verdict = _verify(tmp_path / "scaled.py", SCALED_SILU_KERNEL, tmp_path)
    assert (verdict["verdict"], verdict["category"]) == ("accepted", None), verdict["reasons"]
    wrong = _verify(tmp_path / "scaled.py", SCALED_SILU_KERNEL.replace("* s, mask", ", mask"), tmp_path)
    assert (wrong["verdict"], wrong["category"]) == ("rejected", "wrong-output")


def test_integer_and_literal_inputs_are_described(user: Path, tmp_path: Path) -> None:
    report = init_task(
        user,
        "pick_rows",
        tmp_path / "pick.py",
        fuzz=False,
        inputs="[torch.randn(10, 4), torch.randint(0, 10, (5,)), 3]",
    )
    assert [s["kind"] for s in report["inputs"]] == ["tensor", "tensor", "literal"]
    text = (tmp_path / "pick.py").read_text()
    assert "torch.randint(" in text and "(5,), dtype=torch.int64)" in text  # range from the example's values
    assert "def get_fuzz_inputs" not in text
    module = _import(tmp_path / "pick.py")
    x, idx, k = module.get_inputs()
    assert x.shape == (10, 4) and idx.dtype.is_floating_point is False and int(idx.max()) < 10 and k == 3


def test_a_reference_that_breaks_on_other_batch_sizes_is_refused(user: Path, tmp_path: Path) -> None:
    # idx holds row numbers up to 9: with a batch of 1 it indexes out of range, and the task says so
    with pytest.raises(BadInput, match=r"fails on fuzz inputs .*--no-fuzz"):
        init_task(user, "pick_rows", tmp_path / "pick.py", inputs="[torch.randn(10, 4), torch.arange(10), 2]")
    assert not (tmp_path / "pick.py").exists()  # nothing written


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"entry": "nope"}, "'nope' is not a top-level class or function"),
        ({"entry": "silu_fused"}, "say how to build example inputs"),
        ({"entry": "silu_fused", "inputs": "[1]", "example_inputs": "example"}, "not both"),
        ({"entry": "silu_fused", "example_inputs": "missing"}, "'missing' is not a top-level function"),
        ({"entry": "silu_fused", "inputs": "[torch.randn(3,"}, "not a Python expression"),
        ({"entry": "silu_fused", "example_inputs": "broken_example"}, "ValueError: no data on this machine"),
        (
            {"entry": "silu_fused", "inputs": "[torch.randn(2, 2)]", "init_inputs": "[3]"},
            "takes no --init-inputs",
        ),
        ({"entry": "silu_fused", "inputs": "[{'a': 1}]"}, "input 0: unsupported input of type dict"),
    ],
)
def test_bad_requests_are_one_line_errors(user: Path, tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(BadInput) as err:
        init_task(user, out=tmp_path / "t.py", **kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "t.py").exists()


def test_cli_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    out = _cli("init-task", "missing.py", "--entry", "f", "--out", "t.py", cwd=tmp_path)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().splitlines() == ["kernelwright: source file not found: missing.py"]


# ---------------------------------------------------------------------------- the describe probe
# One probe serves the agent's prompt (`describe`) and the MCP server's `problem_info`
# (`describe_problem`); these tests hold both views to the same answer.
ROUGH_PROBLEM = '''"""Rough: fuzz seed 1 needs real tensors, seed 3 is broken, and an API key must not reach it."""
import os

import torch
from torch import nn

if os.environ.get("OPENAI_API_KEY"):
    raise RuntimeError("an API key reached the problem")

TOLERANCE = {"atol": 1e-3, "rtol": 1e-3}


class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x)


def get_init_inputs():
    return []


def get_inputs():
    return [torch.randn(4096, 64)]


def get_flops(inputs):
    return inputs[0].numel()


def get_fuzz_inputs(seed):
    if seed == 3:
        raise ValueError("seed three is broken")
    if seed == 1:  # .item() has no meta answer: the probe retries this seed with real tensors
        n = int(torch.tensor([5]).item())
        return [torch.randn(n, 64)]
    return [torch.randn(seed + 1, 64)]
'''


@pytest.fixture
def rough(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-DO-NOT-LEAK-123")
    path = tmp_path / "rough.py"
    path.write_text(ROUGH_PROBLEM)
    return path


def _spy_on_probe_env(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    """The environments handed to subprocess.run, for asserting on what the probe could see."""
    seen: list[dict[str, str]] = []
    real_run = subprocess.run

    def run(*args: Any, **kwargs: Any) -> Any:
        seen.append(dict(kwargs.get("env") or os.environ))
        return real_run(*args, **kwargs)

    monkeypatch.setattr(subprocess, "run", run)
    return seen


def test_the_agent_view_notes_a_failing_fuzz_seed_and_hides_the_key(
    rough: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _spy_on_probe_env(monkeypatch)
    task, card = describe(load_problem(rough), device="cpu")
    assert seen and all("OPENAI_API_KEY" not in env for env in seen)
    assert task.notes == ["get_fuzz_inputs(3): ValueError: seed three is broken"]
    assert shape_text(task.inputs) == "arg0: float32[4096, 64]" and task.init_inputs == []
    # seed 1 came from real tensors, seed 3 from nowhere: seven cases of eight
    assert [case[0]["shape"][0] for case in task.fuzz] == [1, 5, 3, 5, 6, 7, 8]
    assert task.tolerance == {"atol": 1e-3, "rtol": 1e-3} and task.has_flops
    assert card.interpreter and card.torch


def test_the_mcp_view_answers_despite_a_failing_fuzz_seed(rough: Path) -> None:
    info = describe_problem(rough, fuzz=4)
    assert info["errors"] == ["get_fuzz_inputs(3): ValueError: seed three is broken"]
    assert [case[0]["shape"] for case in info["fuzz_cases"]] == [[1, 64], [5, 64], [3, 64]]
    assert info["outputs"] == [{"kind": "tensor", "shape": [4096, 64], "dtype": "float32", "family": "float"}]
    assert info["tolerance"] == {"float32": {"atol": 1e-3, "rtol": 1e-3}} and info["input_numel"] == 4096 * 64
    assert info["hardware"]["timing"] is False and info["has_flops"] is True and info["problem"] == "rough"


def test_a_problem_that_does_not_import_is_refused_by_both_views(tmp_path: Path) -> None:
    bad = tmp_path / "broken.py"
    bad.write_text(
        ROUGH_PROBLEM.replace("import os\n", "import os\nraise ImportError('no such kernel lib')\n")
    )
    with pytest.raises(ProblemError, match="does not load: ImportError: no such kernel lib"):
        describe(load_problem(bad))
    with pytest.raises(BadInput, match="does not load: ImportError: no such kernel lib"):
        describe_problem(bad)


def test_inputs_that_cannot_be_described_are_a_note_for_the_agent_and_bad_input_for_mcp(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "no_inputs.py"
    bad.write_text(ROUGH_PROBLEM.replace("return [torch.randn(4096, 64)]", "raise RuntimeError('boom')"))
    task, _ = describe(load_problem(bad), device="cpu")
    assert task.inputs is None and "get_inputs() on meta: RuntimeError: boom" in task.notes
    assert len(task.fuzz) == 7  # the rest of the answer still arrives
    with pytest.raises(BadInput, match="boom"):
        describe_problem(bad, fuzz=0)


def test_the_hardware_card_follows_the_device_and_the_measured_ceilings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In process, with a pretend GPU: cpu/auto/cuda and KERNELWRIGHT_FORCE_CPU pick the card."""
    import torch

    from kernelwright.settings import cache_dir

    props = SimpleNamespace(
        name="NVIDIA H200",
        multi_processor_count=132,
        L2_cache_size=60 * 2**20,
        total_memory=141 * 2**30,
        major=9,
        minor=0,
    )
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda _: props)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.delenv("KERNELWRIGHT_FORCE_CPU", raising=False)
    assert hardware_card("cpu")["timing"] is False
    gpu = hardware_card("auto")
    assert gpu["timing"] is True and gpu["sms"] == 132
    monkeypatch.setenv("KERNELWRIGHT_FORCE_CPU", "1")
    assert hardware_card("auto")["timing"] is False and hardware_card("cuda")["timing"] is True

    (cache_dir() / "ceilings.json").write_text(json.dumps({"NVIDIA H200": {"copy_bytes_per_s": 4.2e12}}))
    card = HardwareCard.from_answer(gpu)
    card.refresh_ceilings()
    assert (card.interpreter, card.device, card.sms, card.capability) == (False, "NVIDIA H200", 132, "9.0")
    assert "measured copy bandwidth: 4200 GB/s" in card.lines()
    assert HardwareCard.from_answer(hardware_card("cpu")).interpreter
