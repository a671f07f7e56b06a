"""Performance lessons: what changed between an accepted kernel and a faster accepted child of it.

Why from the source and not from a model's explanation: the change is a fact both files show (kernels
fused, autotuning added, block sizes, tensor-core dots, lower-precision loads), while a model's plan
may describe what it meant to do. A lesson is stored only when the child is measurably faster (both
timed on the same machine by the same judge) and at least one such change explains it; "rewrote the
kernel" teaches nothing, so it is not stored.
"""

from __future__ import annotations

import re
from collections import Counter

MIN_GAIN = 1.05  # a child less than 5% faster is within run-to-run noise of the judge's medians

_KERNEL = re.compile(r"@triton\.jit|__global__\s+void")
_AUTOTUNE = re.compile(r"@triton\.autotune")
_HEURISTICS = re.compile(r"@triton\.heuristics")
_BLOCK = re.compile(r"\b(BLOCK[_A-Z0-9]*)\s*[=:]\s*(?:tl\.constexpr\s*=\s*)?(\d+)")
_WARPS = re.compile(r"num_warps\s*=\s*(\d+)")
_STAGES = re.compile(r"num_stages\s*=\s*(\d+)")
_FEATURES = {
    "tensor-core matmuls (tl.dot)": re.compile(r"\btl\.dot\b"),
    "a persistent grid (programs loop over tiles)": re.compile(r"tl\.num_programs\s*\("),
    "16-bit loads or math (fp16/bf16)": re.compile(
        r"tl\.(float16|bfloat16)|\.half\(\)|torch\.(float16|bfloat16)"
    ),
    "alignment hints (tl.multiple_of / tl.max_contiguous)": re.compile(r"tl\.(multiple_of|max_contiguous)"),
    "cache eviction hints": re.compile(r"eviction_policy\s*="),
    "CUDA C++ (load_inline)": re.compile(r"load_inline"),
    "shared-memory tiling (__shared__)": re.compile(r"__shared__"),
}


def _values(pattern: re.Pattern[str], source: str) -> list[str]:
    return sorted(set(pattern.findall(source)), key=lambda v: (len(v), v))


def _blocks(source: str) -> dict[str, str]:
    found: dict[str, list[str]] = {}
    for name, value in _BLOCK.findall(source):
        found.setdefault(name, []).append(value)
    # The most frequent value per name: a launch's BLOCK=..., not one autotune config among many.
    return {name: Counter(vals).most_common(1)[0][0] for name, vals in found.items()}


def changes(slow: str, fast: str, slow_launches: int = 0, fast_launches: int = 0) -> list[str]:
    """What differs between two kernel files, in words; empty when nothing recognisable changed."""
    out: list[str] = []
    ks, kf = len(_KERNEL.findall(slow)), len(_KERNEL.findall(fast))
    if fast_launches and slow_launches and fast_launches < slow_launches:
        out.append(f"fusing work into fewer launches ({slow_launches} -> {fast_launches} per forward)")
    elif kf < ks:
        out.append(f"fusing {ks} kernels into {kf}")
    for label, pattern in (("@triton.autotune", _AUTOTUNE), ("@triton.heuristics", _HEURISTICS)):
        if pattern.search(fast) and not pattern.search(slow):
            out.append(f"adding {label}")
    bs, bf = _blocks(slow), _blocks(fast)
    for name in sorted(set(bs) & set(bf)):
        if bs[name] != bf[name]:
            out.append(f"{name} {bs[name]} -> {bf[name]}")
    for label, pattern in (("num_warps", _WARPS), ("num_stages", _STAGES)):
        a, b = _values(pattern, slow), _values(pattern, fast)
        if a != b and b:
            out.append(f"{label} {'/'.join(a) or 'default'} -> {'/'.join(b)}")
    for label, pattern in _FEATURES.items():
        if pattern.search(fast) and not pattern.search(slow):
            out.append(f"using {label}")
    return out


def performance_lesson(
    slow: str,
    fast: str,
    slow_speedup: float | None,
    fast_speedup: float | None,
    *,
    slow_launches: int = 0,
    fast_launches: int = 0,
) -> str | None:
    """A `try` lesson when `fast` beats `slow` by MIN_GAIN and the difference is recognisable."""
    if not slow_speedup or not fast_speedup or fast_speedup < slow_speedup * MIN_GAIN:
        return None
    found = changes(slow, fast, slow_launches, fast_launches)
    if not found:
        return None
    return (
        f"faster ({slow_speedup:.2f}x -> {fast_speedup:.2f}x over the stronger baseline) after "
        + "; ".join(found[:5])
    )
