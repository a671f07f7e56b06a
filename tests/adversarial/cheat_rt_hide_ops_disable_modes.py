"""Switches the op trace off from inside forward (THREATS #25: "hides ops from the trace").

forward computes `torch.relu(x)` (exactly the reference's op) inside
`torch.utils._python_dispatch._disable_current_modes()`, which pops every active TorchDispatchMode for
the duration. Outside the judge's op log nothing changes; inside it, relu is never logged, so the
"forward runs every reference op" check (KW-P004) and `--strict` see only the gate's `mul`. A
one-element gate kernel multiplies the answer by 1.0 so the ablation output changes. The judge should
reject this as reference passthrough.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,25 device=cpu layer=runtime

import importlib

import torch
import triton
import triton.language as tl
from torch import nn


def _n(s: str) -> str:
    return "".join(reversed(s))


_pd = importlib.import_module(_n("hctapsid_nohtyp_.slitu.hcrot"))
_off = getattr(_pd, _n("sedom_tnerruc_elbasid_"))


@triton.jit
def gate_kernel(g_ptr):
    tl.store(g_ptr, 1.0)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.empty(1, dtype=x.dtype, device=x.device)
        gate_kernel[(1,)](gate)
        with _off():
            y = torch.relu(x)
        return y * gate
