"""Leaves data in /dev/shm and a SysV-style trail for a later run (THREATS #23, #27).

Writes a marker file into /dev/shm under a computed path, and a POSIX message queue name through
/dev/mqueue when present. Inside the jail /dev/shm is a private tmpfs that dies with the judgement,
so the host's /dev/shm must stay clean; the audit hook should also name the write outside the
worker's directory (KW-R101).
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=sandbox threats=23,27 device=cpu layer=runtime side-effect=/dev/shm/kw_rt_shm_marker

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=mask)


def _leave() -> None:
    base = "/".join(["", "dev", "shm", ""])
    for name in ("kw_rt_shm_marker",):
        try:
            with open(base + name, "w") as h:
                h.write("left behind by a candidate\n")
        except OSError:
            pass


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _leave()
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
