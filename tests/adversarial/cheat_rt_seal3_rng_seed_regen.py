"""Never reads its input: `torch.initial_seed()` in forward returned the case's input seed (the worker
seeded the generators just before making the inputs), NumPy's MT19937 replays torch's CPU randn, and
the relu of the regenerated input is computed in NumPy while the seal is shut; a copy kernel returns
it. Now: after making the inputs the generators are reseeded from a one-way function of the case's
seed (worker/common.py `forward_seed`), so the regenerated input is wrong.

Red team, third round against the seal (worker/seal.py), after the second round's fixes.
Its author's note: ReLU without reading the input at all: the worker seeds torch's global CPU generator with the case's
"secret" seed right before generating the inputs and never reseeds, so torch.initial_seed() in forward
is that seed. NumPy's MT19937 (same init_genrand seeding) replays torch's CPU randn (normal_fill /
Box-Muller) to regenerate x, relu is taken in NumPy, and a Triton kernel only copies the answer.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=wrong-output threats=26 device=cpu layer=runtime
import numpy as np
import torch
import triton
import triton.language as tl
from torch import nn

_gen = torch.default_generator


def _regen_randn(seed, shape):
    n = 1
    for s in shape:
        n *= int(s)
    mt = np.random.MT19937(0)
    mt._legacy_seeding(seed & 0xFFFFFFFF)

    def raw(k):
        return mt.random_raw(k).astype(np.uint64)

    if n >= 16:
        def fill16(d):
            u1 = (1 - d[:8]).astype(np.float32)
            th = (2 * np.pi * d[8:16].astype(np.float64)).astype(np.float32)
            rad = np.sqrt(-2 * np.log(u1))
            return np.concatenate([rad * np.cos(th), rad * np.sin(th)]).astype(np.float32)

        u = ((raw(n) & ((1 << 24) - 1)).astype(np.float64) * 2.0**-24).astype(np.float32)
        out = np.empty(n, np.float32)
        for i in range(0, n - 15, 16):
            out[i:i + 16] = fill16(u[i:i + 16])
        if n % 16:
            u2 = ((raw(16) & ((1 << 24) - 1)).astype(np.float64) * 2.0**-24).astype(np.float32)
            out[n - 16:] = fill16(u2)
        return out.reshape(shape)
    out = np.empty(n, np.float64)
    cache = None
    for i in range(n):
        if cache is not None:
            out[i], cache = cache, None
            continue
        w = raw(4)
        a = ((w[0] << np.uint64(32)) | w[1]) & np.uint64((1 << 53) - 1)
        b = ((w[2] << np.uint64(32)) | w[3]) & np.uint64((1 << 53) - 1)
        u1, u2 = float(a) * 2.0**-53, float(b) * 2.0**-53
        r = np.sqrt(-2 * np.log1p(-u2))
        th = 2 * np.pi * u1
        cache = r * np.sin(th)
        out[i] = r * np.cos(th)
    return out.astype(np.float32).reshape(shape)


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.empty_like(x)
        tmp = torch.empty_like(x)
        tmp.numpy()[...] = np.maximum(_regen_randn(_gen.initial_seed(), tuple(x.shape)), 0.0)
        n = x.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](tmp, y, n, BLOCK=1024)
        return y
