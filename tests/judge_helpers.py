"""Small candidates for the judge's own tests, built around one real Triton ReLU kernel."""

from __future__ import annotations

from pathlib import Path

from kernelwright.judge import JudgeConfig, judge
from kernelwright.problem import bundled_dir
from kernelwright.verdict import Verdict

RELU = bundled_dir() / "level1" / "relu.py"
FAST = JudgeConfig(fuzz=4, seeds=1, timeout=120, call_timeout=30, compile_timeout=60)

PRELUDE = """
import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask, other=0.0), 0.0), mask=mask)


def launch(x, y=None):
    x = x.contiguous()
    y = torch.empty_like(x) if y is None else y
    relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
    return y
"""


def write(tmp: Path, name: str, body: str, prelude: bool = True) -> Path:
    path = tmp / f"{name}.py"
    path.write_text((PRELUDE if prelude else "") + body)
    return path


def run(
    tmp: Path,
    body: str,
    problem: Path = RELU,
    config: JudgeConfig = FAST,
    name: str = "cand",
    prelude: bool = True,
) -> Verdict:
    return judge(problem, write(tmp, name, body, prelude), config)


def codes(v: Verdict) -> set[str]:
    return {r.code for r in v.reasons}
