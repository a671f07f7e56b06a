"""A Python kernel for aten.clone on the CPU key via OpOverload.py_impl (the Python dispatcher's
table, not torch.library): _dispatch_dump does not list it, so the seal's python_kernel check misses
it and the genuine aten op opens the seal while NumPy does the relu. A copy kernel passes ablation.

Red team, second round against the seal (worker/seal.py), after the first round's fixes. Now: no opening around an op while the Python dispatcher is on or when it has a `py_impl` kernel beyond torch's own decompositions; KW-P008 from the seal probe.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime

import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn
from torch._C import DispatchKey
from torch._dispatch.python import enable_python_dispatcher


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=m), mask=m)


_ARMED = []


@torch.ops.aten.clone.default.py_impl(DispatchKey.CPU)
def _clone(x, memory_format=None):
    out = np.maximum(x.numpy(), 0.0)
    return torch.from_numpy(out)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        with enable_python_dispatcher():
            y = x.clone()
        out = torch.empty_like(x)
        n = x.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](y, out, n, BLOCK=1024)
        return out
