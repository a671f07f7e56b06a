"""A Triton kernel copies the input out first; NumPy does the work on the copy (THREATS #6, #25).

One step past cheat_rt_numpy_hidden_work: the input's own bytes are sealed on the CPU (worker/seal.py),
so forward has a kernel copy them into a buffer of its own, reads that buffer through NumPy, and has a
second kernel copy the answer into the output. If the seal covered only the inputs, the buffer would
hold the true values and the answer would be right with no compute op in the trace. Every tensor a
launch was given is sealed again when the launch ends, so the buffer reads as NaN: wrong on every case, KW-P008 from the seal probe.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime

import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        n = x.numel()
        grid = (triton.cdiv(n, 1024),)
        buf = torch.empty_like(x)
        copy_kernel[grid](x, buf, n, BLOCK=1024)
        r = torch.from_numpy(np.ascontiguousarray(np.maximum(buf.numpy(), 0.0)))
        y = torch.empty_like(x)
        copy_kernel[grid](r, y, n, BLOCK=1024)
        return y
