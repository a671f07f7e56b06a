"""Parent-side driving of one candidate worker: every message it sends is checked here.

The worker only reports; this class decides. It compares each case's outputs with the reference's,
checks the inputs came back untouched, checks that custom kernels ran and did the work (ablation),
and hands timed calls to the timing evidence, which checks every one of them too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kernelwright.judge import compare
from kernelwright.judge.record import Expected, RunRecord
from kernelwright.sandbox.channel import load_tensors
from kernelwright.verdict import Category
from kernelwright.worker.common import Case

if TYPE_CHECKING:
    from kernelwright.judge.config import JudgeConfig
    from kernelwright.judge.timing import TimingEvidence
    from kernelwright.sandbox.launch import Worker

COMPILE_ERROR_MODULES = ("triton.compiler", "triton.language", "torch.utils.cpp_extension")
COMPILE_ERROR_TYPES = ("CompilationError", "CompileTimeAssertionFailure", "UnsupportedLanguageConstruct")


def classify_error(msg: dict) -> tuple[str, Category, str]:
    """(code, category, message) for an exception the candidate raised at some stage."""
    stage, etype, module = msg.get("stage"), msg.get("type", ""), msg.get("module", "")
    text = f"{etype}: {msg.get('message', '')}".strip()
    if msg.get("message", "").startswith("kernelwright sandbox:"):
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
    where = f" on case {msg['case']}" if msg.get("case") else ""
    return "KW-X003", Category.CRASH_OR_TIMEOUT, f"forward raised{where}: {text}"


class CandidateSession:
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

    def drive(
        self, left: Callable[[], float], timing_plan: dict | None, evidence: TimingEvidence | None
    ) -> None:
        timeout, what = self.config.compile_timeout, "starting and importing the candidate"
        while True:
            msg, payload = self.w.recv(min(timeout, left()), what)
            kind = msg["kind"]
            if kind == "violation":
                code = msg.get("code", "KW-R100")
                self.run.add(code, msg.get("category", "sandbox"), msg.get("message", ""))
            elif kind == "ready":
                timeout, what = self.config.compile_timeout, "importing and constructing the candidate"
            elif kind == "built":
                timeout, what = self.config.call_timeout, "running forward (first call compiles kernels)"
            elif kind == "contract":
                self.run.add("KW-C002", Category.COMPILE_ERROR, msg["message"])
                return
            elif kind == "error":
                code, cat, text = classify_error(msg)
                self.run.add(code, cat, text, msg.get("traceback", "") + "\n" + self.w.log_tail(1500))
                return
            elif kind == "bad_output":
                self.run.add("KW-O010", Category.WRONG_OUTPUT, f"case {msg.get('case')}: {msg['message']}")
                return
            elif kind == "tampered":
                names = ", ".join(msg.get("names", []))
                self.run.add(
                    "KW-T001",
                    Category.TAMPERING,
                    f"replaced {names} after the judge captured them; the judge measures and compares "
                    "with originals captured before the candidate was imported",
                )
            elif kind == "starting":
                self.current_case = msg.get("case", "")
                what = f"running forward on case {self.current_case}"
                if msg.get("inputs"):
                    what += f" (inputs {msg['inputs']})"
            elif kind == "case":
                self._check_case(msg, payload)
            elif kind == "ablation":
                self._check_ablation(msg, payload)
            elif kind == "strict":
                self._check_ops(msg.get("ops") or [])
            elif kind == "share":
                share = msg.get("share")
                if evidence is not None and isinstance(share, int | float) and 0.0 <= share <= 1.0:
                    evidence.custom_kernel_share = float(share)
            elif kind == "timed" and evidence is not None and timing_plan is not None:
                evidence.on_timed(self.w, msg, "candidate")
                timeout, what = self.config.call_timeout, "timing the candidate"
            elif kind == "values" and evidence is not None:
                evidence.on_values(msg, payload, "candidate", self.run)
            elif kind == "done":
                self._finish()
                return
            else:
                self.run.add("KW-T003", Category.TAMPERING, f"the worker sent an unexpected message: {kind}")
                return

    # -- checks ----------------------------------------------------------------------------------
    def _check_case(self, msg: dict, payload: bytes) -> None:
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
        launches = msg.get("launches", {})
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
                    self.run.add("KW-O001", Category.WRONG_OUTPUT, m.message)
        changed = compare.inputs_unchanged(exp.inputs, inputs_after)
        if changed:
            self.run.add("KW-O002", Category.INPUT_MUTATION, f"{where}: {changed}")
        if msg.get("failures"):
            self.run.add(
                "KW-P002",
                Category.REFERENCE_PASSTHROUGH,
                f"{where}: a custom kernel launch raised and forward still returned, so a fallback "
                f"path ran: {msg['failures'][0]}",
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

    def _check_ablation(self, msg: dict, payload: bytes) -> None:
        target = next((e for e in self.expected if e.case.label() == msg.get("case")), None)
        if msg.get("skipped", 0) == 0:
            self.c.ablation = "no-custom-kernel"
            return
        if msg.get("raised") or not payload or target is None:
            self.c.ablation = "output-changed"
            return
        outputs = load_tensors(payload).get("outputs", [])
        still_right = all(
            m.ok for m in compare.compare_outputs(target.outputs, outputs, self.tol, "ablation")
        )
        self.c.ablation = "output-unchanged" if still_right else "output-changed"
        if still_right:
            self.run.add(
                "KW-P001",
                Category.REFERENCE_PASSTHROUGH,
                f"with all {msg['skipped']} custom kernel launches skipped, forward still returns the "
                "right answer: the custom kernels do not do the work (decoy kernel or PyTorch "
                "passthrough)",
            )

    def _check_ops(self, ops: list[str]) -> None:
        """PyTorch compute ops in forward: any under --strict; all of the reference's, always.

        The ablation proves a kernel *influences* the answer; a forward that also runs every compute
        op the reference runs (relu(x) + kernel_zeros) gets its answer from PyTorch regardless.
        A vendor GEMM with a custom epilogue runs `mm` where the reference runs `addmm` + `gelu`,
        so it is not caught by this.
        """
        if ops and self.config.strict:
            self.run.add(
                "KW-P003",
                Category.REFERENCE_PASSTHROUGH,
                "--strict: forward runs PyTorch compute ops: " + ", ".join(ops[:12]),
            )
        ref = {o.rstrip("_") for o in self.ref_ops}
        if ref and ref <= {o.rstrip("_") for o in ops}:
            self.run.add(
                "KW-P004",
                Category.REFERENCE_PASSTHROUGH,
                f"forward runs every PyTorch compute op the reference runs ({', '.join(sorted(ref))}): "
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
