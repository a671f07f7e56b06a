"""Measured ceilings of the card: device-to-device copy bandwidth and bf16 matmul rate.

The roofline floor uses measured numbers, not datasheet ones (METHOD.md): on an H100 SXM a copy
moves ~3.0 TB/s counting bytes read plus written, and a 8192^3 bf16 matmul runs ~780-800 TFLOP/s.
"""

from __future__ import annotations

import torch


def _best_ms(fn, reps: int = 20) -> float:  # type: ignore[no-untyped-def]
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    fn()
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(reps):
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        best = min(best, start.elapsed_time(end))
    return best


def _copy_ms(n: int) -> float:
    src = torch.randn(n, device="cuda")
    dst = torch.empty_like(src)
    return _best_ms(lambda: dst.copy_(src))


def _matmul_ms(m: int) -> float:
    a = torch.randn(m, m, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(m, m, device="cuda", dtype=torch.bfloat16)
    return _best_ms(lambda: a @ b, reps=10)


def measure() -> dict[str, float]:
    n = 1 << 28  # 1 GiB of fp32: far past L2, so this is HBM bandwidth
    m = 8192
    copy_ms = _copy_ms(n)
    mm_ms = _matmul_ms(m)
    torch.cuda.empty_cache()
    return {
        "copy_bytes_per_s": 2 * n * 4 / (copy_ms * 1e-3),
        "bf16_flops_per_s": 2 * m**3 / (mm_ms * 1e-3),
    }
