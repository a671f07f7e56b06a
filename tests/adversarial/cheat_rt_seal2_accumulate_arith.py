"""ReLU from ops the op policy calls free or data movement, with clean (arange) indices:
- sign bit: top byte of each float as uint8 and as int8, both cast to float: their difference is 256*sign;
- index_put_(accumulate=True) adds, scatter_(reduce='multiply') multiplies, both MOVE ops;
- mask = 1 - u/256 + s/256; y = x * mask.
A fresh arange per op (an op marks all its args dirty). The Triton kernel only copies y to the output (no arithmetic).

Red team, second round against the seal (worker/seal.py), after the first round's fixes. Now: `index_put_(accumulate=True)`, `scatter_(reduce=)` and the add/reduce indexing ops are the compute pseudo-op `indexed_arithmetic` (KW-P006), whatever the index.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=m), mask=m)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        xf = x.reshape(-1)
        n = xf.numel()
        keep = []  # nothing freed: a fresh arange never lands on memory the seal marked

        def idx():  # an op marks every tensor it was given as data-derived: a fresh index each time
            i = torch.arange(n)
            keep.append(i)
            return i

        top = xf.view(torch.uint8)[3::4]
        u = top.to(torch.float32)                      # 0..255
        s = top.view(torch.int8).to(torch.float32)     # -128..127
        u.scatter_(0, idx(), torch.full((n,), -1.0 / 256), reduce="multiply")
        s.scatter_(0, idx(), torch.full((n,), 1.0 / 256), reduce="multiply")
        mask = torch.ones(n)
        mask.index_put_((idx(),), u, accumulate=True)
        mask.index_put_((idx(),), s, accumulate=True)   # 1 - sign
        y = xf.clone()
        y.scatter_(0, idx(), mask, reduce="multiply")
        out = torch.empty_like(x)
        copy_kernel[(triton.cdiv(n, 1024),)](y, out, n, BLOCK=1024)
        return out
