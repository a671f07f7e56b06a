"""Honest while the op trace watches, PyTorch while it does not: the timed calls (THREATS #5, #25).

The op trace is a dispatch mode on the stack (`torch._C._len_torch_dispatch_stack()`) and a running
profiler, which forward can see. The judge traces every correctness call (worker/candidate.py), so a
forward that computes honestly whenever it is watched is honest on every call the CPU checks; the
timed calls on a GPU are not traced (a trace would distort the time), and here forward answers them
with `torch.clamp` times a one-element gate, while every timed output is still right. One step weaker,
a trace of one call only (the judge before this change), let this forward use PyTorch on every other
correctness call as well. What would catch it: the custom kernels' share of device time in the timed
calls (`timing.custom_kernel_share`, today a report), or timed calls the forward cannot tell apart
from traced ones.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=5,6,25 device=cuda layer=runtime xfail-reason=timed calls are not op-traced and the custom kernels' device-time share is only reported, so a forward that is honest whenever a dispatch mode is on the stack and uses torch.clamp times a gate kernel otherwise is accepted with PyTorch's timing

import torch
import triton
import triton.language as tl
from torch import nn

_depth = getattr(torch._C, "_len_torch" + "_dispatch_stack")


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask, other=0.0), 0.0), mask=mask)


@triton.jit
def gate_kernel(g_ptr):
    tl.store(g_ptr, 1.0)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _depth():
            x = x.contiguous()
            y = torch.empty_like(x)
            relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
            return y
        gate = torch.empty(1, dtype=x.dtype, device=x.device)
        gate_kernel[(1,)](gate)
        return torch.clamp(x, min=0.0) * gate
