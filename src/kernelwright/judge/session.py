"""Parent-side driving of one candidate worker: every message it sends is checked here.

The worker only reports; this class decides. It compares each case's outputs with the reference's,
checks the inputs came back untouched, checks that custom kernels ran and did the work (ablation),
and hands timed calls to the timing evidence, which checks every one of them too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from kernelwright.errors import WorkerProtocolError
from kernelwright.judge import codes, compare
from kernelwright.judge.record import Expected, RunRecord
from kernelwright.sandbox.channel import load_tensors
from kernelwright.verdict import Category
from kernelwright.worker import op_classes
from kernelwright.worker.protocol import (
    FROM_CANDIDATE,
    Ablation,
    BadOutput,
    Built,
    Case,
    CaseResult,
    Contract,
    Done,
    Kind,
    Raised,
    Ready,
    SealProbe,
    Share,
    Starting,
    Strict,
    Tampered,
    Timed,
    TimingPlan,
    Values,
    Violation,
)

if TYPE_CHECKING:
    from kernelwright.judge.config import JudgeConfig
    from kernelwright.judge.timing import TimingEvidence
    from kernelwright.sandbox.launch import Worker

COMPILE_ERROR_MODULES = ("triton.compiler", "triton.language", "torch.utils.cpp_extension")
COMPILE_ERROR_TYPES = ("CompilationError", "CompileTimeAssertionFailure", "UnsupportedLanguageConstruct")

# A handler gets the decoded message and the frame's payload; True ends the session.
Handler = Callable[["CandidateSession", Any, Any], bool]  # (session, message, payload bytes)


def classify_error(msg: Raised) -> tuple[str, Category, str]:
    """(code, category, message) for an exception the candidate raised at some stage."""
    stage, etype, module = msg.stage, msg.type, msg.module
    text = f"{etype}: {msg.message}".strip()
    if msg.message.startswith("kernelwright sandbox:"):
        return "KW-R100", Category.SANDBOX, f"{stage}: {text}"
    if stage in ("import", "init"):
        what = "importing the candidate" if stage == "import" else "constructing ModelNew(*get_init_inputs())"
        return "KW-C001", Category.COMPILE_ERROR, f"{what} raised {text}"
    if (
        module.startswith(COMPILE_ERROR_MODULES)
        or etype in COMPILE_ERROR_TYPES
        or "Error building extension" in text
    ):
        return "KW-C003", Category.COMPILE_ERROR, f"a kernel failed to compile: {text}"
    if "illegal memory access" in text or "CUDA error" in text or "out of memory" in text.lower():
        return "KW-X002", Category.CRASH_OR_TIMEOUT, f"forward crashed on the device: {text}"
    where = f" on case {msg.case}" if msg.case else ""
    return "KW-X003", Category.CRASH_OR_TIMEOUT, f"forward raised{where}: {text}"


class CandidateSession:
    """Reads the candidate worker's messages until it is done, or something ends the judgement early.

    Every message goes through `HANDLERS` (kind -> method). A kind with no handler, or one not
    expected in this run (timed calls without a timing plan), is tampering (KW-T003); a known kind
    that does not decode, like a frame that fails authentication, is tampering too (KW-T002, drive()).
    """

    def __init__(
        self,
        worker: Worker,
        run: RunRecord,
        cases: list[Case],
        expected: list[Expected],
        tolerance: dict | None,
        config: JudgeConfig,
    ) -> None:
        self.w = worker
        self.run = run
        self.cases = cases
        self.expected = expected
        self.tol = tolerance
        self.config = config
        self.outputs: dict[int, list] = {}
        self.launches_seen = 0
        self.case_index = 0
        self.wrong_cases: list[str] = []
        self.ref_ops: list[str] = []
        self.current_case = ""
        self.c = run.correctness
        self.evidence: TimingEvidence | None = None
        # Called when correctness is done and timing is planned: the pipeline takes the GPU's timing
        # lock, measures the card's ceilings and sends `go` (the worker waits for it).
        self.before_timing: Callable[[], None] | None = None
        self.ablation_expected: Expected | None = None  # the reference's outputs on the ablation's inputs
        self.phases = run.phases
        # The receive deadline and what the worker is doing, for the timeout message.
        self.timeout = config.compile_timeout
        self.what = "starting and importing the candidate"

    def drive(
        self, left: Callable[[], float], timing_plan: TimingPlan | None, evidence: TimingEvidence | None
    ) -> None:
        """Read and check messages until the worker is done or something ends the judgement.

        WorkerDied (timeout, crash, early exit) propagates: the pipeline reports it (KW-X001).
        """
        try:
            self._drive(left, timing_plan, evidence)
        except WorkerProtocolError as exc:  # a forged frame or a malformed header: both are tampering
            self.run.add(
                "KW-T002",
                Category.TAMPERING,
                f"the result channel was forged or corrupted: {exc}",
                self.w.log_tail(),
            )

    def _drive(
        self, left: Callable[[], float], timing_plan: TimingPlan | None, evidence: TimingEvidence | None
    ) -> None:
        self.evidence = evidence
        handlers = dict(self.HANDLERS)
        if evidence is None or timing_plan is None:
            del handlers[Kind.TIMED]  # no timed calls were asked for
        if evidence is None:
            del handlers[Kind.VALUES]
        while True:
            header, payload = self.w.recv(min(self.timeout, left()), self.what)
            kind = header["kind"]
            handler = handlers.get(kind) if isinstance(kind, str) else None
            if handler is None:
                self.run.add("KW-T003", Category.TAMPERING, f"the worker sent an unexpected message: {kind}")
                return
            if handler(self, FROM_CANDIDATE.decode(header), payload):
                return

    # -- handlers: one per message kind (HANDLERS below); True ends the session ------------------
    def _on_violation(self, msg: Violation, payload: bytes) -> bool:
        if not codes.worker_violation(msg.code, msg.category):
            raise WorkerProtocolError(f"malformed message: violation code {msg.code!r:.40} ({msg.category})")
        self.run.add(msg.code, msg.category, msg.message)
        return False

    def _on_ready(self, msg: Ready, payload: bytes) -> bool:
        self.phases.mark("candidate_start")
        self.timeout, self.what = self.config.compile_timeout, "importing and constructing the candidate"
        return False

    def _on_built(self, msg: Built, payload: bytes) -> bool:
        self.phases.mark("candidate_build")
        self.timeout, self.what = self.config.call_timeout, "running forward (first call compiles kernels)"
        return False

    def _on_contract(self, msg: Contract, payload: bytes) -> bool:
        self.run.add("KW-C002", Category.COMPILE_ERROR, msg.message)
        return True

    def _on_error(self, msg: Raised, payload: bytes) -> bool:
        code, cat, text = classify_error(msg)
        self.run.add(code, cat, text, msg.traceback + "\n" + self.w.log_tail(1500))
        return True

    def _on_bad_output(self, msg: BadOutput, payload: bytes) -> bool:
        self.run.add("KW-O010", Category.WRONG_OUTPUT, f"case {msg.case}: {msg.message}")
        return True

    def _on_tampered(self, msg: Tampered, payload: bytes) -> bool:
        names = ", ".join(msg.names)
        self.run.add(
            "KW-T001",
            Category.TAMPERING,
            f"replaced {names} after the judge captured them; the judge measures and compares "
            "with originals captured before the candidate was imported",
        )
        return False

    def _on_starting(self, msg: Starting, payload: bytes) -> bool:
        self.current_case = msg.case
        self.what = f"running forward on case {self.current_case}"
        if msg.inputs:
            self.what += f" (inputs {msg.inputs})"
        return False

    def _on_case(self, msg: CaseResult, payload: bytes) -> bool:
        with self.phases.part("compare"):
            self._check_case(msg, payload)
        if self.case_index == len(self.expected):
            self.phases.mark("correctness")
        return False

    def _on_ablation(self, msg: Ablation, payload: bytes) -> bool:
        with self.phases.part("compare"):
            self._check_ablation(msg, payload)
        return False

    def _on_seal_probe(self, msg: SealProbe, payload: bytes) -> bool:
        with self.phases.part("compare"):
            self._check_seal_probe(msg, payload)
        return False

    def _on_strict(self, msg: Strict, payload: bytes) -> bool:
        self._check_ops(list(msg.ops), list(msg.hidden))
        self.phases.mark("ablation")
        if self.before_timing is not None and self.case_index == len(self.expected):
            before, self.before_timing = self.before_timing, None  # once, whatever the worker sends
            before()
            self.timeout, self.what = self.config.call_timeout, "timing the candidate"
        return False

    def _on_share(self, msg: Share, payload: bytes) -> bool:
        if self.evidence is not None and msg.share is not None and 0.0 <= msg.share <= 1.0:
            self.evidence.custom_kernel_share = msg.share
        return False

    def _on_timed(self, msg: Timed, payload: bytes) -> bool:
        assert self.evidence is not None  # drive() keeps this handler only with timing evidence
        self.evidence.on_timed(self.w, msg, "candidate")
        self.timeout, self.what = self.config.call_timeout, "timing the candidate"
        return False

    def _on_values(self, msg: Values, payload: bytes) -> bool:
        assert self.evidence is not None
        self.evidence.on_values(msg, payload, "candidate")
        return False

    def _on_done(self, msg: Done, payload: bytes) -> bool:
        # `done` only counts after everything the plan asked for: a worker whose channel was reached
        # from candidate code could otherwise end the judgement after one friendly case (red team:
        # cheat_rt_hmac_forge_done stole the key through closure cells and sent an early `done`).
        if self.case_index < len(self.expected) or self.c.ablation is None:
            self.run.add(
                "KW-T003",
                Category.TAMPERING,
                f"the worker said it was done after {self.case_index} of {len(self.expected)} cases"
                + ("" if self.c.ablation is not None else " and before the ablation run"),
            )
            return True
        self._finish()
        if self.evidence is not None:
            self.evidence.check_values(self.run)  # the timed calls' values, in one batch (judge/timing.py)
            self.phases.mark("timing")
        return True

    HANDLERS: ClassVar[dict[str, Handler]] = {
        Kind.VIOLATION: _on_violation,
        Kind.READY: _on_ready,
        Kind.BUILT: _on_built,
        Kind.CONTRACT: _on_contract,
        Kind.ERROR: _on_error,
        Kind.BAD_OUTPUT: _on_bad_output,
        Kind.TAMPERED: _on_tampered,
        Kind.STARTING: _on_starting,
        Kind.CASE: _on_case,
        Kind.ABLATION: _on_ablation,
        Kind.SEAL_PROBE: _on_seal_probe,
        Kind.STRICT: _on_strict,
        Kind.SHARE: _on_share,
        Kind.TIMED: _on_timed,
        Kind.VALUES: _on_values,
        Kind.DONE: _on_done,
    }

    # -- checks ----------------------------------------------------------------------------------
    def _check_case(self, msg: CaseResult, payload: bytes) -> None:
        i = self.case_index
        self.case_index += 1
        if i >= len(self.expected):
            self.run.add("KW-T003", Category.TAMPERING, "the worker sent more results than cases")
            return
        exp = self.expected[i]
        try:
            data = load_tensors(payload)
        except Exception as exc:  # noqa: BLE001 - anything but plain tensors is refused here
            self.run.add(
                "KW-O010",
                Category.WRONG_OUTPUT,
                f"case {exp.case.label()}: outputs are not plain tensors ({type(exc).__name__})",
            )
            return
        outputs, inputs_after = data.get("outputs", []), data.get("inputs", [])
        self.outputs[i] = outputs
        launches = msg.launches
        self.launches_seen += sum(launches.values())
        self.c.custom_launches = max(self.c.custom_launches, sum(launches.values()))
        repeat, fresh = len(self.cases) - 2, len(self.cases) - 1
        where = f"case {exp.case.label()}" + {
            repeat: " (repeat)",
            fresh: " (fresh values in reused buffers)",
        }.get(i, "")
        for m in compare.compare_outputs(exp.outputs, outputs, self.tol, where):
            self.c.max_abs_err = max(self.c.max_abs_err, m.max_abs)
            self.c.max_rel_err = max(self.c.max_rel_err, m.max_rel)
            self.c.rel_rms_err = max(self.c.rel_rms_err, m.rel_rms)
            if not m.ok:
                self.wrong_cases.append(exp.case.label())
                if len(set(self.wrong_cases)) <= 2:  # two full reports say it; the count says the rest
                    self.run.add("KW-O001", Category.WRONG_OUTPUT, m.message + _nan_hint(m.message))
        for j, (e, got) in enumerate(zip(exp.outputs, outputs, strict=False)):
            why = compare.constant_where_reference_is_not(e, got, self.tol)
            if why:
                self.run.add("KW-O005", Category.WRONG_OUTPUT, f"{where}, output {j}: {why}")
            elif compare.cannot_tell(e, got, self.tol):
                self.run.add(
                    "KW-W006",
                    None,
                    f"output {j} is within the tolerance of a constant, and so is the reference's: this "
                    "problem cannot tell the kernel from a constant (degenerate problem)",
                    severity="soft",
                )
        changed = compare.inputs_unchanged(exp.inputs, inputs_after)
        if changed:
            self.run.add("KW-O002", Category.INPUT_MUTATION, f"{where}: {changed}")
        if msg.failures:
            self.run.add(
                "KW-P002",
                Category.REFERENCE_PASSTHROUGH,
                f"{where}: a custom kernel launch raised and forward still returned, so a fallback "
                f"path ran: {msg.failures[0]}",
            )
        if i == repeat:
            self.c.repeat_checked = True
            first = next(j for j, e in enumerate(self.expected) if e.case == exp.case)
            for m in compare.compare_outputs(
                self.outputs.get(first, []), outputs, self.tol, f"repeat of case {exp.case.label()}"
            ):
                if not m.ok:
                    self.run.add(
                        "KW-O003",
                        Category.WRONG_OUTPUT,
                        f"the same input gave different outputs on two runs (a race or "
                        f"uninitialised memory): {m.message}",
                    )
        elif i < repeat:
            if exp.case.kind == "fuzz":
                self.c.fuzz_cases += 1
            else:
                self.c.trials += 1

    def _check_ablation(self, msg: Ablation, payload: bytes) -> None:
        target = self.ablation_expected
        if target is None or target.case.label() != msg.case:
            target = next((e for e in self.expected if e.case.label() == msg.case), None)
        if msg.skipped == 0:
            self.c.ablation = "no-custom-kernel"
            return
        if msg.raised:
            # Raising is not "the answer changed": a forward that notices its kernels were skipped
            # and raises would otherwise pass the ablation with PyTorch doing the work (red team:
            # cheat_rt_raise_under_ablation). The kernels' work must show in the output.
            self.c.ablation = "raised"
            self.run.add(
                "KW-P005",
                Category.REFERENCE_PASSTHROUGH,
                "with its custom kernel launches skipped (ablation), forward raised instead of returning "
                "a different answer: the kernels' work cannot be shown",
            )
            return
        if not payload or target is None:
            self.c.ablation = "output-changed"
            return
        outputs = load_tensors(payload).get("outputs", [])
        still_right = compare.all_match(target.outputs, outputs, self.tol, "ablation")
        self.c.ablation = "output-unchanged" if still_right else "output-changed"
        if still_right:
            self.run.add(
                "KW-P001",
                Category.REFERENCE_PASSTHROUGH,
                f"with all {msg.skipped} custom kernel launches skipped, forward still returns the "
                "right answer: the custom kernels do not do the work (decoy kernel or PyTorch "
                "passthrough)",
            )

    def _check_seal_probe(self, msg: SealProbe, payload: bytes) -> None:
        """Work on raw bytes (worker/seal.py): right with the bytes readable, wrong with them sealed.

        Every correctness call is sealed, so such a forward is already wrong on every case; this names
        why (red team: cheat_rt_numpy_hidden_work computes in NumPy, a Triton kernel copies the answer).
        A forward wrong both ways is a wrong answer, and one right both ways did its work in the open.
        Each way runs twice (sealed, open, open, sealed), so an answer that alternates is not named, and
        both sealed answers must be wrong in the same way: a racy kernel wrong on two random calls
        (cheat_random_race, 1 in 16 before this) is a wrong answer, not hidden work.
        """
        # The ablation's case (its own inputs, which a regular case of the same label does not share).
        target = self.ablation_expected
        if target is None or target.case.label() != msg.case:
            return
        if not payload:
            return
        got = load_tensors(payload)

        def right(outputs: list) -> bool:
            return bool(outputs) and compare.all_match(target.outputs, outputs, self.tol, "seal probe")

        import torch

        def same(a: list, b: list) -> bool:
            """Bit for bit, NaN where NaN: work on hidden bytes is wrong the same way every time."""
            return len(a) == len(b) and all(
                x.shape == y.shape
                and x.dtype == y.dtype
                and bool(torch.equal(x.isnan(), y.isnan()) if x.is_floating_point() else True)
                and bool(
                    torch.equal(x.nan_to_num(0.0), y.nan_to_num(0.0))
                    if x.is_floating_point()
                    else torch.equal(x, y)
                )
                for x, y in zip(a, b, strict=True)
            )

        sealed, sealed2 = got.get("sealed", []), got.get("sealed2", [])
        opened = right(got.get("open", [])) and right(got.get("open2", []))
        if opened and not right(sealed) and not right(sealed2) and same(sealed, sealed2):
            self.run.add(
                "KW-P008",
                Category.REFERENCE_PASSTHROUGH,
                f"case {msg.case}: forward answers right only when it can read the inputs' bytes outside its "
                "kernels and PyTorch ops; with them hidden (NaN, as on every checked call) the answer is wrong. "
                "The work is done there (NumPy, tolist, ctypes, an untraced op), not in the kernels",
            )

    def _check_ops(self, ops: list[str], hidden: list[str] | None = None) -> None:
        """The op policy (DESIGN "Work, not influence"; worker/op_classes.py has the classes).

        The ablation proves a kernel *influences* the answer, not that it does the work: a one-element
        "gate" kernel the output depends on passes it while PyTorch computes with an op the reference
        does not use (red team: cheat_rt_gate_clamp, clamp for relu). So by default forward may run
        only free ops (allocation, views, copies, casts), data movement the reference does not do, and
        vendor products (a GEMM with a custom epilogue is legitimate: legit_gemm_epilogue); and never
        every op the reference runs (KW-P004: relu(x) + kernel_zeros, or `mm` for a GEMM problem).
        "strict" allows only free ops; "loose" (KernelBench) only KW-P004. An op run outside the trace
        is KW-P007 under every policy: the trace was switched off from inside.
        """
        policy = "strict" if self.config.strict else self.config.op_policy
        self.c.notes.append(f"op policy: {policy}")
        # The worker sends every op name; free ones (allocation, views, copies) say nothing here.
        ops = [op for op in ops if op_classes.kind(op) != "free"]
        hidden = [h for h in hidden or [] if op_classes.kind(h) != "free"]
        if hidden:
            self.run.add(
                "KW-P007",
                Category.REFERENCE_PASSTHROUGH,
                "forward ran PyTorch ops outside the op trace (a popped dispatch mode, a disabled or "
                f"restarted profiler, another thread): {', '.join(hidden[:12])}",
            )
        allowed = {op_classes.canonical(a) for a in self.config.allow_ops}
        ref_work = op_classes.work(self.ref_ops)
        kinds = {op: op_classes.kind(op) for op in ops if op_classes.canonical(op) not in allowed}
        if policy == "strict":
            if kinds:
                self.run.add(
                    "KW-P003",
                    Category.REFERENCE_PASSTHROUGH,
                    "strict op policy: forward runs PyTorch ops beyond allocation, views and copies: "
                    + ", ".join(list(kinds)[:12]),
                )
        elif policy == "default":
            bad = [
                op
                for op, k in kinds.items()
                if k == "compute" or (k == "move" and op_classes.canonical(op) in ref_work)
            ]
            if bad:
                self.run.add(
                    "KW-P006",
                    Category.REFERENCE_PASSTHROUGH,
                    f"forward runs PyTorch compute ops ({', '.join(bad[:12])}): by default only "
                    "allocation, views, copies, casts, data movement the reference does not do and "
                    "vendor GEMMs/convolutions may run outside the custom kernels (op_policy='loose' is "
                    "KernelBench's looser mode)",
                )
        if ref_work and ref_work <= op_classes.work(ops):
            self.run.add(
                "KW-P004",
                Category.REFERENCE_PASSTHROUGH,
                f"forward runs every PyTorch compute op the reference runs ({', '.join(sorted(ref_work))}): "
                "the answer comes from PyTorch, whatever the custom kernels add",
            )

    def _finish(self) -> None:
        wrong = list(dict.fromkeys(self.wrong_cases))
        if len(wrong) > 2:
            self.run.add(
                "KW-O001",
                Category.WRONG_OUTPUT,
                f"wrong on {len(wrong)} of {len(self.cases)} checked cases (the repeat and the fresh-values case included): {', '.join(wrong[:12])}",
            )
        if self.launches_seen == 0:
            self.run.add(
                "KW-P000",
                Category.REFERENCE_PASSTHROUGH,
                "no custom kernel (a Triton launch or a load_inline function) ran in forward: "
                "the output came from PyTorch",
            )
        elif self.c.ablation == "no-custom-kernel":
            self.run.add(
                "KW-P000",
                Category.REFERENCE_PASSTHROUGH,
                "no custom kernel ran on the ablation case although kernels ran on other cases: "
                "forward skips its kernels on some calls (a cache or a branch), and PyTorch answers",
            )


def _nan_hint(message: str) -> str:
    """Where NaN came from, when the output has NaN the reference does not (compare.py counts them)."""
    if not re.search(r"; \d+ NaN", message):
        return ""
    return (
        " (NaN where the reference has none: memory nothing wrote reads as NaN, and on the CPU so do "
        "the inputs and intermediate results read outside kernels and PyTorch ops, e.g. through NumPy)"
    )
