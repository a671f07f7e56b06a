"""The typed wire protocol (worker/protocol.py) and the parent's handling of what the candidate sends."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import pytest
import torch

from kernelwright.errors import WorkerProtocolError
from kernelwright.judge.config import JudgeConfig
from kernelwright.judge.record import Expected, RunRecord
from kernelwright.judge.session import CandidateSession
from kernelwright.sandbox.channel import Channel, dump_tensors
from kernelwright.verdict import decide
from kernelwright.worker import protocol as p
from kernelwright.worker.protocol import Case

LOOP = p.TimedLoop(warmup=2, calls=5, seed_base=17)
TENSOR_META = {"type": "tensor", "shape": (4, 8), "dtype": "float32"}

# One instance of every class with a wire form; test_every_class_has_a_sample keeps this complete.
SAMPLES: list[Any] = [
    Case("fuzz", 3, 12345),
    LOOP,
    p.TimingPlan(warmup=2, calls=5, seed_base=17, positions=4096, full=1 << 20, rng=99, compile_mode=None),
    p.CandidateJob(
        problem_path="/p.py",
        candidate_path="/c.py",
        private_dir="/priv",
        device="cpu",
        cases=(Case("seed", 0, 1), Case("fuzz", 1, 1)),
        ablation_case=Case("fuzz", 1, 1),
        strict=True,
        timing=LOOP,
        reuse_index=1,
    ),
    p.ReferenceJob(problem_path="/p.py", device="cuda"),
    p.Positions(index=3, positions=((0, 5, 9), None)),
    p.Go(),
    p.MetaCmd(),
    p.ExpectedCmd(cases=(Case("seed", 0, 7),)),
    p.TimeCmd(modes=("compiled",), compile_mode="max-autotune", loop=LOOP),
    p.DeviceNameCmd(),
    p.CeilingsCmd(),
    p.WarmCmd(compile_mode=None, case=Case("timed", 9, 1)),
    p.QuitCmd(),
    p.Timed(index=0, ms=0.25, host_ms=0.3, numels=(32, 1)),
    p.Values(index=0),
    p.Violation(category="sandbox", code="KW-R101", message="reads /etc/passwd"),
    p.Ready(),
    p.Built(aligned=("weight", "bias")),
    p.Contract(message="no ModelNew"),
    p.Raised(
        stage="forward", case="fuzz:1#2", type="ValueError", module="builtins", message="x", traceback="tb"
    ),
    p.BadOutput(case="seed:0", message="output 0 is a list"),
    p.Tampered(names=("time.perf_counter",), stage="import"),
    p.Starting(case="seed:0", inputs="4x8 float32"),
    p.CaseResult(case="seed:0#0", launches={"relu_kernel": 2}, failures=(), ms=1.5),
    p.Ablation(skipped=2, case="fuzz:1", raised=None),
    p.SealProbe(case="fuzz:1"),
    p.Strict(ops=("relu", "add")),
    p.Share(share=0.93),
    p.Done(launches={"relu_kernel": 1}),
    p.ProblemRaised(message="ValueError: bad", traceback="tb"),
    p.Meta(
        inputs=(TENSOR_META,),
        outputs=(TENSOR_META, {"type": "int", "value": "3"}),
        numel=32,
        io_bytes=256,
        flops=1e6,
        tolerance={"atol": 1e-3, "rtol": 1e-3},
        has_fuzz=True,
        ref_ops=("relu",),
    ),
    p.ExpectedOutputs(case="seed:0", input_meta=(TENSOR_META,)),
    p.DeviceName(name="NVIDIA H100 80GB HBM3"),
    p.Ceilings(copy_bytes_per_s=3e12, bf16_flops_per_s=8e14),
    p.Warmed(seconds=6.6),
    p.TimeDone(),
]
MESSAGES = [m for m in SAMPLES if isinstance(m, p.Message)]
REGISTRIES = [p.FROM_CANDIDATE, p.FROM_REFERENCE, p.TO_CANDIDATE, p.TO_REFERENCE]


def _id(m: Any) -> str:
    return type(m).__name__


def test_every_class_has_a_sample_and_every_message_a_direction() -> None:
    concrete = {c for c in p.ALL_CLASSES if dataclasses.is_dataclass(c)}
    assert {type(m) for m in SAMPLES} == concrete
    carried = {cls for r in REGISTRIES for cls in r.classes.values()}
    assert {type(m) for m in MESSAGES} == carried
    assert set(p.Kind) == {cls.KIND for cls in carried}  # no kind without a message


@pytest.mark.parametrize("msg", SAMPLES, ids=_id)
def test_round_trip(msg: Any) -> None:
    wire = msg.to_wire()
    assert type(msg).from_wire(wire) == msg


@pytest.mark.parametrize("msg", MESSAGES, ids=_id)
def test_round_trip_through_an_authenticated_channel(msg: p.Message) -> None:
    """marshal-safe all the way: what the channel carries decodes to an equal message."""
    r, w = os.pipe()
    try:
        key = b"k" * 32
        p.post(Channel(None, w, key).send, msg, b"payload")
        header, payload = Channel(r, None, key).recv()
    finally:
        os.close(r)
        os.close(w)
    registry = next(reg for reg in REGISTRIES if type(msg) in reg.classes.values())
    assert registry.decode(header) == msg and payload == b"payload"


def _wire(kind: str, **fields: Any) -> dict:
    return {"kind": kind, **fields}


TIMED = {"index": 1, "ms": 0.5, "host_ms": 0.6, "numels": [4]}


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(_wire("timed", **{**TIMED, "index": "1"}), id="str-for-int"),
        pytest.param(_wire("timed", **{**TIMED, "index": True}), id="bool-for-int"),
        pytest.param(_wire("timed", **{**TIMED, "ms": None}), id="none-for-float"),
        pytest.param(_wire("timed", **{**TIMED, "numels": [1, "2"]}), id="wrong-item"),
        pytest.param(_wire("timed", **{**TIMED, "numels": 4}), id="int-for-list"),
        pytest.param(_wire("timed", index=1, ms=0.5, host_ms=0.6), id="missing-field"),
        pytest.param(_wire("timed", **TIMED, extra=1), id="extra-field"),
        pytest.param(_wire("timed", **{**TIMED, "numels": list(range(p.MAX_ITEMS + 1))}), id="huge-list"),
        pytest.param(_wire("case", case="s", launches={"k": 1} | {str(i): 1 for i in range(p.MAX_ITEMS)}, failures=[], ms=1.0), id="huge-dict"),
        pytest.param(_wire("case", case="s", launches={1: 1}, failures=[], ms=1.0), id="non-str-key"),
        pytest.param(_wire("case", case="s", launches={"k": 1.5}, failures=[], ms=1.0), id="float-count"),
        pytest.param(_wire("nonsense"), id="unknown-kind"),
        pytest.param(_wire("job", problem_path="x", device="cpu"), id="wrong-direction"),
        pytest.param({"kind": 7}, id="int-kind"),
        pytest.param(_wire("violation", category="whatever", code="KW-R101", message="m"), id="bad-literal"),
        pytest.param(_wire("error", stage="import", type="E", module="m", message="x", traceback=""), id="missing-optional-free-field"),
        pytest.param(_wire("share", share="high"), id="str-for-float"),
    ],
)  # fmt: skip
def test_malformed_candidate_messages_are_refused(header: dict) -> None:
    with pytest.raises(WorkerProtocolError, match="malformed message"):
        p.FROM_CANDIDATE.decode(header)


@pytest.mark.parametrize(
    "cases",
    [
        [["seed", 0]],
        [["seed", 0, 1, 2]],
        [["other", 0, 1]],
        [["seed", 0.5, 1]],
        [["seed", 0, True]],
        ["seed:0"],
    ],
)
def test_malformed_cases_are_refused(cases: list) -> None:
    with pytest.raises(WorkerProtocolError):
        p.TO_REFERENCE.decode({"kind": "cmd", "op": "expected", "cases": cases})


def test_commands_decode_by_op_and_unknown_ops_are_refused() -> None:
    assert isinstance(p.TO_REFERENCE.decode({"kind": "cmd", "op": "quit"}), p.QuitCmd)
    for op in ("reboot", None, ["meta"]):
        with pytest.raises(WorkerProtocolError):
            p.TO_REFERENCE.decode({"kind": "cmd", "op": op})


def test_optional_fields_may_be_absent_and_numbers_widen() -> None:
    share = p.FROM_CANDIDATE.decode({"kind": "share", "share": 1})
    assert share == p.Share(share=1.0) and type(share.share) is float  # type: ignore[attr-defined]
    ablation = p.FROM_CANDIDATE.decode({"kind": "ablation", "skipped": 0, "case": "fuzz:1"})
    assert ablation == p.Ablation(skipped=0, case="fuzz:1")


def test_long_position_lists_are_allowed_where_declared() -> None:
    many = list(range(p.MAX_ITEMS + 10))
    msg = p.TO_CANDIDATE.decode({"kind": "positions", "index": 0, "positions": [many, None]})
    assert isinstance(msg, p.Positions) and len(msg.positions[0] or ()) == len(many)


def test_the_timing_plan_keeps_its_position_seed_from_the_workers() -> None:
    plan = p.TimingPlan(warmup=1, calls=2, seed_base=5, positions=8, full=16, rng=1234)
    wire = p.TimeCmd(modes=("eager",), compile_mode=None, loop=plan.loop).to_wire()
    assert "rng" not in repr(wire)
    assert wire["loop"] == {"warmup": 1, "calls": 2, "seed_base": 5, "native": False}
    assert [plan.loop.case(j) for j in range(plan.loop.total)][-1] == Case("timed", 7)


# -- the parent's session on a scripted candidate worker ---------------------------------------------
class FakeWorker:
    """Stands in for sandbox.launch.Worker: hands out scripted frames, records what the parent sends."""

    def __init__(self, frames: list[tuple[dict, bytes]]) -> None:
        self.frames = list(frames)
        self.sent: list[dict] = []

    def recv(self, timeout: float, what: str) -> tuple[dict, bytes]:
        assert self.frames, f"the session read past the script while {what}"
        return self.frames.pop(0)

    def send(self, kind: str, **fields: Any) -> None:
        self.sent.append({"kind": kind, **fields})

    def log_tail(self, limit: int = 4000) -> str:
        return "worker log"


X = torch.tensor([-1.0, 2.0, -3.0])
Y = torch.relu(X)
CASES = [Case("fuzz", 0, 1), Case("fuzz", 0, 1), Case("fuzz", 0, 2)]  # a case, its repeat, fresh values
EXPECTED = [Expected(c, [Y], [X]) for c in CASES]


def frame(msg: p.Message, payload: bytes = b"") -> tuple[dict, bytes]:
    return msg.to_wire(), payload


def honest_case(i: int, outputs: list | None = None) -> tuple[dict, bytes]:
    body = dump_tensors({"outputs": outputs or [Y], "inputs": [X]})
    return frame(p.CaseResult(case=f"fuzz:0#{i}", launches={"relu": 1}, failures=(), ms=1.0), body)


def session(frames: list[tuple[dict, bytes]]) -> tuple[CandidateSession, RunRecord]:
    run = RunRecord()
    s = CandidateSession(FakeWorker(frames), run, CASES, EXPECTED, None, JudgeConfig())  # type: ignore[arg-type]
    s.drive(lambda: 60.0, None, None)
    return s, run


START = [frame(p.Ready()), frame(p.Built(aligned=())), frame(p.Starting(case="fuzz:0", inputs="3 float32"))]


def ablation(raised: str | None = None) -> tuple[dict, bytes]:
    """The ablation report: skipped launches leave NaN-poisoned outputs, so the answer changes."""
    if raised:
        return frame(p.Ablation(skipped=1, case="fuzz:0", raised=raised))
    return frame(
        p.Ablation(skipped=1, case="fuzz:0", raised=None), dump_tensors({"outputs": [Y * float("nan")]})
    )


FINISH = [ablation(), frame(p.Strict(ops=())), frame(p.Done(launches={"relu": 1}))]


def test_a_forward_that_raises_under_ablation_is_passthrough() -> None:
    raising = [ablation("RuntimeError: my kernel was skipped"), *FINISH[1:]]
    _, run = session([*START, honest_case(0), honest_case(1), honest_case(2), *raising])
    assert [r.code for r in run.reasons] == ["KW-P005"] and run.correctness.ablation == "raised"


def test_done_before_every_case_and_the_ablation_is_tampering() -> None:
    _, run = session([*START, honest_case(0), frame(p.Done(launches={"relu": 1}))])
    assert [r.code for r in run.reasons] == ["KW-T003"] and "after 1 of 3 cases" in run.reasons[0].message


def test_an_honest_script_is_accepted() -> None:
    s, run = session([*START, honest_case(0), honest_case(1), honest_case(2), *FINISH])
    assert run.reasons == [] and decide(run.reasons) == ("accepted", None)
    assert (run.correctness.fuzz_cases, run.correctness.repeat_checked) == (1, True)
    assert run.correctness.ablation == "output-changed" and s.what.startswith(
        "running forward on case fuzz:0"
    )


def test_handlers_still_judge_what_they_read() -> None:
    _, run = session([*START, honest_case(0), honest_case(1), honest_case(2, [X]), *FINISH])
    assert [r.code for r in run.reasons] == ["KW-O001"]
    assert decide(run.reasons) == ("rejected", "wrong-output")


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(({"kind": "case", "case": "fuzz:0#0", "launches": "many", "failures": [], "ms": 1.0}, b""), id="mistyped"),
        pytest.param(({"kind": "case", "case": "fuzz:0#0"}, b""), id="missing"),
        pytest.param(({"kind": "done", "launches": {}, "verdict": "accepted"}, b""), id="extra"),
        pytest.param(({"kind": "strict", "ops": ["relu"] * (p.MAX_ITEMS + 1)}, b""), id="huge"),
        pytest.param(frame(p.Violation(category="sandbox", code="KW-R999", message="made up")), id="unknown-code"),
        pytest.param(frame(p.Violation(category="sandbox", code="KW-O001", message="not a sandbox code")), id="foreign-code"),
        pytest.param(frame(p.Violation(category="tampering", code="KW-R101", message="wrong category")), id="wrong-category"),
    ],
)  # fmt: skip
def test_a_malformed_candidate_message_is_tampering(bad: tuple[dict, bytes]) -> None:
    _, run = session([*START, bad])
    assert [(r.code, r.category) for r in run.reasons] == [("KW-T002", "tampering")]
    assert run.reasons[0].message.startswith("the result channel was forged or corrupted: malformed message")
    assert run.reasons[0].evidence == "worker log"
    assert decide(run.reasons) == ("rejected", "tampering")


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"kind": "verdict", "verdict": "accepted"}, id="unknown"),
        pytest.param({"kind": ["case"]}, id="unhashable"),
        pytest.param({"kind": "job", "problem_path": "x", "device": "cpu"}, id="parent-kind"),
        pytest.param(p.Timed(index=0, ms=0.1, host_ms=0.1, numels=(3,)).to_wire(), id="timed-without-a-plan"),
        pytest.param(p.Values(index=0).to_wire(), id="values-without-a-plan"),
    ],
)
def test_an_unexpected_kind_is_tampering(bad: dict) -> None:
    _, run = session([*START, (bad, b"")])
    assert [(r.code, r.category) for r in run.reasons] == [("KW-T003", "tampering")]
    assert run.reasons[0].message == f"the worker sent an unexpected message: {bad['kind']}"


def test_a_reported_violation_is_recorded_under_its_own_code() -> None:
    v = p.Violation(category="sandbox", code="KW-R103", message="socket.connect: candidates have no network")
    _, run = session([*START, frame(v), frame(p.Contract(message="no ModelNew"))])
    assert [(r.code, r.category) for r in run.reasons] == [
        ("KW-R103", "sandbox"),
        ("KW-C002", "compile-error"),
    ]


def test_errors_are_classified_as_before() -> None:
    err = p.Raised(
        stage="init", case=None, type="TypeError", module="builtins", message="2 args", traceback="tb"
    )
    _, run = session([frame(p.Ready()), frame(err)])
    r = run.reasons[0]
    assert (r.code, r.category) == ("KW-C001", "compile-error")
    assert r.message == "constructing ModelNew(*get_init_inputs()) raised TypeError: 2 args"
    assert r.evidence == "tb\nworker log"


def test_timed_calls_go_through_the_table_when_timing_was_planned() -> None:
    """The positions the parent sends are a well-formed Positions; a wrong timed value is KW-O004."""
    from kernelwright.judge.timing import TimingEvidence

    meta = p.Meta(
        inputs=(), outputs=(), numel=3, io_bytes=24, flops=0.0, tolerance=None, has_fuzz=True, ref_ops=()
    )
    plan = p.TimingPlan(warmup=0, calls=2, seed_base=0, positions=2, full=2, rng=5)
    evidence = TimingEvidence(meta=meta, plan=plan)
    evidence.expected = {0: [Y[[0, 2]]], 1: [Y[[0, 2]]]}  # what the eager loop recorded
    timed = [
        frame(p.Timed(index=0, ms=0.1, host_ms=0.2, numels=(3,))),
        frame(p.Values(index=0), dump_tensors([Y[[0, 2]]])),
        frame(p.Timed(index=1, ms=0.1, host_ms=0.2, numels=(3,))),
        frame(p.Values(index=1), dump_tensors([-Y[[0, 2]] - 1])),
    ]
    worker = FakeWorker(
        [*START, honest_case(0), honest_case(1), honest_case(2), *FINISH[:2], *timed, FINISH[2]]
    )
    run = RunRecord()
    s = CandidateSession(worker, run, CASES, EXPECTED, None, JudgeConfig())  # type: ignore[arg-type]
    evidence.positions = {0: [[0, 2]], 1: [[0, 2]]}  # the parent's secret choice, fixed for the test
    s.drive(lambda: 60.0, plan, evidence)
    sent = [p.TO_CANDIDATE.decode(m) for m in worker.sent]
    assert sent == [  # the last call of the plan ends the worker's timed loop (more=False)
        p.Positions(index=0, positions=((0, 2),)),
        p.Positions(index=1, positions=((0, 2),), more=False),
    ]
    assert [r.code for r in run.reasons] == ["KW-O004"] and evidence.series["candidate"].checked == 2
    assert evidence.series["candidate"].ms == [0.1, 0.1]
