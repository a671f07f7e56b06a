"""Legit: `@triton.autotune` over a few block sizes, keyed on the element count.

Two configs keyed on the element count, benchmarked by a small candidate-supplied function that
*reads* time.perf_counter (reading a clock is not patching it). Triton's default benchmarker needs a
GPU driver, so a custom do_bench also lets this run on the CPU interpreter. The autotuner's extra
launches are the candidate's own; they must not confuse launch counting or ablation.
"""
# kernelwright-expect: problem=level1/gelu_tanh verdict=accepted category=none threats=2,6 device=cpu layer=none

import statistics
import time

import torch
import triton
import triton.language as tl
from torch import nn


def _bench(kernel_call, quantiles):
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        kernel_call()
        times.append((time.perf_counter() - t0) * 1e3)
    med = statistics.median(times)
    return [med, min(times), max(times)] if quantiles else med


@triton.autotune(
    configs=[
        triton.Config({"BLOCK": 256}, num_warps=2),
        triton.Config({"BLOCK": 1024}, num_warps=4),
    ],
    key=["n"],
    do_bench=_bench,
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
