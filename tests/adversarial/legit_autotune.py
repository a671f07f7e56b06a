"""Legit: `@triton.autotune` over a few block sizes, keyed on the element count.

The autotuner benchmarks its configs (on the first call per key) through Triton's own benchmarking
on the GPU; it must not be mistaken for timer tampering, and its extra launches are the candidate's
own. On the CPU the judge's worker gives the autotuner a wall-clock benchmarker (Triton has no active
driver under the interpreter), so this runs in CI too; legit_autotune_own_bench.py brings its own.
"""
# kernelwright-expect: problem=level1/gelu_tanh verdict=accepted category=none threats=2,6 device=cpu layer=none

import torch
import triton
import triton.language as tl
from torch import nn


@triton.autotune(
    configs=[
        triton.Config({"BLOCK": 256}, num_warps=2),
        triton.Config({"BLOCK": 1024}, num_warps=4),
    ],
    key=["n"],
)
@triton.jit
def gelu_tanh_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    u = 0.7978845608028654 * (x + 0.044715 * x * x * x)
    t = 1.0 - 2.0 / (tl.exp(2.0 * u) + 1.0)
    tl.store(y_ptr + offs, 0.5 * x * (1.0 + t), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        gelu_tanh_kernel[lambda meta: (triton.cdiv(n, meta["BLOCK"]),)](x, y, n)
        return y
