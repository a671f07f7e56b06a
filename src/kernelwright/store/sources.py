"""Small pure helpers over kernel/problem source text, shared by the store and the export.

Why a *normalised* hash: agents resubmit the same kernel with a comment changed or a blank line
added; for training data those are one example, not two.
"""

from __future__ import annotations

import ast
import hashlib
import re

_CUDA_HINTS = re.compile(r"load_inline|__global__|cpp_extension|<<<")
_TRITON_HINTS = re.compile(r"^\s*(import triton|from triton\b)|@triton\.(jit|autotune)", re.MULTILINE)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def detect_language(source: str) -> str:
    """``"cuda"`` for inline CUDA C++, ``"triton"`` for Triton kernels, else ``"pytorch"``."""
    if _CUDA_HINTS.search(source):
        return "cuda"
    if _TRITON_HINTS.search(source):
        return "triton"
    return "pytorch"


def normalize_source(source: str) -> str:
    """Source with comments, blank lines and formatting differences removed.

    Python that parses is round-tripped through ``ast.unparse`` (drops comments, normalises quotes and
    spacing); anything else loses ``#``/``//`` full-line comments, trailing whitespace and blank lines.
    """
    try:
        return ast.unparse(ast.parse(source))
    except (SyntaxError, ValueError, RecursionError):
        lines = []
        for line in source.splitlines():
            stripped = line.rstrip()
            if not stripped or stripped.lstrip().startswith(("#", "//")):
                continue
            lines.append(stripped)
        return "\n".join(lines)


def normalized_sha256(source: str) -> str:
    return sha256_text(normalize_source(source))
