"""GPU MODE task folders (task.yml, reference.py, submission.py) judged through the KernelBench contract.

The task here is written for these tests in the reference-kernels layout: `files:` in task.yml pulls
utils.py from the folder above, reference.py imports `task` and `utils`, the submission imports
`task`. Sizes stay small for the CPU interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from kernelwright.errors import BadInput
from kernelwright.integrations.gpumode import candidate_source, load_task, problem_source
from kernelwright.problem import load_problem
from kernelwright.worker.common import load_module

TASK_YML = """\
# name: vectoradd-test

files:
  - {"name": "submission.py", "source": "@SUBMISSION@"}
  - {"name": "task.py", "source": "task.py"}
  - {"name": "utils.py", "source": "../utils.py"}
  - {"name": "reference.py", "source": "reference.py"}
  - {"name": "eval.py", "source": "../eval.py"}

lang: "py"

description: |
  Add two float32 matrices.

tests:
  - {"size": 3, "seed": 11}
  - {"size": 17, "seed": 12}
  - {"size": 33, "seed": 13}

benchmarks:
  - {"size": 128, "seed": 21}
  - {"size": 4096, "seed": 22}
"""

TASK_PY = """\
from typing import TypeVar

import torch

input_t = TypeVar("input_t", bound=tuple[torch.Tensor, torch.Tensor])
output_t = TypeVar("output_t", bound=torch.Tensor)
"""

UTILS_PY = """\
import torch


def make_match_reference(reference, rtol=1e-5, atol=1e-8):
    def check_implementation(data, output):
        expected = reference(data)
        if torch.allclose(output, expected, rtol=rtol, atol=atol):
            return True, ""
        return False, "mismatch"

    return check_implementation
"""

REFERENCE_PY = """\
import torch
from task import input_t, output_t
from utils import make_match_reference


def ref_kernel(data: input_t) -> output_t:
    a, b = data
    return a + b


def generate_input(size: int, seed: int) -> input_t:
    torch.manual_seed(seed)
    return torch.randn(size, size), torch.randn(size, size)


check_implementation = make_match_reference(ref_kernel, rtol=2e-5, atol=1e-6)
"""

SUBMISSION = """\
import torch
import triton
import triton.language as tl
from task import input_t, output_t


