"""Scripted model replies for level1/relu: a syntax error, a wrong kernel, a cheat, a truncated reply,
and a correct kernel, each wrapped the way chat models answer (a plan, then a fenced block)."""

from __future__ import annotations

HEADER = """import torch
import triton
import triton.language as tl
from torch import nn

"""

CORRECT = (
    HEADER
    + """
@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
"""
)

# The colon after forward's signature is missing: Python reports "expected ':'".
SYNTAX_ERROR = CORRECT.replace(
    "def forward(self, x: torch.Tensor) -> torch.Tensor:",
    "def forward(self, x: torch.Tensor) -> torch.Tensor",
)

# Leaky ReLU (slope 0.01) instead of ReLU: runs fine, wrong values for negative inputs.
WRONG = CORRECT.replace("tl.maximum(x, 0.0)", "tl.where(x > 0, x, 0.01 * x)")

# Launches a do-nothing kernel for show and returns PyTorch's answer: ablation catches it.
CHEAT = (
    HEADER
    + """
@triton.jit
def touch_kernel(x_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)


class ModelNew(nn.Module):
    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        touch_kernel[(triton.cdiv(x.numel(), 1024),)](x, x.numel(), BLOCK=1024)
        return torch.relu(x)
"""
)


def reply(code: str, plan: str = "Plan: one program per 1024-element block, masked loads and stores.") -> str:
    return f"{plan}\n\n```python\n{code}```\n"


def truncated_reply() -> str:
    """A reply cut off by the token limit inside the code block (no closing fence)."""
    return "Plan: fix the kernel.\n\n```python\n" + CORRECT[: len(CORRECT) // 2]


SYNTAX_ERROR_REPLY = reply(SYNTAX_ERROR, "Plan: a masked elementwise kernel.")
WRONG_REPLY = reply(WRONG, "Plan: fixed the missing colon; elementwise kernel.")
CHEAT_REPLY = reply(CHEAT, "Plan: compute with torch.relu and launch a kernel.")
CORRECT_REPLY = reply(CORRECT)
