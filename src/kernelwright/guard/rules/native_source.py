"""C++/CUDA source compiled at run time through ``torch.utils.cpp_extension.load_inline``.

Legitimate (it is how CUDA candidates are written), so `cuda-source` is informational: the judge
needs nvcc for this candidate. The C++ side escapes Python's checks, though, so the strings are
searched for process, network, dynamic-loading and environment calls (cheat 18 done in C++).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from kernelwright.guard.aliases import literal_text
from kernelwright.guard.context import Context
from kernelwright.guard.rules._base import info

CUDA_SOURCE = info(
    "KW-S040",
    "cuda-source",
    "soft",
    None,
    "compiles C++/CUDA source with load_inline/load (needs a compiler, nvcc)",
)
NATIVE_SOURCE_ESCAPE = info(
    "KW-S041",
    "native-source-escape",
    "hard",
    "sandbox",
    "C++/CUDA source calls system/popen/fork/exec/socket/dlopen/getenv or opens /proc",
)

_CUDA_WHY = (
    "fine, but the judge needs a working compiler (nvcc for CUDA) and counts compile failures as "
    "compile-error. Keep the source self-contained."
)
SOURCE_KEYWORDS = ("cpp_sources", "cuda_sources", "sources")
_ESCAPE_RE = re.compile(
    r"\b(system|popen|fork|vfork|execv\w*|execl\w*|posix_spawn\w*|socket|dlopen|getenv|secure_getenv"
    r"|ptrace)\s*\("
    r"|\b(fopen|open|ifstream|ofstream)\s*\(\s*\"/(proc|etc|home|root|tmp)"
    r"|\benviron\b"
)
_CXX_MARKERS = (
    "__global__",
    "__device__",
    "#include",
    "torch::",
    "at::Tensor",
    'extern "C"',
    "PYBIND11_MODULE",
)


def _string_nodes(ctx: Context, node: ast.AST | None, depth: int = 0) -> Iterator[ast.AST]:
    """String literals that make up a sources argument: literals, lists of them, names bound to them."""
    if node is None or depth > 4:
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str) or isinstance(node, ast.JoinedStr):
        yield node
    elif isinstance(node, ast.List | ast.Tuple):
        for elt in node.elts:
            yield from _string_nodes(ctx, elt, depth + 1)
    elif isinstance(node, ast.BinOp):
        yield from _string_nodes(ctx, node.left, depth + 1)
        yield from _string_nodes(ctx, node.right, depth + 1)
    elif isinstance(node, ast.Name):
        for other in ctx.walk():
            if isinstance(other, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == node.id for t in other.targets
            ):
                yield from _string_nodes(ctx, other.value, depth + 1)


def _source_args(call: ast.Call) -> list[ast.AST]:
    args: list[ast.AST] = list(call.args[1:3])
    args += [kw.value for kw in call.keywords if kw.arg in SOURCE_KEYWORDS]
    return args


def check_cuda_source(ctx: Context) -> None:
    """Every ``load_inline`` / ``load`` call: informational, so the judge knows nvcc is needed."""
    for node in ctx.walk():
        if isinstance(node, ast.Call) and ctx.facts.is_load_inline(node):
            has_cuda = any(kw.arg == "cuda_sources" for kw in node.keywords) or len(node.args) >= 3
            kind = "CUDA" if has_cuda else "C++"
            ctx.report(CUDA_SOURCE, node, f"compiles {kind} source at load time: {_CUDA_WHY}")


def _report_escapes(ctx: Context, node: ast.AST, seen: set[tuple[int, str]]) -> None:
    # Search the raw source of the literal so line numbers are exact; fall back to its value.
    text = ast.get_source_segment(ctx.source, node) or literal_text(node)
    for match in _ESCAPE_RE.finditer(text):
        line = getattr(node, "lineno", 1) + text.count("\n", 0, match.start())
        call = match.group(0).rstrip("( ")
        if (line, call) in seen:
            continue
        seen.add((line, call))
        ctx.report(
            NATIVE_SOURCE_ESCAPE,
            node,
            f"the C++/CUDA source uses {call!r}: native code that starts processes, opens sockets, loads "
            "libraries, reads the environment or opens /proc escapes the sandbox. A kernel only computes; "
            "remove it.",
            line=line,
        )


def _looks_like_cxx(text: str) -> bool:
    return any(marker in text for marker in _CXX_MARKERS)


def check_native_source_escape(ctx: Context) -> None:
    """Dangerous libc calls inside sources passed to load_inline, or any string that looks like C++."""
    seen: set[tuple[int, str]] = set()
    for node in ctx.walk():
        if isinstance(node, ast.Call) and ctx.facts.is_load_inline(node):
            for arg in _source_args(node):
                for string in _string_nodes(ctx, arg):
                    _report_escapes(ctx, string, seen)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _looks_like_cxx(node.value):
            _report_escapes(ctx, node, seen)


RULES = [CUDA_SOURCE, NATIVE_SOURCE_ESCAPE]
CHECKS = [check_cuda_source, check_native_source_escape]
