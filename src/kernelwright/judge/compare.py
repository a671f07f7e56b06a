"""Trusted comparison of candidate outputs with expected outputs. Runs only in the parent.

Reports mismatches the way Liger's `assert_verbose_allclose` and fla's `get_err_ratio` do: first bad
indices, NaN/Inf positions, max abs and rel error, and a scale-free relative-RMS error.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

import torch

from kernelwright.judge.tolerances import Tolerance, resolve


@dataclass
class Mismatch:
    ok: bool
    message: str = ""
    max_abs: float = 0.0
    max_rel: float = 0.0
    rel_rms: float = 0.0
    bad: int = 0
    first_bad: list[tuple[int, ...]] = field(default_factory=list)


def _idx(flat_index: int, shape: torch.Size) -> tuple[int, ...]:
    out = []
    for dim in reversed(shape):
        out.append(flat_index % dim if dim else 0)
        flat_index //= dim if dim else 1
    return tuple(reversed(out))


def _compare_device(numel: int) -> torch.device:
    """The parent is trusted, so it may use the GPU: a 33M-element float64 check takes ~3 s on the
    CPU and milliseconds on an H100. Small tensors stay on the CPU (no CUDA context needed)."""
    if numel >= 1 << 20 and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def _on_compare_device(t: torch.Tensor) -> torch.Tensor:
    """`t` as float64 on the compare device: moved in its own dtype, converted there. (`.to(cuda,
    float64)` converted on the host first: 1.3 s of an H200 verdict went to that.)"""
    return t.to(_compare_device(t.numel())).to(torch.float64)


def compare_tensor(expected: torch.Tensor, actual: object, tol: Tolerance, where: str) -> Mismatch:
    if type(actual) is not torch.Tensor:
        return Mismatch(False, f"{where}: got {type(actual).__name__}, expected a plain torch.Tensor")
    if actual.layout is not torch.strided:
        return Mismatch(False, f"{where}: layout {actual.layout}, expected a dense strided tensor")
    if actual.shape != expected.shape:
        return Mismatch(False, f"{where}: shape {tuple(actual.shape)}, expected {tuple(expected.shape)}")
    if actual.dtype != expected.dtype:
        return Mismatch(False, f"{where}: dtype {actual.dtype}, expected {expected.dtype}")
    if expected.numel() == 0:
        return Mismatch(True)
    exp, act = _on_compare_device(expected), _on_compare_device(actual)
    exp_nan, act_nan = torch.isnan(exp), torch.isnan(act)
    exp_inf, act_inf = torch.isinf(exp), torch.isinf(act)
    nonfinite_bad = (exp_nan != act_nan) | (act_inf & (act != exp)) | (exp_inf & (act != exp))
    both_finite = torch.isfinite(exp) & torch.isfinite(act)
    diff = torch.where(both_finite, (act - exp).abs(), torch.zeros_like(exp))
    rel = diff / exp.abs().clamp_min(max(tol.atol, 1e-12))  # near-zero expectations: relative to atol
    bad = nonfinite_bad | (both_finite & (diff > tol.atol + tol.rtol * exp.abs()))
    n_bad = int(bad.sum())
    max_abs = float(diff.max())
    max_rel = float(torch.where(both_finite, rel, torch.zeros_like(rel)).max())
    denom = float(exp[both_finite].pow(2).mean().sqrt()) if both_finite.any() else 0.0
    rel_rms = float(diff[both_finite].pow(2).mean().sqrt()) / denom if denom > 0 else 0.0
    if n_bad == 0:
        return Mismatch(True, max_abs=max_abs, max_rel=max_rel, rel_rms=rel_rms)
    flat = bad.reshape(-1).nonzero().reshape(-1)[:5].cpu().tolist()
    firsts = [_idx(i, expected.shape) for i in flat]
    shown = ", ".join(
        f"{list(ix)}: got {act.reshape(-1)[i].item():.6g}, expected {exp.reshape(-1)[i].item():.6g}"
        for ix, i in zip(firsts, flat, strict=True)
    )
    n_nan = int((act_nan & ~exp_nan).sum())
    n_inf = int((act_inf & ~exp_inf).sum())
    extra = (f"; {n_nan} NaN" if n_nan else "") + (f"; {n_inf} Inf" if n_inf else "")
    msg = (
        f"{where}: {n_bad} of {expected.numel()} elements differ beyond {tol.describe()} "
        f"(max abs err {max_abs:.3g}, max rel err {max_rel:.3g}, rel-RMS err {rel_rms:.3g}{extra}); "
        f"first at {shown}"
    )
    return Mismatch(False, msg, max_abs, max_rel, rel_rms, n_bad, firsts)


def compare_outputs(
    expected: list[torch.Tensor], actual: list, override: dict | None, where: str
) -> list[Mismatch]:
    if len(actual) != len(expected):
        return [Mismatch(False, f"{where}: {len(actual)} outputs, expected {len(expected)}")]
    return [
        compare_tensor(
            e, a, resolve(e.dtype, override), f"{where} output {i}" if len(expected) > 1 else where
        )
        for i, (e, a) in enumerate(zip(expected, actual, strict=True))
    ]


def all_match(expected: list[torch.Tensor], actual: list, override: dict | None, where: str) -> bool:
    """Every output within tolerance of the expected one."""
    return all(m.ok for m in compare_outputs(expected, actual, override, where))


def inputs_unchanged(original: list, after: list) -> str:
    """'' when every input tensor is bit-identical to what the reference generated (THREATS #9)."""
    for i, (o, a) in enumerate(zip(original, after, strict=False)):
        if o is None:
            continue
        if isinstance(o, dict):  # a large input: both workers sent its digest (worker/common.py)
            if not isinstance(a, dict) or (a.get("shape"), a.get("dtype")) != (o["shape"], o["dtype"]):
                return f"input {i} was replaced or reshaped"
            if a.get("sha256") != o["sha256"]:
                return (
                    f"input {i} was modified in place (its {o['numel']} elements differ, compared by SHA-256)"
                )
            continue
        if type(a) is not torch.Tensor or a.shape != o.shape or a.dtype != o.dtype:
            return f"input {i} was replaced or reshaped"
        same = (
            torch.equal(torch.nan_to_num(o, nan=0.0), torch.nan_to_num(a, nan=0.0))
            if o.is_floating_point()
            else torch.equal(o, a)
        )
        if not same or (o.is_floating_point() and not torch.equal(torch.isnan(o), torch.isnan(a))):
            changed = int((o != a).sum()) if o.numel() else 0
            return f"input {i} was modified in place ({changed} of {o.numel()} elements changed)"
    return ""


# degenerate() per tensor and tolerance: every case asks it of the same expected outputs twice
# (constant_where_reference_is_not and cannot_tell), and on the CPU it cost 6.7 s of an H200 verdict.
# Keyed by id() and dropped with the tensor (a WeakKeyDictionary compares tensors with ==).
_DEGENERATE: dict[int, dict[str, str]] = {}


def degenerate(expected: torch.Tensor, override: dict | None) -> str:
    """Warn when zeros or a constant would pass the tolerance (THREATS #20)."""
    if not expected.is_floating_point() or expected.numel() < 2:
        return ""
    key = repr(sorted((override or {}).items()))
    seen = _DEGENERATE.get(id(expected))
    if seen is None:
        seen = _DEGENERATE[id(expected)] = {}
        weakref.finalize(expected, _DEGENERATE.pop, id(expected), None)
    if key not in seen:
        seen[key] = _degenerate(expected, override)
    return seen[key]


def _degenerate(expected: torch.Tensor, override: dict | None) -> str:
    tol = resolve(expected.dtype, override)
    exp = _on_compare_device(expected)
    finite = exp[torch.isfinite(exp)]
    if finite.numel() == 0:
        return "the reference output has no finite values"
    if bool(((exp.abs() <= tol.atol + tol.rtol * exp.abs()) | ~torch.isfinite(exp)).all()):
        return "an all-zero output passes the tolerance: the reference output is tiny"
    const = finite.mean()
    if bool(((exp - const).abs() <= tol.atol + tol.rtol * exp.abs()).all()):
        return f"a constant output ({float(const):.4g}) passes the tolerance: the reference output is near-constant"
    return ""


def _is_constant(t: torch.Tensor) -> bool:
    return bool((t == t.reshape(-1)[0]).all())


def _tolerance_cannot_tell(expected: Any, got: Any, override: dict | None) -> bool:
    """Same-shape float outputs where the reference's varies, yet a constant passes its tolerance.

    Not when the reference's output is exactly one value: then a constant is the right answer (and
    on a tiny fuzz case, ReLU of three negative numbers, it is mere chance).
    """
    if not isinstance(expected, torch.Tensor) or not isinstance(got, torch.Tensor):
        return False
    if got.shape != expected.shape or not got.is_floating_point() or expected.numel() < 2:
        return False
    return bool(degenerate(expected, override)) and not _is_constant(expected)  # cached one first


def constant_where_reference_is_not(expected: Any, got: Any, override: dict | None) -> str:
    """A candidate output that is one value everywhere, where the reference's is not, on a problem
    whose tolerance lets a constant pass (THREATS #20): the tolerance cannot tell, so this does.

    An honest kernel on such a problem (KernelBench's Matmul-Subtract-Multiply-ReLU: most outputs are
    zero) still returns the reference's few non-zero values; returning zeros everywhere does not.
    """
    if not _tolerance_cannot_tell(expected, got, override):
        return ""
    first = got.reshape(-1)[0]
    if not bool(torch.isfinite(first)) or not _is_constant(got):
        return ""
    return (
        f"every element is {float(first):.4g} while the reference's output is not constant; a constant "
        "passes this problem's tolerance, so the comparison alone cannot tell (degenerate problem)"
    )


def cannot_tell(expected: Any, got: Any, override: dict | None) -> bool:
    """Both outputs pass the tolerance as a constant: the comparison says nothing about the kernel."""
    return _tolerance_cannot_tell(expected, got, override) and bool(degenerate(got, override))
