"""KernelBench-style problems (size globals, no fuzz hook, huge defaults, degenerate outputs), issue #15.

The problems are written here in KernelBench's style; none is copied from it. What must hold: a kernel
right only at the benchmark shape is rejected on a problem with no `get_fuzz_inputs`; a problem with
multi-GB default inputs ends in a verdict on this CPU without allocating them; a problem with no way
to make other shapes says so (KW-W005) or, too big for the CPU, is skipped (KW-J003); zeros on a
degenerate problem are not accepted (KW-O005) while the honest kernel is.
"""

from __future__ import annotations

import resource
import types
from pathlib import Path

import pytest
from judge_helpers import PRELUDE, write

from kernelwright.judge import JudgeConfig, judge
from kernelwright.judge.pool import use_pool
from kernelwright.worker import shapes

ROOT = Path(__file__).resolve().parents[1]
CFG = JudgeConfig(seeds=1, fuzz=4, timeout=300, call_timeout=60, compile_timeout=120)

RELU_HEAD = """
import torch
from torch import nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.relu(x)
"""

SMALL = (
    RELU_HEAD
    + """
batch_size = 16
dim = 16384


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return []
"""
)

# 4096 x 393216 fp32 is 6.4 GB per tensor: KernelBench's largest inputs are this big.
HUGE = (
    RELU_HEAD
    + """
batch_size = 4096
dim = 393216


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return []
"""
)

HUGE_LITERAL = (
    RELU_HEAD
    + """

def get_inputs():
    return [torch.randn(4096, 393216)]


def get_init_inputs():
    return []
"""
)

SMALL_LITERAL = (
    RELU_HEAD
    + """

def get_inputs():
    return [torch.randn(64, 1000)]


def get_init_inputs():
    return []
"""
)

# Only ~0.1% of outputs are non-zero and all are below the fp32 tolerance: zeros pass the comparison.
DEGENERATE = """
import torch
from torch import nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.relu(x - 3.0) * 1e-5


batch_size = 16
dim = 16384


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return []
"""

# A Linear layer: in/out features are read by get_init_inputs (the weights), so only batch_size varies.
LINEAR = """
import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)

    def forward(self, x):
        return self.fc(x)


batch_size = 128
in_features = 64
out_features = 32


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features]
"""

CORRECT = (
    PRELUDE
    + """
class ModelNew(nn.Module):
    def forward(self, x):
        return launch(x)
"""
)

SCALED = (
    PRELUDE
    + """
@triton.jit
def scaled_relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, tl.maximum(x - 3.0, 0.0) * 1e-5, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        scaled_relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
"""
)

ZEROS = (
    PRELUDE
    + """
@triton.jit
def zeros_kernel(y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(y_ptr + offs, tl.zeros((BLOCK,), dtype=tl.float32), mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        zeros_kernel[(triton.cdiv(x.numel(), 1024),)](y, x.numel(), BLOCK=1024)
        return y
"""
)


# One step past KW-O005: not exactly constant (a trace of the input), still nothing of the answer.
NEAR_ZEROS = (
    PRELUDE
    + """
@triton.jit
def faint_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=mask, other=0.0) * 1e-12, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        faint_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
        return y
"""
)


def _problem(tmp: Path, name: str, text: str) -> Path:
    path = tmp / f"{name}.py"
    path.write_text(text)
    return path


def _module(text: str) -> types.ModuleType:
    mod = types.ModuleType("kb_problem")
    exec(compile(text, "kb_problem.py", "exec"), mod.__dict__)  # noqa: S102 - our own test problem
    return mod


# -- the derivation itself (no judge) -----------------------------------------------------------------
def test_size_globals_are_those_only_get_inputs_reads() -> None:
    assert shapes.size_globals(_module(SMALL)) == ["batch_size", "dim"]
    assert shapes.size_globals(_module(LINEAR)) == ["batch_size"]  # the weights' sizes stay
    assert shapes.size_globals(_module(SMALL_LITERAL)) == []
    mod = _module(SMALL)
    seen = {tuple(shapes.derived_inputs(mod, s)[0].shape) for s in range(8)}
    assert len(seen) == 8 and (16, 16384) not in seen  # eight other shapes, never the benchmark's
    assert all(b <= 16 and d <= 200 for b, d in seen)
    assert (mod.batch_size, mod.dim) == (16, 16384)  # the globals are put back


