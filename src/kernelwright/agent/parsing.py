"""Extracting the candidate file from a model's reply.

The system prompt asks for one fenced ```python block holding the whole file. Models do not always
comply: they add a usage example or a "simpler alternative" in another block, put the fence inside a
numbered list, answer in bare code, think aloud in <think> tags, forget the closing fence, or run out
of tokens mid-block. The rules, in order:

1. `<think>...</think>` spans are dropped (reasoning models put drafts there).
2. Fenced blocks are found by a CommonMark parser (markdown-it-py), so a fence indented inside a list
   item is found and its indentation removed, and ``` / ~~~ fences nest the way Markdown says.
   A block tagged with another language (cpp, cuda, bash) is never the file.
3. Among the Python blocks that define `class ModelNew`, the last one whose code uses custom kernels
   (Triton or CUDA) wins; a PyTorch-only "simpler alternative" placed after it is not the answer.
   Without such a block, the last one defining ModelNew wins.
4. A fence left open at the end: when the reply was not cut off by the token limit and the block is
   a complete Python file (it parses) that defines ModelNew, it is the file (the model only forgot
   the closing fence). Otherwise it is a truncated reply: a parse failure, unless an earlier complete
   block already defines ModelNew.
5. No fences at all: if the text defines `class ModelNew`, the code is taken from its first line that
   looks like Python (import, from, decorator, class, def, comment, docstring).

A failure is returned, never raised: it becomes feedback for the model's next turn.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

_THINK = re.compile(r"<think>.*?(</think>|\Z)", re.DOTALL | re.IGNORECASE)
_MODELNEW = re.compile(r"^\s*class\s+ModelNew\b", re.MULTILINE)
_PY_START = re.compile(r"^(import |from \S+ import |@|class |def |#|\"\"\"|''')")
# Custom kernels: a Triton kernel, or CUDA C++ built inline (what the judge calls "custom launches").
_CUSTOM = re.compile(r"@triton\.(jit|autotune)|\btriton\.jit\b|load_inline|cpp_extension|\bcupy\b")
PYTHON_TAGS = frozenset({"", "python", "py", "python3", "py3"})


@dataclass(frozen=True)
class Block:
    tag: str
    code: str
    closed: bool

    @property
    def is_python(self) -> bool:
        return self.tag.lower() in PYTHON_TAGS

    @property
    def defines_modelnew(self) -> bool:
        return bool(_MODELNEW.search(self.code))

    @property
    def uses_custom_kernels(self) -> bool:
        return bool(_CUSTOM.search(self.code))

    @property
    def parses(self) -> bool:
        try:
            ast.parse(self.code)
        except (SyntaxError, ValueError):
            return False
        return True


@dataclass(frozen=True)
class ParseResult:
    source: str | None
    error: str | None = None
    blocks: int = 0
    note: str | None = None  # e.g. "3 code blocks; took the last that defines ModelNew"

    @property
    def ok(self) -> bool:
        return self.source is not None


@cache
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    # CommonMark only: no HTML rendering is wanted, just the block structure.
    return MarkdownIt("commonmark")


def fenced_blocks(text: str) -> list[Block]:
    """Every fenced block in order; a fence left open at the end becomes one unclosed block."""
    lines = text.splitlines()
    blocks: list[Block] = []
    for tok in _markdown().parse(text):
        if tok.type != "fence" or tok.map is None:
            continue
        start, end = tok.map
        # markdown-it runs an unclosed fence to the end of its container; the block is closed only
        # when its last line is a fence of the same character, at least as long as the opening one.
        last = lines[end - 1].strip() if end - 1 > start and end - 1 < len(lines) else ""
        marker = tok.markup
        closed = bool(last) and set(last) == {marker[0]} and len(last) >= len(marker)
        tag = (tok.info or "").strip().split(maxsplit=1)[0] if (tok.info or "").strip() else ""
        blocks.append(Block(tag, tok.content.strip("\n") + "\n", closed))
    return blocks


def _pick(candidates: list[Block]) -> tuple[Block, str | None]:
    """The block that is the answer: the last one using custom kernels, else the last one."""
    custom = [b for b in candidates if b.uses_custom_kernels]
    chosen = custom[-1] if custom else candidates[-1]
    why = None
    if custom and chosen is not candidates[-1]:
        why = "took the last one with Triton/CUDA kernels (a later block is PyTorch only)"
    return chosen, why


def extract_candidate(reply: str, truncated: bool = False) -> ParseResult:
    """The candidate file in `reply`, or a failure that says what was wrong with the reply."""
    text = _THINK.sub("", reply or "")
    if not text.strip():
        why = " (the reply hit the output-token limit)" if truncated else ""
        return ParseResult(
            None, f"the reply was empty{why}: answer with one ```python block holding the file"
        )
    blocks = fenced_blocks(text)
    if not blocks:
        return _unfenced(text, truncated)
    python = [b for b in blocks if b.is_python]
    complete = [b for b in python if b.closed and b.defines_modelnew]
    open_block = next((b for b in blocks if not b.closed), None)
    if (
        open_block is not None
        and open_block.is_python
        and not truncated
        and open_block.defines_modelnew
        and open_block.parses
    ):
        complete.append(open_block)  # a whole file that only lacks its closing fence
        opened = True
    else:
        opened = False
    if open_block is not None and not complete:
        lines = open_block.code.count("\n")
        return ParseResult(
            None,
            (
                f"the reply was cut off inside a code block (no closing fence after {lines} lines"
                f"{', output-token limit reached' if truncated else ''}): send the whole file again, shorter if "
                "needed, in one complete ```python block"
            ),
            len(blocks),
        )
    if complete:
        chosen, picked = _pick(complete)
        notes = []
        if len(blocks) > 1:
            notes.append(
                picked or f"{len(blocks)} code blocks; took the last complete one that defines ModelNew"
            )
        if opened and chosen is open_block:
            notes.append("the code block had no closing fence; the file is complete, so it was used")
        return ParseResult(chosen.code, None, len(blocks), "; ".join(notes) or None)
    if not python:
        tags = ", ".join(sorted({b.tag or "?" for b in blocks}))
        return ParseResult(
            None,
            f"no ```python block in the reply (found blocks tagged: {tags}); the whole "
            "file, CUDA sources included as strings, goes in one ```python block",
            len(blocks),
        )
    return ParseResult(
        None,
        "no code block in the reply defines `class ModelNew(nn.Module)`: the file must "
        "define ModelNew with the same constructor signature as Model",
        len(blocks),
    )


def _unfenced(text: str, truncated: bool) -> ParseResult:
    if not _MODELNEW.search(text):
        return ParseResult(
            None,
            "no code found in the reply: answer with one ```python block holding the "
            "whole file, which defines `class ModelNew`",
        )
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _PY_START.match(line)), 0)
    code = "\n".join(lines[start:]).strip("\n") + "\n"
    note = "no code fences; took the reply as Python from its first code line"
    if truncated:
        return ParseResult(
            None,
            "the reply hit the output-token limit before the file was complete: send "
            "the whole file again in one ```python block",
        )
    return ParseResult(code, None, 0, note)
