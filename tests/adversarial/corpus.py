"""The adversarial corpus: reading each file's expectation header, and judging a file.

Every `cheat_*.py` / `legit_*.py` file here is a complete candidate that starts with a docstring and
one header line:

    # kernelwright-expect: problem=level1/relu verdict=rejected category=tampering threats=2 device=cpu layer=runtime

Fields:
  problem   bundled problem id (resolved under kernelwright.problem.bundled_dir())
  verdict   accepted | rejected | skipped
  category  a verdict category, or `none` when accepted; `a|b` when either is right (the judge's
            secret choices, such as where the ablation runs, decide which check fires first)
  threats   THREATS.md rows exercised, comma separated
  device    cpu (runs in CI on the Triton interpreter) | cuda (needs an NVIDIA GPU)
  layer     guard (a static-guard hard finding must reject it) | runtime (the guard must NOT reject it,
            so the sandboxed run is what catches it) | none (legitimate files)
  side-effect   optional: an absolute path the cheat tries to create; it must not exist afterwards
  call-timeout  optional: the judge's per-call timeout for this file, in seconds (for hangs)
  xfail-reason  optional, always last: the rest of the line. The expectation above is what SHOULD
            happen; the judge currently gets it wrong for the reason given (a known judge bug).

Used by tests/test_adversarial.py, scripts/detection_table.py and scripts/kernelguard_compare.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
HEADER = re.compile(r"^#\s*kernelwright-expect:\s*(?P<body>.*)$", re.MULTILINE)
REQUIRED = ("problem", "verdict", "category", "threats", "device", "layer")
VERDICTS = {"accepted", "rejected", "skipped"}
CATEGORIES = {
    "none", "compile-error", "wrong-output", "input-mutation", "reference-passthrough", "tampering",
    "timing-evasion", "sandbox", "crash-or-timeout", "needs-cuda",
}  # fmt: skip


@dataclass(frozen=True)
class Expect:
    path: Path
    problem: str
    verdict: str
    category: str  # "none" when accepted
    threats: tuple[int, ...]
    device: str
    layer: str
    xfail_reason: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def legit(self) -> bool:
        return self.path.name.startswith("legit_")

    @property
    def category_or_none(self) -> str | None:
        """The expected category (the first of several: for display)."""
        return None if self.category == "none" else self.category.split("|")[0]

    def allows(self, verdict: str, category: str | None) -> bool:
        """Whether a verdict meets this expectation (any of the `a|b` categories)."""
        wanted = {None if c == "none" else c for c in self.category.split("|")}
        return verdict == self.verdict and category in wanted

    def problem_path(self) -> Path:
        from kernelwright.problem import bundled_dir

        return bundled_dir() / f"{self.problem}.py"


def parse(path: Path) -> Expect:
    text = path.read_text(encoding="utf-8")
    m = HEADER.search(text)
    if not m:
        raise ValueError(f"{path.name}: no '# kernelwright-expect:' header line")
    body = m.group("body").strip()
    xfail = ""
    if "xfail-reason=" in body:
        body, xfail = body.split("xfail-reason=", 1)
        xfail = xfail.strip()
    fields: dict[str, str] = {}
    for tok in body.split():
        if "=" not in tok:
            raise ValueError(f"{path.name}: malformed header token {tok!r}")
        k, v = tok.split("=", 1)
        fields[k] = v
    missing = [k for k in REQUIRED if k not in fields]
    if missing:
        raise ValueError(f"{path.name}: header lacks {', '.join(missing)}")
    if fields["verdict"] not in VERDICTS or not set(fields["category"].split("|")) <= CATEGORIES:
        raise ValueError(f"{path.name}: bad verdict/category {fields['verdict']}/{fields['category']}")
    if fields["device"] not in ("cpu", "cuda") or fields["layer"] not in ("guard", "runtime", "none"):
        raise ValueError(f"{path.name}: bad device/layer {fields['device']}/{fields['layer']}")
    threats = tuple(int(t) for t in fields["threats"].split(",") if t and t != "none")
    extra = {k: v for k, v in fields.items() if k not in REQUIRED}
    return Expect(
        path,
        fields["problem"],
        fields["verdict"],
        fields["category"],
        threats,
        fields["device"],
        fields["layer"],
        xfail,
        extra,
    )


def files() -> list[Path]:
    return sorted(p for p in HERE.glob("*.py") if p.name.startswith(("cheat_", "legit_")))


def expectations() -> list[Expect]:
    return [parse(p) for p in files()]


def corpus_config(expect: Expect | None = None, **overrides: Any) -> Any:
    """The JudgeConfig the corpus is judged with: defaults, with tighter per-call timeouts."""
    from kernelwright.judge import JudgeConfig

    base: dict[str, Any] = {"timeout": 300.0, "compile_timeout": 90.0, "call_timeout": 60.0}
    if expect is not None and "call-timeout" in expect.extra:
        base["call_timeout"] = float(expect.extra["call-timeout"])
    base.update(overrides)
    return JudgeConfig(**base)


def caught_by(verdict: Any) -> str:
    """Which layer rejected it: the static guard's hard codes, or the runtime's reason codes."""
    hard = [r for r in verdict.reasons if r.severity == "hard"]
    if not hard:
        return "-"
    guard = sorted({r.code for r in hard if r.code.startswith("KW-S")})
    if guard:
        return "guard " + ",".join(guard)
    return "runtime " + ",".join(dict.fromkeys(r.code for r in hard))