@triton.jit
def add_kernel(a_ptr, b_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    a = tl.load(a_ptr + offs, mask=mask)
    b = tl.load(b_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, {expr}, mask=mask)


def custom_kernel(data: input_t) -> output_t:
    a, b = data
    a, b = a.contiguous(), b.contiguous()
    out = torch.empty_like(a)
    add_kernel[(triton.cdiv(a.numel(), 1024),)](a, b, out, a.numel(), BLOCK=1024)
    return out
"""


@pytest.fixture(autouse=True)
def _task_modules() -> Iterator[None]:
    """A generated problem loaded here registers the task's modules; put back what those names were."""
    names = ("task", "utils", "reference", "kw_test_gpumode_problem", "kw_test_gpumode_fill")
    before = {name: sys.modules.get(name) for name in names}
    yield
    for name, module in before.items():
        if module is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = module


@pytest.fixture
def task(tmp_path: Path) -> Path:
    group = tmp_path / "problems" / "pmpp_test"
    folder = group / "vectoradd_py"
    folder.mkdir(parents=True)
    (group / "utils.py").write_text(UTILS_PY)
    (folder / "task.yml").write_text(TASK_YML)
    (folder / "task.py").write_text(TASK_PY)
    (folder / "reference.py").write_text(REFERENCE_PY)
    (folder / "submission.py").write_text(SUBMISSION.format(expr="a + b"))
    return folder


def _verify(task: Path, submission: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "kernelwright", "verify", str(task), str(submission)]
    cmd += ["--json", "--no-store", "--seeds", "1", "--fuzz", "3"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def test_a_triton_submission_is_accepted(task: Path) -> None:
    proc = _verify(task, task / "submission.py")
    verdict = json.loads(proc.stdout)
    assert proc.returncode == 0, verdict["reasons"]
    assert verdict["verdict"] == "accepted"
    assert verdict["problem"] == "gpumode/vectoradd_py"
    assert verdict["candidate"] == str(task / "submission.py")
    # the first benchmark at its shape, and every test shape as a fuzz case
    assert verdict["correctness"]["trials"] == 1 and verdict["correctness"]["fuzz_cases"] == 3
    assert verdict["correctness"]["ablation"] == "output-changed"


def test_a_wrong_submission_is_rejected(task: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong_submission.py"
    wrong.write_text(SUBMISSION.format(expr="a - b"))
    proc = _verify(task, wrong)
    verdict = json.loads(proc.stdout)
    assert proc.returncode == 1
    assert verdict["verdict"] == "rejected" and verdict["category"] == "wrong-output"
    assert any(r["code"] == "KW-O001" and "seed:0" in r["message"] for r in verdict["reasons"])


def test_the_generated_problem_is_a_kernelbench_problem_built_from_the_task(
    task: Path, tmp_path: Path
) -> None:
    spec = load_task(task)
    assert list(spec.modules) == ["task", "utils", "reference"]  # eval.py and the submission left out
    assert spec.tolerance == {"rtol": 2e-5, "atol": 1e-6}
    path = tmp_path / "generated" / "problem.py"
    path.parent.mkdir()
    path.write_text(problem_source(spec))
    assert load_problem(path).has_fuzz

    problem = load_module(path, "kw_test_gpumode_problem")
    assert problem.TOLERANCE == {"rtol": 2e-5, "atol": 1e-6}
    torch.manual_seed(1)
    a, b = problem.get_inputs()
    assert a.shape == b.shape == (128, 128)  # the first benchmark
    torch.manual_seed(1)
    again = problem.get_inputs()
    torch.manual_seed(2)
    other = problem.get_inputs()
    # the task's seed is redrawn from the judge's: same case, same values; another case, fresh ones
    assert torch.equal(again[0], a) and not torch.equal(other[0], a)
    assert [problem.get_fuzz_inputs(i)[0].shape[0] for i in range(4)] == [3, 17, 33, 3]
    assert torch.equal(problem.Model()(a, b), a + b)


def test_the_reference_filling_a_buffer_inside_data_does_not_mutate_the_inputs(tmp_path: Path) -> None:
    folder = tmp_path / "fill_py"
    folder.mkdir()
    (folder / "task.yml").write_text("tests:\n  - {size: 4}\nbenchmarks:\n  - {size: 8}\n")
    (folder / "reference.py").write_text(
        "import torch\n\n"
        "def generate_input(size):\n"
        "    return torch.randn(size), torch.zeros(size)\n\n"
        "def ref_kernel(data):\n"
        "    x, out = data\n"
        "    out[...] = x * 2\n"
        "    return out\n"
    )
    spec = load_task(folder)
    assert list(spec.modules) == ["reference"] and spec.tolerance is None
    path = tmp_path / "problem.py"
    path.write_text(problem_source(spec))
    problem = load_module(path, "kw_test_gpumode_fill")
    x, out = problem.get_inputs()
    before = out.clone()
    assert torch.equal(problem.Model()(x, out), x * 2)
    assert torch.equal(out, before)  # GPU MODE hands the kernel a clone, and so do we


def test_the_candidate_keeps_the_submission_verbatim_with_future_imports_first(task: Path) -> None:
    submission = "from __future__ import annotations\n" + SUBMISSION.format(expr="a + b")
    text = candidate_source(load_task(task), submission)
    assert text.startswith("from __future__ import annotations\n")
    assert SUBMISSION.format(expr="a + b").strip() in text
    assert "class ModelNew(" in text and "custom_kernel(" in text
    compile(text, "model_new.py", "exec")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"task.yml": "tests: [1, 2]\n", "reference.py": ""}, "tests: should be a list of argument mappings"),
        ({"task.yml": "tests:\n  - {size: [1, 2]}\n", "reference.py": ""}, "is not a plain value"),
        ({"task.yml": "benchmarks: []\n", "reference.py": ""}, "no tests: and no benchmarks:"),
        ({"task.yml": "tests: [{size: 1}]\n"}, "reference.py not found"),
        (
            {"task.yml": "tests: [{size: 1}]\n", "reference.py": "def ref_kernel(d): ...\n"},
            "no generate_input",
        ),
        ({"task.yml": "tests: [{size: 1\n", "reference.py": ""}, "is not valid YAML"),
        ({"task.yml": "- just a list\n", "reference.py": ""}, "should be a mapping"),
        (
            {"task.yml": 'files:\n  - {"name": "utils.py", "source": "../utils.py"}\ntests: [{n: 1}]\n'},
            "utils.py not found",
        ),
    ],
)
def test_a_malformed_task_folder_is_bad_input(tmp_path: Path, files: dict[str, str], message: str) -> None:
    folder = tmp_path / "task_py"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    with pytest.raises(BadInput, match=message):
        load_task(folder)


def test_verify_on_a_broken_task_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "task_py"
    folder.mkdir()
    (folder / "task.yml").write_text("tests: [{size: 1}]\n")
    (tmp_path / "submission.py").write_text("def custom_kernel(data):\n    return data\n")
    proc = _verify(folder, tmp_path / "submission.py")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "reference.py not found" in proc.stderr
    proc = _verify(folder, tmp_path / "missing.py")
    assert proc.returncode == 2 and "submission not found" in proc.stderr
