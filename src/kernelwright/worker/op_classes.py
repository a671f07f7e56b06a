"""Which PyTorch ops a candidate's forward may run: the classes behind the op policy (no torch here).

The op trace (worker/strict.py) names every aten op forward ran; the judge (judge/session.py
`_check_ops`) decides with these tables. DESIGN "Work, not influence": by default forward may run
no PyTorch op that does the problem's arithmetic. The classes:

- FREE: allocation, views, metadata, copies, dtype casts, fills and random fills. No arithmetic of the
  problem can be done with them, so every policy allows them (the Triton interpreter's own launch
  copies are FREE too).
- MOVE: data movement (cat, gather, index, pad, flip, triu...). No new values, only rearranged ones;
  allowed unless the reference runs the same op (then it is the problem's work, e.g. a gather problem).
- PRODUCT: vendor matrix products and convolutions (cuBLAS/cuDNN). THREATS: "calling a vendor GEMM
  with a custom fused epilogue is legitimate"; the reference-ops check (KW-P004) still rejects a
  forward whose products cover every op the reference runs (a GEMM problem answered by `mm`).
- anything else is COMPUTE: elementwise math, reductions, activations, normalisations, softmax,
  sort... Rejected by default (KW-P006) unless the judge's config allows it by name.
"""

from __future__ import annotations

FREE = frozenset(
    {
        # allocation
        "empty", "empty_like", "empty_strided", "empty_permuted", "new_empty", "new_empty_strided",
        "zeros", "zeros_like", "ones", "ones_like", "full", "full_like", "new_zeros", "new_ones",
        "new_full", "arange", "scalar_tensor", "lift", "lift_fresh", "lift_fresh_copy", "resize_", "set_",
        # fills and random fills (values from nowhere: no work of the problem)
        "fill_", "zero_", "normal_", "uniform_", "random_", "bernoulli_", "exponential_",
        "randn", "rand", "randint", "randn_like", "rand_like", "randint_like", "randperm",
        # views and metadata
        "view", "_unsafe_view", "_reshape_alias", "reshape", "as_strided", "as_strided_", "permute",
        "transpose", "transpose_", "t", "t_", "expand", "unsqueeze", "unsqueeze_", "squeeze", "squeeze_",
        "select", "slice", "detach", "detach_", "alias", "split", "split_with_sizes", "unbind", "chunk",
        "narrow", "flatten", "unflatten", "view_as", "expand_as", "movedim", "moveaxis", "swapaxes",
        "swapdims", "unfold", "view_as_real", "view_as_complex", "resolve_conj", "resolve_neg",
        "sym_size", "sym_stride", "sym_numel", "sym_storage_offset", "size", "stride", "numel", "dim",
        "is_contiguous", "is_same_size", "is_pinned", "requires_grad_", "promote_types", "result_type",
        "_has_compatible_shallow_copy_type", "_local_scalar_dense", "item", "record_stream",
        # copies and casts
        "clone", "contiguous", "copy", "copy_", "_copy_from", "_copy_from_and_resize", "_to_copy", "to",
        "type_as", "pin_memory", "_pin_memory",
    }
)  # fmt: skip

MOVE = frozenset(
    {
        "cat", "concat", "concatenate", "stack", "hstack", "vstack", "index_select", "gather", "index",
        "take", "flip", "roll", "repeat", "repeat_interleave", "tile", "constant_pad_nd", "pad",
        "narrow_copy", "slice_scatter", "select_scatter", "diagonal_scatter", "as_strided_scatter",
        "index_put", "index_put_", "_index_put_impl_", "scatter", "scatter_", "masked_select",
        "tril", "triu", "tril_", "triu_", "embedding",
    }
)  # fmt: skip

# A product op and the reference ops it stands for (for the "every reference op" check, KW-P004):
# addmm computes beta * bias + alpha * (a @ b); the trace adds "gemm_scale" where alpha or beta is not 1.
PRODUCT = {
    "mm": ("mm",), "bmm": ("mm",), "matmul": ("mm",), "mv": ("mm",), "dot": ("mm",), "vdot": ("mm",),
    "_scaled_mm": ("mm",), "addmm": ("mm", "add"), "baddbmm": ("mm", "add"), "addbmm": ("mm", "add"),
    "addmv": ("mm", "add"), "addr": ("mm", "add"), "linear": ("mm", "add"), "_addmm_activation": ("mm", "add"),
    "convolution": ("convolution", "add"), "_convolution": ("convolution", "add"),
    "conv1d": ("convolution", "add"), "conv2d": ("convolution", "add"), "conv3d": ("convolution", "add"),
    "conv_transpose1d": ("convolution", "add"), "conv_transpose2d": ("convolution", "add"),
    "conv_transpose3d": ("convolution", "add"), "cudnn_convolution": ("convolution",),
    "mkldnn_convolution": ("convolution",), "_convolution_mode": ("convolution",),
    "gemm_scale": ("mul",),  # worker/strict.py: addmm & co. with alpha or beta other than 1
}  # fmt: skip

POLICIES = ("default", "strict", "loose")


def canonical(op: str) -> str:
    """`relu_` and `relu` are the same work; `aten::mul.Tensor` is `mul`."""
    return op.removeprefix("aten::").split(".")[0].rstrip("_") or op


def kind(op: str) -> str:
    """free | move | product | compute."""
    name = op.removeprefix("aten::").split(".")[0]
    if name in FREE or canonical(name) in FREE:
        return "free"
    if name in MOVE or canonical(name) in MOVE:
        return "move"
    if canonical(name) in PRODUCT:
        return "product"
    return "compute"


def work(ops: list[str] | tuple[str, ...]) -> set[str]:
    """The reference-level work a list of ops does: products stand for what they compute."""
    out: set[str] = set()
    for op in ops:
        k = kind(op)
        if k == "free":
            continue
        c = canonical(op)
        out.update(PRODUCT[c] if k == "product" else (c,))
    return out
