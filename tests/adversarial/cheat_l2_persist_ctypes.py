"""Sets a persisting-L2 carve-out through the CUDA runtime via ctypes (THREATS #16, #18).

On a GPU, `cudaDeviceSetLimit(cudaLimitPersistingL2CacheSize, ...)` plus an access-policy window
keeps the inputs resident in L2 across the judge's flushes. Reaching the CUDA runtime from Python
needs ctypes, imported here by a computed name so the static guard sees only a computed import. The
RUNTIME catches it on any device: ctypes.dlopen is an audited event the policy refuses for candidate
code (KW-R104 sandbox). The error is swallowed and the kernel is correct; the report stands.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=sandbox threats=16,18 device=cpu layer=runtime

import torch
import triton
import triton.language as tl
from torch import nn


def _n(s: str) -> str:
    return "".join(reversed(s))


def _persist_l2() -> None:
    try:
        ct = __import__(_n("sepytc"))
        rt = getattr(ct, _n("LLDC"))(_n("21.os.traducbil"))
        rt.cudaDeviceSetLimit(0x06, 64 << 20)  # cudaLimitPersistingL2CacheSize
    except Exception:  # noqa: BLE001
        pass


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=mask)


def _relu(x: torch.Tensor) -> torch.Tensor:
    x = x.contiguous()
    y = torch.empty_like(x)
    relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), BLOCK=1024)
    return y


class ModelNew(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        _persist_l2()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _relu(x)
