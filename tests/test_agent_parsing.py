"""Extracting the candidate file from model replies: fences, several blocks, none, truncation."""

from __future__ import annotations

from kernelwright.agent.parsing import extract_candidate, fenced_blocks

FILE = "import torch\nfrom torch import nn\n\n\nclass ModelNew(nn.Module):\n    def forward(self, x):\n        return x\n"
HELPER = "def helper():\n    return 1\n"


def test_python_fence() -> None:
    r = extract_candidate(f"Plan: do it.\n\n```python\n{FILE}```\nDone.")
    assert r.ok and r.source == FILE and r.blocks == 1 and r.error is None


def test_py_and_plain_fences() -> None:
    assert extract_candidate(f"```py\n{FILE}```").source == FILE
    assert extract_candidate(f"```\n{FILE}```").source == FILE
    assert extract_candidate(f"~~~python\n{FILE}~~~\n").source == FILE


def test_several_blocks_prefer_last_defining_modelnew() -> None:
    first = FILE.replace("return x", "return x + 0")
    text = f"Draft:\n```python\n{first}```\nBetter:\n```python\n{FILE}```\nUsage:\n```python\n{HELPER}```\n"
    r = extract_candidate(text)
    assert r.source == FILE
    assert r.blocks == 3 and "last complete one" in (r.note or "")


def test_other_language_blocks_are_not_the_file() -> None:
    text = f"```cuda\n__global__ void k() {{}}\n```\n```python\n{FILE}```"
    assert extract_candidate(text).source == FILE
    r = extract_candidate("```cpp\nint main() {}\n```")
    assert not r.ok and "no ```python block" in (r.error or "")


def test_block_without_modelnew_is_a_parse_error() -> None:
    r = extract_candidate(f"```python\n{HELPER}```")
    assert not r.ok and "ModelNew" in (r.error or "")


def test_missing_fences_but_python_with_modelnew() -> None:
    r = extract_candidate(f"Here is the file.\n{FILE}")
    assert r.ok and r.source == FILE and "no code fences" in (r.note or "")


def test_prose_only_is_a_parse_error() -> None:
    r = extract_candidate("I cannot do this, sorry.")
    assert not r.ok and "no code found" in (r.error or "")


def test_truncated_reply_unclosed_fence() -> None:
    r = extract_candidate("Plan.\n```python\n" + FILE[:40], truncated=True)
    assert not r.ok
    assert "cut off" in (r.error or "") and "output-token limit" in (r.error or "")


def test_unclosed_trailing_block_after_a_complete_file_keeps_the_file() -> None:
    r = extract_candidate(f"```python\n{FILE}```\nAnd a test:\n```python\nimport torch\nx = torch")
    assert r.ok and r.source == FILE


def test_empty_reply_and_think_tags() -> None:
    assert not extract_candidate("").ok
    draft = FILE.replace("return x", "return None")
    r = extract_candidate(f"<think>maybe\n```python\n{draft}```\n</think>\nFinal:\n```python\n{FILE}```")
    assert r.source == FILE


def test_fenced_blocks_closing_fence_needs_same_char() -> None:
    blocks = fenced_blocks("~~~python\nx = '```'\n```\ny = 1\n~~~\n")
    assert len(blocks) == 1 and blocks[0].closed and "y = 1" in blocks[0].code


# -- the three reply shapes of issue 16 -----------------------------------------------------------
TRITON_FILE = (
    "import torch\nimport triton\nimport triton.language as tl\nfrom torch import nn\n\n\n"
    "@triton.jit\ndef k(x_ptr, n, BLOCK: tl.constexpr):\n    pass\n\n\n"
    "class ModelNew(nn.Module):\n    def forward(self, x):\n        k[(1,)](x, x.numel(), BLOCK=128)\n"
    "        return x\n"
)


def test_complete_file_missing_only_its_closing_fence() -> None:
    r = extract_candidate(f"Plan: one kernel.\n\n```python\n{TRITON_FILE}")
    assert r.ok and r.source == TRITON_FILE
    assert "no closing fence" in (r.note or "")
    # the same reply cut by the token limit is still a truncation, not a file
    assert not extract_candidate(f"```python\n{TRITON_FILE}", truncated=True).ok
    # an unclosed block that does not parse is a truncated reply
    assert not extract_candidate(f"```python\n{TRITON_FILE}    def more(self,\n").ok


def test_fence_indented_inside_a_list() -> None:
    indented = "".join(f"   {line}\n" if line else "\n" for line in TRITON_FILE.splitlines())
    reply = f"Steps:\n\n1. Write the kernel.\n2. The file:\n\n   ```python\n{indented}   ```\n\n3. Done.\n"
    r = extract_candidate(reply)
    assert r.ok and r.source == TRITON_FILE


def test_pytorch_only_simpler_alternative_placed_last_is_not_the_answer() -> None:
    simple = FILE.replace("return x", "return torch.relu(x)")
    reply = (
        f"Here is the Triton version:\n```python\n{TRITON_FILE}```\n"
        f"A simpler alternative, if you prefer plain PyTorch:\n```python\n{simple}```\n"
    )
    r = extract_candidate(reply)
    assert r.ok and r.source == TRITON_FILE and "PyTorch only" in (r.note or "")
