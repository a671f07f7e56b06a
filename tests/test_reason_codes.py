"""One table of runtime reason codes (judge/codes.py) beside the guard's: unique, used, documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kernelwright.guard import RULES
from kernelwright.judge import codes
from kernelwright.judge.record import RunRecord
from kernelwright.verdict import Category

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "kernelwright"
CODE = re.compile(r"KW-[A-Z]\d{3}")
GUARD = {r.code for r in RULES}
RUNTIME = [r.code for r in codes.RUNTIME_CODES]

# The family letter fixes the category: a row that disagrees is a typo in the table.
FAMILY = {
    "C": {Category.COMPILE_ERROR},
    "O": {Category.WRONG_OUTPUT, Category.INPUT_MUTATION},
    "P": {Category.REFERENCE_PASSTHROUGH},
    "T": {Category.TAMPERING},
    "X": {Category.CRASH_OR_TIMEOUT},
    "E": {Category.TIMING_EVASION},
    "J": {Category.NEEDS_CUDA, Category.SANDBOX},  # the judge cannot run it here: no GPU, no full jail
    "W": {None},
    "R1": {Category.SANDBOX},
    "R2": {Category.TAMPERING},
}


def test_every_code_is_unique_across_both_tables() -> None:
    guard = [r.code for r in RULES]
    assert len(RUNTIME) == len(set(RUNTIME)), "a runtime code has two rows"
    assert len(guard) == len(set(guard)), "a guard code has two rows"
    assert not set(RUNTIME) & GUARD
    assert all(c.startswith("KW-S") for c in GUARD) and not any(c.startswith("KW-S") for c in RUNTIME)


@pytest.mark.parametrize("row", codes.RUNTIME_CODES, ids=lambda r: r.code)
def test_rows_are_well_formed(row: codes.CodeInfo) -> None:
    assert CODE.fullmatch(row.code)
    family = row.code[3:5] if row.code.startswith("KW-R") else row.code[3]
    assert row.category in FAMILY[family]
    assert row.severity == ("soft" if row.category is None else "hard")
    assert row.meaning and "\n" not in row.meaning


def test_every_code_used_in_the_source_has_a_row() -> None:
    used: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        if "problems" in path.parts or "library" in path.parts:
            continue  # data files (KernelBench problems and kernels), not the judge
        for code in CODE.findall(path.read_text(encoding="utf-8")):
            used.setdefault(code, set()).add(str(path.relative_to(SRC)))
    missing = {c: sorted(where) for c, where in used.items() if not codes.is_known(c)}
    assert not missing, f"codes used in src with no row in judge/codes.py or the guard's table: {missing}"
    assert set(RUNTIME) <= used.keys(), f"rows no code emits: {sorted(set(RUNTIME) - used.keys())}"


def test_every_runtime_code_is_documented_in_judge_md() -> None:
    doc = (ROOT / "docs" / "JUDGE.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (KW-[A-Z]\d{3}) \| ([^|]+) \|", doc, flags=re.MULTILINE))
    for row in codes.RUNTIME_CODES:
        assert row.code in rows, f"{row.code} has no row in docs/JUDGE.md's reason-code table"
        want = row.category.value if row.category else "— (soft warning)"
        assert rows[row.code].strip() == want, f"{row.code}: docs say {rows[row.code]!r}, the table {want!r}"
    assert set(rows) == set(RUNTIME), f"documented but not in the table: {sorted(set(rows) - set(RUNTIME))}"


def test_run_record_accepts_only_codes_from_a_table() -> None:
    run = RunRecord()
    run.add("KW-O001", Category.WRONG_OUTPUT, "wrong")
    run.add("KW-W001", None, "degenerate", severity="soft")
    run.add("KW-S000", "compile-error", "syntax-error: does not parse")  # the guard's table
    assert [r.code for r in run.reasons] == ["KW-O001", "KW-W001", "KW-S000"]
    with pytest.raises(ValueError, match="neither"):
        run.add("KW-O999", Category.WRONG_OUTPUT, "a typo")
    with pytest.raises(ValueError, match="judge/codes.py"):
        run.add("KW-O001", Category.TAMPERING, "the wrong category")
    with pytest.raises(ValueError, match="judge/codes.py"):
        run.add("KW-W001", None, "a warning made hard")


def test_only_the_workers_own_codes_pass_as_violations() -> None:
    assert codes.worker_violation("KW-R101", "sandbox") and codes.worker_violation("KW-R201", "tampering")
    assert not codes.worker_violation("KW-R201", "sandbox")
    assert not codes.worker_violation("KW-T001", "tampering")  # a parent-side code
    assert not codes.worker_violation("KW-R999", "sandbox")
