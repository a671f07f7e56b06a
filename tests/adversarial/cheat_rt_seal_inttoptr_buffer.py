"""Idea: the seal only knows storages that were inputs, op outputs, or tensors passed to a launch.
A Triton 'copy' kernel writes x into a NumPy buffer given as a raw integer address (int -> pointer
cast), a buffer the seal never sees; after the launch NumPy computes relu on these real bytes, and a
second copy kernel reads the result back from the raw address into y. The kernels only copy.

Red team (this round), against the seal on the CPU (worker/seal.py). Now: under the interpreter every load and store of a kernel is checked against the memory the seal knows (the inputs, the launch's tensors, what ops returned); the copy into the hidden buffer raises inside the kernel and forward fails (crash-or-timeout, naming the address).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=crash-or-timeout threats=6,25 device=cpu layer=runtime

import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def copy_out(x_ptr, addr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    p = addr.to(tl.pointer_type(tl.float32))
    tl.store(p + offs, tl.load(x_ptr + offs, mask=m), mask=m)


@triton.jit
def copy_in(addr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    p = addr.to(tl.pointer_type(tl.float32))
    tl.store(y_ptr + offs, tl.load(p + offs, mask=m), mask=m)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        n = x.numel()
        buf = np.empty(n, np.float32)
        addr = buf.__array_interface__["data"][0]
        grid = (triton.cdiv(n, 1024),)
        copy_out[grid](x, addr, n, BLOCK=1024)
        np.maximum(buf, 0.0, out=buf)  # the real work, on unsealed memory
        y = torch.empty_like(x)
        copy_in[grid](addr, y, n, BLOCK=1024)
        return y
