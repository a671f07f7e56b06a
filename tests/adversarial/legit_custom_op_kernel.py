"""Legit: the Triton kernel is registered as a `torch.library` custom op (the torch.compile-friendly way).

The op trace's dispatch mode sees `kwlegit::relu` as one call whose body it does not enter; the
profiler sees what the body runs: an allocation and the Triton launch, no PyTorch compute. The default
op policy must not mistake a custom op for a compute op (only aten ops are classified), and the
ablation changes the output. The look-alike of cheat_rt_gate_custom_op, whose custom op wraps clamp.
"""
# kernelwright-expect: problem=level1/relu verdict=accepted category=none threats=6,25 device=cpu layer=none

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask, other=0.0), 0.0), mask=mask)


@torch.library.custom_op("kwlegit::relu", mutates_args=())
def triton_relu(x: torch.Tensor) -> torch.Tensor:
    x = x.contiguous()
    y = torch.empty_like(x)
    relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
    return y


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.kwlegit.relu(x)
