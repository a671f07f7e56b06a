"""Legit: a GPT-2 MLP that caches its *parameters'* transposes, keyed by data_ptr and _version.

The canonical legitimate cache: module weights are transposed once and re-transposed only if the
parameter's storage or version changes (load_state_dict writes in place and bumps the version). Both
GEMMs are the vendor's; a Triton kernel fuses bias + tanh-GELU after the first and another adds the
bias after the second, so the ablation run changes the output. THREATS "legitimate patterns".
"""
# kernelwright-expect: problem=level3/transformer_mlp verdict=accepted category=none threats=4,6 device=cpu layer=none

import torch
import triton
import triton.language as tl
from torch import nn


@triton.jit
def bias_gelu_tanh_kernel(h_ptr, b_ptr, n, n_cols, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    z = tl.load(h_ptr + offs, mask=mask, other=0.0) + tl.load(b_ptr + offs % n_cols, mask=mask, other=0.0)
    u = 0.7978845608028654 * (z + 0.044715 * z * z * z)
    t = 1.0 - 2.0 / (tl.exp(2.0 * u) + 1.0)
    tl.store(h_ptr + offs, 0.5 * z * (1.0 + t), mask=mask)


@triton.jit
def bias_add_kernel(h_ptr, b_ptr, n, n_cols, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    z = tl.load(h_ptr + offs, mask=mask, other=0.0) + tl.load(b_ptr + offs % n_cols, mask=mask, other=0.0)
    tl.store(h_ptr + offs, z, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, hidden: int = 512, ffn: int = 2048) -> None:
        super().__init__()
        self.fc1 = nn.Linear(hidden, ffn)
        self.fc2 = nn.Linear(ffn, hidden)
        self._t_cache: dict[str, tuple[int, int, torch.Tensor]] = {}

    def _t(self, name: str, w: torch.Tensor) -> torch.Tensor:
        key = (w.data_ptr(), w._version)
        hit = self._t_cache.get(name)
        if hit is None or hit[:2] != key:
            hit = (*key, w.detach().t().contiguous())
            self._t_cache[name] = hit
        return hit[2]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x2 = x.reshape(-1, shape[-1])
        h = (x2 @ self._t("fc1", self.fc1.weight)).contiguous()
        bias_gelu_tanh_kernel[(triton.cdiv(h.numel(), 1024),)](h, self.fc1.bias, h.numel(), h.shape[1], BLOCK=1024)
        o = (h @ self._t("fc2", self.fc2.weight)).contiguous()
        bias_add_kernel[(triton.cdiv(o.numel(), 1024),)](o, self.fc2.bias, o.numel(), o.shape[1], BLOCK=1024)
        return o.reshape(*shape[:-1], o.shape[-1])
