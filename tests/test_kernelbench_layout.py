"""KernelBench end to end: its generated-kernel folder layout pairs with its numbered problem files, and
`suite run` reports fast_p by KernelBench's notion of correct next to the judge's verdicts.

The problems here are written for these tests in KernelBench's format (size globals, get_inputs,
get_init_inputs, no fuzz hook); benchmark sizes stay under the CPU interpreter's budget (2^18
elements) so the judge checks them at their own shape.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from judge_helpers import PRELUDE
from rich.console import Console

from kernelwright.cli.suite import fast_p_table
from kernelwright.suite.runner import fast_p_both, kernelbench_correct, pair
from kernelwright.verdict import Correctness, Environment, Reason, Verdict

PROBLEM = '''"""{title} (a KernelBench-format problem written for kernelwright's tests)."""

import torch
from torch import nn

batch_size = 16
dim = 4096


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return {expr}


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return []
'''

RELU_RIGHT = (
    PRELUDE
    + """

class ModelNew(nn.Module):
    def forward(self, x):
        return launch(x)
"""
)

# Wrong at every shape: the floor is 0.5, not 0.
RELU_WRONG = """
import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def floor_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask, other=0.0), 0.5), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        floor_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
"""

# Right at the benchmark shape only: whole blocks of 1024, no tail (16 x 4096 has none; the judge's
# derived fuzz shapes, 1 x 3 and 3 x 7, are all tail). KernelBench checks the benchmark shape only.
CLAMP_BLOCKS_ONLY = """
import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def clamp_kernel(x_ptr, y_ptr, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs)
    tl.store(y_ptr + offs, tl.minimum(tl.maximum(x, 0.0), 6.0))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.zeros_like(x)
        blocks = x.numel() // 1024
        if blocks:
            clamp_kernel[(blocks,)](x, y, BLOCK=1024)
        return y
"""


def _problems(root: Path) -> Path:
    level = root / "KernelBench" / "level1"
    level.mkdir(parents=True)
    for name, title, expr in (
        ("7_Rowwise_ReLU", "ReLU over a batch of rows", "torch.relu(x)"),
        ("12_Clamp_to_six", "Clamp every element to [0, 6]", "torch.clamp(x, 0.0, 6.0)"),
        ("21_Tanh_no_kernel_yet", "Tanh, a problem nobody answered", "torch.tanh(x)"),
    ):
        (level / f"{name}.py").write_text(PROBLEM.format(title=title, expr=expr))
    return level


def _touch(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text("# a candidate\n")


def test_kernelbench_samples_pair_with_the_problem_of_their_number_and_level(tmp_path: Path) -> None:
    level = _problems(tmp_path)
    run = tmp_path / "runs" / "my_run"
    _touch(
        run,
        "level_1_problem_7_sample_0_kernel.py",
        "level_1_problem_7_sample_10_kernel.py",
        "level_1_problem_7_sample_2_kernel.py",
        "level_2_problem_7_sample_0_kernel.py",  # level 2's problem 7: not level1/7_Rowwise_ReLU
        "level_1_problem_70_sample_0_kernel.py",  # no problem 70 here
        "level_1_problem_12_sample_0_kernel.txt",  # not a Python file
    )
    _touch(run / "nested", "level_1_problem_12_sample_3_kernel.py")  # any depth, like `<stem>.py`
    _touch(run, "12_Clamp_to_six.py")  # the `<stem>.py` naming still pairs

    items, missing = pair(level, run)
    got = {(it.problem.id, it.candidate.name) for it in items}
    assert [it.candidate.name for it in items if it.problem.id == "7_Rowwise_ReLU"] == [
        "level_1_problem_7_sample_0_kernel.py",
        "level_1_problem_7_sample_2_kernel.py",
        "level_1_problem_7_sample_10_kernel.py",
    ]
    assert got - {(i, n) for i, n in got if i == "7_Rowwise_ReLU"} == {
        ("12_Clamp_to_six", "12_Clamp_to_six.py"),
        ("12_Clamp_to_six", "level_1_problem_12_sample_3_kernel.py"),
    }
    assert [m.id for m in missing] == ["21_Tanh_no_kernel_yet"]

    # From the folder above the level folders: ids carry the level, the pairing is the same.
    items_above, _ = pair(level.parent, run)
    assert {(it.problem.id.removeprefix("level1/"), it.candidate.name) for it in items_above} == got


def _verdict(status: str, *reasons: Reason, trials: int = 1, fuzz: int = 2) -> Verdict:
    return Verdict(
        problem="p",
        candidate="c.py",
        candidate_sha256="0" * 64,
        verdict=status,  # type: ignore[arg-type]
        category=next((r.category for r in reasons), None),  # type: ignore[arg-type]
        reasons=list(reasons),
        correctness=Correctness(trials=trials, fuzz_cases=fuzz),
        environment=Environment(device="cpu", interpreter=True, torch="", triton="", python=""),
    )


def _reason(code: str, category: str, message: str, severity: str = "hard") -> Reason:
    return Reason(code=code, category=category, message=message, severity=severity)  # type: ignore[arg-type]


WRONG_FUZZ = _reason("KW-O001", "wrong-output", "case fuzz:1: 20 of 21 elements differ beyond atol=1e-4")
WRONG_SEED = _reason("KW-O001", "wrong-output", "case seed:0: 9 of 65536 elements differ beyond atol=1e-4")


@pytest.mark.parametrize(
    ("verdict", "correct"),
    [
        (_verdict("accepted"), True),
        (_verdict("rejected", WRONG_FUZZ), True),
        (
            _verdict(
                "rejected",
                _reason(
                    "KW-O001", "wrong-output", "wrong on 3 of 7 checked cases (...): fuzz:0, fuzz:1, fuzz:2"
                ),
            ),
            True,
        ),
        (
            _verdict("rejected", _reason("KW-X003", "crash-or-timeout", "forward raised on case fuzz:2: E")),
            True,
        ),
        (_verdict("rejected", _reason("KW-P001", "reference-passthrough", "ablation: still right")), True),
        (_verdict("rejected", _reason("KW-T001", "tampering", "replaced torch.allclose")), True),
        (_verdict("rejected", _reason("KW-O003", "wrong-output", "repeat of case seed:0 differs")), True),
        (_verdict("rejected", _reason("KW-O005", "wrong-output", "case seed:0, output 0: constant")), True),
        (_verdict("rejected", WRONG_SEED), False),
        (_verdict("rejected", WRONG_FUZZ, WRONG_SEED), False),
        (_verdict("rejected", _reason("KW-O001", "wrong-output", "case seed:0 (repeat): differ")), False),
        (_verdict("rejected", _reason("KW-C003", "compile-error", "a kernel failed to compile")), False),
        (
            _verdict("rejected", _reason("KW-X003", "crash-or-timeout", "forward raised on case seed:0")),
            False,
        ),
        (_verdict("rejected", _reason("KW-X001", "crash-or-timeout", "the worker died: timeout")), False),
        # nothing compared: KernelBench would have had outputs to compare, the judge has no evidence
        (_verdict("rejected", _reason("KW-T001", "tampering", "x"), trials=0, fuzz=0), False),
        # no benchmark-shape case ran (over the CPU budget): the fuzz cases stand in for it
        (_verdict("rejected", WRONG_FUZZ, trials=0, fuzz=8), False),
        (_verdict("skipped", _reason("KW-J001", "needs-cuda", "CUDA C++")), False),
    ],
)
def test_kernelbench_correct_is_outputs_matched_at_the_benchmark_shape(
    verdict: Verdict, correct: bool
) -> None:
    assert kernelbench_correct(verdict) is correct


def test_soft_reasons_do_not_count_against_kernelbench_correctness() -> None:
    soft = _reason("KW-W001", "wrong-output", "case seed:0: degenerate reference", severity="soft")
    assert kernelbench_correct(_verdict("rejected", soft, WRONG_FUZZ))


def test_suite_run_on_a_kernelbench_run_folder_reports_both_fast_p_sets(tmp_path: Path) -> None:
    level = _problems(tmp_path)
    run = tmp_path / "runs" / "my_run"
    run.mkdir(parents=True)
    (run / "level_1_problem_7_sample_0_kernel.py").write_text(RELU_RIGHT)
    (run / "level_1_problem_7_sample_1_kernel.py").write_text(RELU_WRONG)
    (run / "level_1_problem_12_sample_0_kernel.py").write_text(CLAMP_BLOCKS_ONLY)
    cmd = [sys.executable, "-m", "kernelwright", "suite", "run", str(level), str(run)]
    cmd += ["--json", "--no-store", "--seeds", "1", "--fuzz", "2", "--jobs", "2"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 1, proc.stderr[-2000:]  # not every candidate is accepted
    body = json.loads(proc.stdout)
    assert body["schema"] == "kernelwright.suite/1"
    verdicts = {Path(v["candidate"]).name: v for v in body["results"]}
    assert verdicts["level_1_problem_7_sample_0_kernel.py"]["verdict"] == "accepted"
    assert verdicts["level_1_problem_7_sample_1_kernel.py"]["category"] == "wrong-output"
    clamp = verdicts["level_1_problem_12_sample_0_kernel.py"]
    assert clamp["verdict"] == "rejected", clamp
    assert all("fuzz:" in r["message"] for r in clamp["reasons"] if r["code"] == "KW-O001"), clamp["reasons"]

    summary = body["summary"]
    assert (summary["problems"], summary["candidates"], summary["accepted"]) == (3, 3, 1)
    assert summary["without_candidate"] == ["21_Tanh_no_kernel_yet"]
    fast = summary["fast_p"]
    assert fast["thresholds"] == [0.0, 0.5, 0.8, 1.0, 1.5, 2.0] and fast["problems"] == 3
    # problem 7 (sample 0) by both; problem 12 only by KernelBench (right at 16 x 4096); 21 by neither
    assert fast["kernelbench"] == {
        "correct": 2,
        "fast_0": 0.6667,
        "fast_0.5": None,
        "fast_0.8": None,
        "fast_1": None,
        "fast_1.5": None,
        "fast_2": None,
        "untimed": 1,
    }
    assert fast["strict"] == {
        "correct": 1,
        "fast_0": 0.3333,
        "fast_0.5": None,
        "fast_0.8": None,
        "fast_1": None,
        "fast_1.5": None,
        "fast_2": None,
    }
    assert summary["fast_0_vs_eager"] == 0.3333  # the older keys stay
    assert summary["kernelbench_correct_rejected"] == [
        "12_Clamp_to_six::level_1_problem_12_sample_0_kernel.py"
    ]

    # The text output shows the same two rows.
    console = Console(width=200, record=True)
    console.print(fast_p_table(fast))
    text = console.export_text()
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") > 2}
    assert "2 of 3" in rows["KernelBench"] and "0.67" in rows["KernelBench"]
    assert "1 of 3" in rows["kernelwright"] and "0.33" in rows["kernelwright"]
    assert "correct by KernelBench: outputs match at the benchmark shape; by kernelwright: accepted" in text


def test_fast_p_both_counts_a_problem_once_however_many_samples_qualify() -> None:
    verdicts = [_verdict("accepted"), _verdict("accepted"), _verdict("rejected", WRONG_FUZZ)]
    block = fast_p_both(verdicts, n_problems=4)
    assert block["strict"]["fast_0"] == 0.25 and block["kernelbench"]["fast_0"] == 0.25
    assert block["kernelbench"]["untimed"] == 0  # the problem has an accepted sample