def test_huge_inputs_are_sized_without_being_allocated() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    est = shapes.estimate_inputs(_module(HUGE))
    assert est is not None and est[0].device.type == "meta"
    assert shapes.tensor_bytes(est) == 4096 * 393216 * 4  # 6.4 GB
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB: nothing allocated
    assert (
        shapes.estimate_inputs(
            _module(SMALL.replace("torch.randn(batch_size, dim)", "torch.randn(2).cuda()"))
        )
        is None
    )


# -- through the judge --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pool():  # noqa: ANN201 - warm workers for the judgements of this module
    with use_pool(spares=1, references=4) as p:
        yield p


def test_shape_specific_kernel_is_rejected_without_a_fuzz_hook(tmp_path: Path, pool: object) -> None:
    problem = _problem(tmp_path, "kb_relu", SMALL)
    bad = judge(problem, ROOT / "examples/relu_no_mask.py", CFG)
    # out of bounds on a ragged shape: wrong values, or (the interpreter reading past a 3-element
    # buffer) a crash; either way on a derived fuzz case, and never accepted
    assert bad.verdict == "rejected" and bad.category in ("wrong-output", "crash-or-timeout"), bad.reasons
    assert any("fuzz" in r.message for r in bad.reasons)
    assert bad.correctness is not None and bad.correctness.fuzz_source == "derived"
    good = judge(problem, write(tmp_path, "good", CORRECT, prelude=False), CFG)
    assert good.accepted, [r.message for r in good.reasons]
    assert good.correctness is not None and good.correctness.fuzz_cases == 4
    assert any("derived from its size globals (batch_size, dim)" in n for n in good.correctness.notes)


def test_multi_gigabyte_defaults_end_in_a_verdict_on_the_cpu(tmp_path: Path, pool: object) -> None:
    v = judge(_problem(tmp_path, "kb_huge", HUGE), write(tmp_path, "good", CORRECT, prelude=False), CFG)
    assert v.accepted, [r.message for r in v.reasons]
    assert v.correctness is not None and v.correctness.trials == 0 and v.correctness.fuzz_cases == 5
    assert any("1,610,612,736 elements" in n for n in v.correctness.notes)


def test_no_other_shapes_is_said_or_skipped(tmp_path: Path, pool: object) -> None:
    good = write(tmp_path, "good", CORRECT, prelude=False)
    small = judge(_problem(tmp_path, "kb_literal", SMALL_LITERAL), good, CFG)
    assert small.accepted
    assert small.correctness is not None and small.correctness.fuzz_source == "none"
    assert [r.code for r in small.reasons] == ["KW-W005"]  # accepted, and weaker: said, not silent
    huge = judge(_problem(tmp_path, "kb_huge_literal", HUGE_LITERAL), good, CFG)
    assert huge.verdict == "skipped" and [r.code for r in huge.hard_reasons] == ["KW-J003"]


def test_zeros_on_a_degenerate_problem_are_not_accepted(tmp_path: Path, pool: object) -> None:
    problem = _problem(tmp_path, "kb_degenerate", DEGENERATE)
    zeros = judge(problem, write(tmp_path, "zeros", ZEROS, prelude=False), CFG)
    assert zeros.verdict == "rejected" and "KW-O005" in {r.code for r in zeros.reasons}
    assert "KW-O001" not in {r.code for r in zeros.reasons}  # the tolerance alone would have passed it
    faint = judge(problem, write(tmp_path, "faint", NEAR_ZEROS, prelude=False), CFG)
    # not a constant, so not KW-O005; the verdict says the problem cannot tell it from one
    assert faint.accepted and "KW-W006" in {r.code for r in faint.reasons}, faint.reasons
    honest = judge(problem, write(tmp_path, "scaled", SCALED, prelude=False), CFG)
    assert honest.accepted, [r.message for r in honest.reasons]
    # the honest kernel carries the same flags: on this problem no comparison can tell them apart
    assert {"KW-W001", "KW-W006"} <= {r.code for r in honest.reasons}
    assert "KW-W006" not in {
        r.code
        for r in judge(  # and a problem that can tell says nothing
            _problem(tmp_path, "kb_relu", SMALL), write(tmp_path, "good", CORRECT, prelude=False), CFG
        ).reasons
    }
