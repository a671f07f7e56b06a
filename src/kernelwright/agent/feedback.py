"""Turning a verdict's reasons into feedback a model can act on: which inputs failed, and its own code.

Two things a rejection message needs that the judge's text does not always carry:

- **The failing case's inputs.** The judge names cases by label (``fuzz:3``, ``seed:0``); a model
  cannot rebuild ``get_fuzz_inputs(3)`` in its head. :class:`CaseInputs` maps labels to shapes and
  dtypes from the problem's description (the same probe the prompt's "Inputs" section comes from),
  and :func:`annotate` writes them next to the first mention of each label. When a reason carries its
  own structured case (a ``case`` field with ``inputs``, planned on the judge side), that wins.
- **Its own traceback frames.** A crash's evidence is mostly the worker, torch and the Triton
  interpreter; the candidate's line is one frame among ten and the tail cut often drops it.
  :func:`lean_traceback` keeps the candidate's frames and every exception line, and replaces each run
  of harness frames by one "[N frames omitted]" line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

# `case fuzz:3`, `case fuzz:3#0` (the worker's per-call suffix), `on case seed:0`.
CASE_RE = re.compile(r"\bcase (?P<label>(?P<kind>seed|fuzz|timed):(?P<seed>\d+))(?P<suffix>#\d+)?")
_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+), in (?P<func>.+)$')
_FRAGMENT = re.compile(r'^\S*", line \d+, in \S+$')  # a frame line cut in half by a tail limit
# Frames from these places are the harness, not the candidate: kernelwright's workers, the Python
# standard library and installed packages (torch, triton's interpreter), frozen importlib.
_HARNESS = ("/kernelwright/", "site-packages/", "dist-packages/", "/lib/python3", "<frozen ")
CANDIDATE_NAMES = frozenset({"candidate.py", "model_new.py"})


def _is_harness(path: str) -> bool:
    return any(h in path for h in _HARNESS)


def _short_path(path: str) -> str:
    """The candidate's file as the model knows it: the sandbox's temporary folder says nothing."""
    name = PurePosixPath(path).name
    return "candidate.py" if name in CANDIDATE_NAMES else name


def lean_traceback(text: str, limit: int = 1500) -> str:
    """`text` with harness frames dropped (counted), the candidate's frames and exception lines kept.

    Lines repeated verbatim (the worker's log tail often repeats the traceback) appear once. The
    result keeps its tail when longer than `limit`: the final exception is at the end.
    """
    lines = text.strip("\n").splitlines()
    out: list[str] = []
    seen: set[str] = set()
    dropped = 0

    def flush() -> None:
        nonlocal dropped
        if dropped:
            out.append(
                f"  [{dropped} frame{'s' if dropped > 1 else ''} of kernelwright, torch, triton or Python omitted]"
            )
            dropped = 0

    i = 0
    while i < len(lines):
        line = lines[i]
        frame = _FRAME.match(line)
        if frame or (i == 0 and _FRAGMENT.match(line.strip())):
            j = i + 1  # the frame's source line and caret markers are indented deeper
            while j < len(lines) and lines[j].startswith("    ") and not _FRAME.match(lines[j]):
                j += 1
            if frame and not _is_harness(frame["path"]):
                flush()
                out.append(f'  File "{_short_path(frame["path"])}", line {frame["line"]}, in {frame["func"]}')
                out.extend(lines[i + 1 : j])
            else:
                dropped += 1
            i = j
            continue
        flush()
        stripped = line.strip()
        # Exception lines and prose repeated by the log tail add nothing the second time.
        if stripped and stripped in seen and not stripped.startswith("Traceback"):
            i += 1
            continue
        if stripped:
            seen.add(stripped)
        if stripped or (out and out[-1].strip()):
            out.append(line)
        i += 1
    flush()
    result = "\n".join(out).strip("\n")
    return result if len(result) <= limit else "…" + result[-limit:]


def looks_like_traceback(text: str) -> bool:
    return "Traceback (most recent call last)" in text or bool(_FRAME.search(text.split("\n", 1)[0]))


@dataclass
class CaseInputs:
    """Input shapes per case label, from the problem's description.

    ``fuzz:N`` is ``get_fuzz_inputs(N)``; ``seed:N`` and ``timed:N`` use ``get_inputs()`` shapes with
    fresh values. Shapes depend only on the label, so the description's answer is the judge's, whatever
    the judge's per-run value seed (which the label does not carry).
    """

    benchmark: str | None = None
    fuzz: dict[int, str] = field(default_factory=dict)

    @classmethod
    def from_task(cls, inputs: str | None, fuzz: list[str]) -> CaseInputs:
        return cls(benchmark=inputs, fuzz=dict(enumerate(fuzz)))

    def describe(self, kind: str, seed: int) -> str | None:
        if kind == "fuzz":
            shapes = self.fuzz.get(seed)
            return f"get_fuzz_inputs({seed}): {shapes}" if shapes and shapes != "unknown" else None
        if self.benchmark and self.benchmark != "unknown":
            return f"get_inputs() shapes, value seed {seed}: {self.benchmark}"
        return None


def _structured_case(reason: Any) -> str | None:
    """Inputs from a reason's own `case` field, when the judge provides one (dict or model)."""
    case = getattr(reason, "case", None)
    if case is None:
        return None
    data: Mapping[str, Any] = case if isinstance(case, Mapping) else getattr(case, "__dict__", {})
    inputs = data.get("inputs")
    if not inputs:
        return None
    parts = []
    for i, t in enumerate(inputs):
        if isinstance(t, Mapping) and "shape" in t:
            parts.append(f"arg{i}: {t.get('dtype', '?')}[{', '.join(map(str, t['shape']))}]")
        elif isinstance(t, Mapping):
            parts.append(f"arg{i} = {t.get('value', t.get('repr', '?'))}")
    seed = data.get("salt", data.get("value_seed"))
    label = data.get("label", "")
    head = f"get_fuzz_inputs({data.get('seed')})" if str(label).startswith("fuzz") else "inputs"
    return f"{head}: {'; '.join(parts)}" + (f", value seed {seed}" if seed is not None else "")


def annotate(message: str, cases: CaseInputs | None, reason: Any = None) -> str:
    """`message` with the inputs of each case it names written after the first mention of that case."""
    structured = _structured_case(reason) if reason is not None else None
    done: set[str] = set()

    def add(m: re.Match[str]) -> str:
        label = m["label"]
        rest = message[m.end() : m.end() + 9]
        if label in done or rest.lstrip().startswith("(inputs"):  # the judge said it already
            return m.group(0)
        first = not done  # a reason's own case is the first one it names
        done.add(label)
        text = structured if structured and first else None
        if text is None and cases is not None:
            text = cases.describe(m["kind"], int(m["seed"]))
        return f"case {label} ({text})" if text else m.group(0)

    return CASE_RE.sub(add, message)


def case_labels(message: str) -> list[str]:
    """Case labels named in a message, in order, once each."""
    return list(dict.fromkeys(m["label"] for m in CASE_RE.finditer(message)))
