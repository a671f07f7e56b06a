"""Extracting the candidate file from a model's reply.

The system prompt asks for one fenced ```python block holding the whole file. Models do not always
comply: they add a usage example in a second block, answer in bare code, think aloud in <think> tags,
or run out of tokens mid-block. The rules, in order:

1. `<think>...</think>` spans are dropped (reasoning models put drafts there).
2. Fenced blocks (``` or ~~~, tag python/py/python3 or none) are collected. The last one that defines
   `class ModelNew` wins; a block with another language tag (cpp, cuda, bash) is never the file.
3. An unclosed fence is a truncated reply: a parse failure, unless an earlier complete block already
   defines ModelNew.
4. No fences at all: if the text defines `class ModelNew`, the code is taken from its first line that
   looks like Python (import, from, decorator, class, def, comment, docstring).

A failure is returned, never raised: it becomes feedback for the model's next turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_THINK = re.compile(r"<think>.*?(</think>|\Z)", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<tag>[\w+.-]*)[^\n`]*$")
_MODELNEW = re.compile(r"^\s*class\s+ModelNew\b", re.MULTILINE)
_PY_START = re.compile(r"^(import |from \S+ import |@|class |def |#|\"\"\"|''')")
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


@dataclass(frozen=True)
class ParseResult:
    source: str | None
    error: str | None = None
    blocks: int = 0
    note: str | None = None  # e.g. "3 code blocks; took the last that defines ModelNew"

    @property
    def ok(self) -> bool:
        return self.source is not None


def fenced_blocks(text: str) -> list[Block]:
    """Every fenced block in order; a fence left open at the end becomes one unclosed block."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, tag = m.group("fence"), m.group("tag")
        body: list[str] = []
        j = i + 1
        closed = False
        while j < len(lines):
            stripped = lines[j].strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
                closed = True
                break
            body.append(lines[j])
            j += 1
        blocks.append(Block(tag, "\n".join(body).strip("\n") + "\n", closed))
        i = j + 1
    return blocks


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
        note = None
        if len(blocks) > 1:
            note = f"{len(blocks)} code blocks; took the last complete one that defines ModelNew"
        return ParseResult(complete[-1].code, None, len(blocks), note)
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
