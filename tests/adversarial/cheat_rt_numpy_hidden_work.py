"""The work is done in NumPy, invisible to the op trace; a Triton copy kernel only moves the answer
(THREATS #6, #25: "hides ops from the trace").

forward converts the input to a NumPy array, computes `np.maximum(a, 0)` there, and a Triton kernel
copies that result into the output buffer. The TorchDispatchMode op log sees no compute op at all (so
even `--strict` has nothing to name), the launch ledger sees a custom launch every call, and the
ablation (launch skipped) leaves the NaN-poisoned output, so the output changes. The kernel does no
arithmetic of the problem: this is PyTorch-side passthrough by another library and should be
rejected as reference passthrough.

On a GPU the same file must copy the input to the host first (`.cpu()`), which the op trace records
as `copy_to_host` (worker/strict.py: a device-to-host copy of 1024 elements or more), a compute op
under the default policy (KW-P006). On the CPU there is no copy to see, so the bytes are hidden
instead (worker/seal.py): outside kernels and PyTorch ops the input reads as NaN, NumPy computes NaN,
and the copy kernel copies it: every case is wrong, and the seal probe (the same case run open)
is right, so it is named KW-P008. One step further:
cheat_rt_seal_copy_then_numpy (a kernel copies the input out first) and cheat_rt_seal_clone_then_numpy
(a PyTorch copy does).
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
        a = x.detach().contiguous().cpu().numpy()
        r = torch.from_numpy(np.ascontiguousarray(np.maximum(a, 0.0))).to(x.device)
        y = torch.empty_like(x)
        n = x.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](r, y, n, BLOCK=1024)
        return y
