"""Every reason code the judge and its workers can emit at runtime: one row per code.

The static guard keeps its own table (`kernelwright.guard.RULES`, codes ``KW-Sxxx``); this is the
runtime side. Families: ``KW-C`` compile, ``KW-O`` output, ``KW-P`` passthrough, ``KW-T`` tampering,
``KW-X`` crash, ``KW-E`` timing evasion, ``KW-J`` judge cannot run it, ``KW-W`` warnings (soft),
``KW-R1xx`` sandbox violations and ``KW-R2xx`` tampering seen by the candidate worker's audit hook.

Codes are stable, like the guard's: never renumber one, retire it instead. `RunRecord.add` refuses a
code that has no row here or in the guard's table, so a typo fails the tests instead of reaching a
verdict; tests/test_reason_codes.py checks that every row is unique and documented in docs/JUDGE.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from kernelwright.verdict import Category, Severity


@dataclass(frozen=True)
class CodeInfo:
    """One row: the code, the verdict category it carries (None for warnings), what it means."""

    code: str
    category: Category | None
    meaning: str
    severity: Severity = "hard"


def _row(code: str, category: Category | None, meaning: str, severity: Severity = "hard") -> CodeInfo:
    return CodeInfo(code, category, meaning, severity)


C, O, I, P = (  # noqa: E741 - short names keep the table one row per line
    Category.COMPILE_ERROR,
    Category.WRONG_OUTPUT,
    Category.INPUT_MUTATION,
    Category.REFERENCE_PASSTHROUGH,
)
T, E, S, X, N = (
    Category.TAMPERING,
    Category.TIMING_EVASION,
    Category.SANDBOX,
    Category.CRASH_OR_TIMEOUT,
    Category.NEEDS_CUDA,
)

RUNTIME_CODES: tuple[CodeInfo, ...] = (
    _row("KW-C001", C, "importing the candidate or constructing ModelNew(*get_init_inputs()) raised"),
    _row("KW-C002", C, "the candidate defines no class ModelNew"),
    _row("KW-C003", C, "a kernel failed to compile (Triton compiler or C++/CUDA extension build)"),
    _row("KW-O001", O, "outputs differ from the reference's beyond the tolerance"),
    _row("KW-O002", I, "forward changed an input (inputs are compared bit for bit after every call)"),
    _row("KW-O003", O, "the repeated case gave different outputs on two runs (a race or uninitialised memory)"),
    _row("KW-O004", O, "a timed call gave a wrong answer (every timed call is checked)"),
    _row("KW-O005", O, "a constant output where the reference's is not, on a problem whose tolerance cannot tell"),
    _row("KW-O010", O, "an output is not a plain dense torch.Tensor"),
    _row("KW-P000", P, "no custom kernel ran in forward, or none on the ablation case"),
    _row("KW-P001", P, "with every custom launch skipped (ablation), forward still returns the right answer"),
    _row("KW-P002", P, "a custom launch raised and forward still returned: a fallback path ran"),
    _row("KW-P003", P, "--strict: forward runs PyTorch compute ops"),
    _row("KW-P004", P, "forward runs every PyTorch compute op the reference runs"),
    _row("KW-P005", P, "with every custom launch skipped (ablation), forward raised instead of answering"),
    _row("KW-P006", P, "forward runs PyTorch compute ops the op policy does not allow (default policy)"),
    _row("KW-P007", P, "forward ran PyTorch ops outside the op trace: it switched the trace off or hid the work"),
    _row(
        "KW-P008",
        P,
        "on the CPU, forward is right only when it can read input-derived bytes outside its kernels and "
        "PyTorch ops (NumPy, tolist, ctypes): the work is done there",
    ),
    _row("KW-T001", T, "replaced a function or class the judge captured before the candidate was imported"),
    _row("KW-T002", T, "the result channel was forged or corrupted, or a message was malformed"),
    _row("KW-T003", T, "the worker sent a message the judge did not expect"),
    _row("KW-X001", X, "the worker died: timeout, crash, early exit or over the memory limit"),
    _row("KW-X002", X, "forward crashed on the device (illegal memory access, CUDA error, out of memory)"),
    _row("KW-X003", X, "forward raised an exception"),
    _row("KW-E001", E, "the parent's wall clock does not account for the device time the worker claims"),
    _row("KW-E002", E, "the claimed time is below the roofline floor of this card"),
    _row("KW-E003", E, "host wall time exceeds the device-event time: the events do not bracket the work"),
    _row("KW-J001", N, "a CUDA C++ (load_inline) candidate and no NVIDIA GPU"),
    _row("KW-J003", N, "inputs too big for the CPU interpreter and no smaller shapes to judge it on"),
    _row("KW-J002", S, "this host cannot jail the candidate fully; it was not run (see --allow-weak-sandbox)"),
    _row("KW-W001", None, "degenerate reference: zeros or a constant would pass the tolerance", "soft"),
    _row("KW-W002", None, "a baseline (torch.compile, A-B-A eager) disagrees with eager", "soft"),
    _row("KW-W003", None, "judged in a weaker sandbox than the design's, as --allow-weak-sandbox asked", "soft"),
    _row("KW-W006", None, "the output and the reference's both pass as a constant: the problem cannot tell", "soft"),
    _row("KW-W005", None, "checked at the benchmark shape only: no fuzz cases could be made", "soft"),
    _row("KW-W004", None, "inconclusive, timing repeated: a wall-clock cross-check fired on a busy host", "soft"),
    _row("KW-R100", S, "the sandbox refused an operation and the candidate raised it"),
    _row("KW-R101", S, "file access outside the private directory"),
    _row("KW-R102", S, "starts or signals a process (subprocess, os.system, fork, kill)"),
    _row("KW-R103", S, "network access"),
    _row("KW-R104", S, "ctypes: native escapes"),
    _row("KW-R105", S, "frame or garbage-collector introspection, tracing or audit hooks"),
    _row("KW-R106", S, "threads still running after forward returned"),
    _row("KW-R107", S, "reads a secret-looking environment variable"),
    _row("KW-R201", T, "patches a protected class through object.__setattr__ / __delattr__"),
    _row("KW-R202", T, "makes or runs code under another file's name (code.replace, function.__new__, exec)"),
)  # fmt: skip

RUNTIME: dict[str, CodeInfo] = {row.code: row for row in RUNTIME_CODES}


@cache
def guard_codes() -> frozenset[str]:
    """The static guard's codes (its own table), imported on first use: the guard is the heavier half."""
    from kernelwright.guard import RULES

    return frozenset(r.code for r in RULES)


def is_known(code: str) -> bool:
    """A code with a row in this table or in the guard's."""
    return code in RUNTIME or code in guard_codes()


def worker_violation(code: str, category: str) -> bool:
    """A code the candidate worker may report itself (its audit hook's ``KW-R``), under its own category.

    The parent checks this on every `violation` message: anything else is a malformed message.
    """
    row = RUNTIME.get(code)
    return row is not None and code.startswith("KW-R") and row.category == category
