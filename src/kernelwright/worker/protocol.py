"""The wire protocol between the judge (parent) and its two workers: one typed message per kind.

Frames are the channel's (sandbox/channel.py: HMAC, a marshal header, a tensor payload); this module
says what a header may hold. Every message is a frozen dataclass: `to_wire()` gives the header dict
(`kind`, `op` for commands, then every field, all marshal-safe) and `from_wire(header)` checks each
field against its annotation and refuses a missing, extra, mistyped or oversized one with
`WorkerProtocolError`. The parent decodes everything the candidate worker sends through
`FROM_CANDIDATE`, so a malformed message is treated like a forged frame: tampering (KW-T002).

Both workers import this before any candidate code, so it imports neither torch nor the judge. The
candidate worker encodes through these classes after the candidate is imported, which is why its
integrity snapshot covers this module and every class in `ALL_CLASSES` (worker/integrity.py).

Adding a message: a frozen dataclass subclassing `Message` (or `Command`, for a new `cmd` op) with
`KIND` (a new `Kind` member) or `OP`, and fields annotated with wire types: int, float, bool, str,
None, Literal, unions of those, `tuple[X, ...]` (a list on the wire), `dict[str, X]`, `Case`,
`TimedLoop`, and `Annotated[..., MaxItems(n)]` for a list longer than `MAX_ITEMS`. List it in
`ALL_CLASSES` and in the registry of each direction it travels; a candidate message also needs a
handler in judge/session.py (`CandidateSession.HANDLERS`), or the parent calls it unexpected (KW-T003).
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import (
    Annotated,
    Any,
    ClassVar,
    Literal,
    NoReturn,
    Self,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
)

from kernelwright.errors import WorkerProtocolError

# Lists and dicts longer than this are refused: no honest message comes near it, and the channel's
# 1 MiB header cap alone would still let one list hold ~200k small ints.
MAX_ITEMS = 1 << 16


class Kind(StrEnum):
    """Every message kind, by direction."""

    # parent -> worker
    JOB = "job"
    CMD = "cmd"
    POSITIONS = "positions"
    GO = "go"
    # worker -> parent, both workers (the shared timed-call exchange, worker/clock.py)
    TIMED = "timed"
    VALUES = "values"
    # candidate worker -> parent
    VIOLATION = "violation"
    READY = "ready"
    BUILT = "built"
    CONTRACT = "contract"
    ERROR = "error"
    BAD_OUTPUT = "bad_output"
    TAMPERED = "tampered"
    STARTING = "starting"
    CASE = "case"
    ABLATION = "ablation"
    SEAL_PROBE = "seal_probe"
    STRICT = "strict"
    SHARE = "share"
    DONE = "done"
    # reference worker -> parent
    PROBLEM_ERROR = "problem_error"
    META = "meta"
    EXPECTED = "expected"
    DEVICE_NAME = "device_name"
    CEILINGS = "ceilings"
    TIME_DONE = "time_done"
    WARMED = "warmed"


class Op(StrEnum):
    """The reference worker's commands (`cmd` messages)."""

    META = "meta"
    EXPECTED = "expected"
    TIME = "time"
    DEVICE_NAME = "device_name"
    CEILINGS = "ceilings"
    WARM = "warm"
    QUIT = "quit"


@dataclass(frozen=True)
class MaxItems:
    """`Annotated[tuple[int, ...], MaxItems(n)]`: this list may hold up to n items (default MAX_ITEMS)."""

    n: int


Device = Literal["cpu", "cuda"]
# how a timed call was timed (worker/clock.py): a gate kernel; a gate and a device-wide synchronise
# (native code); synchronises only (no gate on this GPU); the host clock (no GPU)
TimedMethod = Literal["gate", "gate+sync", "sync", "host"]
CaseKind = Literal["seed", "fuzz", "timed"]
Stage = Literal["import", "init", "forward", "strict", "timing"]  # where the candidate raised
# common.tensor_meta: {"type": "tensor", "shape": [...], "dtype": "float32"} or {"type": ..., "value": repr}
TensorMeta = dict[str, str | tuple[int, ...]]


# -- checking and encoding ----------------------------------------------------------------------------
Check = Callable[[object, str], Any]
_SCALARS = (int, str, bool, type(None))  # float is apart: an int is accepted for it and widened
_EXACT: dict[Check, type] = {}  # the checks of one exact scalar type, and that type


def _refuse(where: str, want: str, got: object) -> NoReturn:
    raise WorkerProtocolError(f"malformed message: {where} should be {want}, not {type(got).__name__}")


def _checker(tp: Any, limit: int = MAX_ITEMS) -> Check:
    """A function that checks one wire value against annotation `tp` and returns it as the field holds it."""
    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        n = next((a.n for a in args[1:] if isinstance(a, MaxItems)), limit)
        return _checker(args[0], n)
    if tp is float:

        def number(v: object, where: str) -> float:
            if type(v) is not float and type(v) is not int:  # bool is not a number here
                _refuse(where, "a number", v)
            return float(v)

        return number
    if tp in _SCALARS:

        def exact(v: object, where: str) -> Any:
            if type(v) is not tp:  # exact: True is not an int, a str subclass is not a str
                _refuse(where, getattr(tp, "__name__", str(tp)), v)
            return v

        _EXACT[exact] = tp
        return exact
    if origin is Literal:

        def literal(v: object, where: str) -> Any:
            if not any(type(v) is type(a) and v == a for a in args):
                raise WorkerProtocolError(
                    f"malformed message: {where} should be one of {args}, not {v!r:.80}"
                )
            return v

        return literal
    if origin in (Union, types.UnionType):
        options = [_checker(a, limit) for a in args]

        def union(v: object, where: str) -> Any:
            for option in options:
                try:
                    return option(v, where)
                except WorkerProtocolError:
                    continue
            _refuse(where, " or ".join(getattr(a, "__name__", str(a)) for a in args), v)

        return union
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _checker(args[0])
        same = _EXACT.get(item)  # a list of one scalar type: checked in a plain loop (positions: 4096 ints)

        def sequence(v: object, where: str) -> tuple:
            if type(v) is not list and type(v) is not tuple:
                _refuse(where, "a list", v)
            if len(v) > limit:
                raise WorkerProtocolError(f"malformed message: {where} has {len(v)} items, over {limit}")
            if same is not None:
                if not set(map(type, v)) <= {same}:
                    raise WorkerProtocolError(f"malformed message: {where} should hold only {same.__name__}s")
                return tuple(v)
            inner = f"{where}[]"
            return tuple(item(x, inner) for x in v)

        return sequence
    if origin is dict and args and args[0] is str:
        value = _checker(args[1])

        def mapping(v: object, where: str) -> dict:
            if type(v) is not dict:
                _refuse(where, "a dict", v)
            if len(v) > limit:
                raise WorkerProtocolError(f"malformed message: {where} has {len(v)} entries, over {limit}")
            out = {}
            inner = f"{where}[]"
            for k, x in v.items():
                if type(k) is not str:
                    _refuse(f"{where} key", "a str", k)
                out[k] = value(x, inner)
            return out

        return mapping
    if isinstance(tp, type) and tp in (Case, TimedLoop):
        return lambda v, where: tp.from_wire(v, where)
    raise TypeError(f"no wire form for {tp!r}")  # a programming error, raised at import


def _encode(v: Any) -> Any:
    """A value as marshal-safe data: tuples become lists, Case and TimedLoop their wire form."""
    if type(v) is tuple or type(v) is list:
        return [_encode(x) for x in v]
    if type(v) is dict:
        return {k: _encode(x) for k, x in v.items()}
    if isinstance(v, Case | _Record):
        return v.to_wire()
    return v


def _encoder(tp: Any) -> Callable[[Any], Any] | None:
    """How a field of annotation `tp` goes on the wire; None when the value goes as it is.

    Built per field like the checks, so a list of scalars is one `list()` call rather than a call per
    item (the parent encodes thousands of positions after every timed call).
    """
    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        return _encoder(args[0])
    if tp in _SCALARS or origin is Literal:
        return None
    if origin in (Union, types.UnionType):
        encoders = [_encoder(a) for a in args if a is not type(None)]
        if all(e is None for e in encoders):
            return None
        if len(encoders) == 1 and type(None) in args:  # X | None
            one = encoders[0]
            assert one is not None
            return lambda v: None if v is None else one(v)
        return _encode
    if origin is tuple:
        item = _encoder(args[0])
        return list if item is None else (lambda v: [item(x) for x in v])
    if origin is dict:
        value = _encoder(args[1])
        return dict if value is None else (lambda v: {k: value(x) for k, x in v.items()})
    return _encode


class _Record:
    """A frozen dataclass that travels as a dict of its fields (filled in by `_seal` at import)."""

    _HEAD: ClassVar[dict[str, str]] = {}  # the fixed keys: kind, and op for commands
    _CHECKS: ClassVar[dict[str, Check]] = {}
    _ENCODERS: ClassVar[dict[str, Callable[[Any], Any] | None]] = {}
    _REQUIRED: ClassVar[frozenset[str]] = frozenset()

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self._HEAD)
        for name, encode in self._ENCODERS.items():
            value = getattr(self, name)
            out[name] = value if encode is None else encode(value)
        return out

    @classmethod
    def from_wire(cls, raw: object, where: str = "") -> Self:
        where = where or (cls._HEAD.get("op") or cls._HEAD.get("kind") or cls.__name__)
        if type(raw) is not dict:
            _refuse(where, "a dict", raw)
        for key, want in cls._HEAD.items():
            if raw.get(key) != want:
                raise WorkerProtocolError(f"malformed message: {where} has {key} {raw.get(key)!r:.40}")
        extra = raw.keys() - cls._CHECKS.keys() - cls._HEAD.keys()
        if extra:
            names = ", ".join(sorted(repr(k)[:40] for k in extra)[:5])
            raise WorkerProtocolError(f"malformed message: {where} has unexpected fields {names}")
        missing = cls._REQUIRED - raw.keys()
        if missing:
            raise WorkerProtocolError(f"malformed message: {where} lacks {', '.join(sorted(missing))}")
        values = {
            name: check(raw[name], f"{where}.{name}") for name, check in cls._CHECKS.items() if name in raw
        }
        make: Any = cls  # the dataclass subclass's generated __init__
        return make(**values)


class Message(_Record):
    """One header on a channel. `KIND` names it on the wire."""

    KIND: ClassVar[Kind]


class Command(Message):
    """A `cmd` message to the reference worker; `OP` says which."""

    KIND: ClassVar[Kind] = Kind.CMD
    OP: ClassVar[Op]


# -- plain values inside messages ------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One input set: `kind` is 'seed' (get_inputs), 'fuzz' (get_fuzz_inputs) or 'timed'.

    Both workers build the inputs from (kind, seed, salt) with the same code (worker/common.py), so no
    tensor crosses from one to the other. On the wire: [kind, seed, salt].
    """

    kind: CaseKind
    seed: int
    salt: int = 0  # value seed: fresh per judge run, so outputs for known seeds can't be precomputed

    def label(self) -> str:
        return f"{self.kind}:{self.seed}"

    @property
    def rng_seed(self) -> int:
        return (self.seed * 1_000_003 + self.salt) % (2**63 - 1)

    def to_wire(self) -> list:
        return [self.kind, self.seed, self.salt]

    @classmethod
    def from_wire(cls, raw: object, where: str = "case") -> Case:
        if type(raw) is not list and type(raw) is not tuple:
            _refuse(where, "a [kind, seed, salt] list", raw)
        if len(raw) != 3:
            raise WorkerProtocolError(f"malformed message: {where} has {len(raw)} items, not 3")
        kind, seed, salt = raw
        if kind not in ("seed", "fuzz", "timed") or type(kind) is not str:
            raise WorkerProtocolError(f"malformed message: {where} has kind {kind!r:.40}")
        if type(seed) is not int or type(salt) is not int:
            raise WorkerProtocolError(f"malformed message: {where} seed and salt should be ints")
        return cls(cast(CaseKind, kind), seed, salt)


@dataclass(frozen=True)
class TimedLoop(_Record):
    """What a worker needs to run its timed calls; both workers run the identical loop (worker/clock.py).

    Timed call j uses fresh inputs from `Case("timed", seed_base + j)`; the first `warmup` calls are
    reported and checked like the rest but left out of the statistics.
    """

    warmup: int
    calls: int  # the most timed calls after warm-up: the parent says when to stop (Positions.more)
    seed_base: int
    native: bool = False  # a device-wide synchronise before each end event (worker/clock.py)

    @property
    def total(self) -> int:
        return self.warmup + self.calls

    def case(self, j: int) -> Case:
        return Case("timed", self.seed_base + j)


@dataclass(frozen=True)
class TimingPlan(_Record):
    """The parent's timing plan for one judgement (judge/pipeline.py builds it, judge/timing.py reads it).

    Only `loop` reaches the workers: `rng` seeds the positions the parent checks in every timed output,
    and a candidate that knew it could compute just those elements (THREATS #4, #5).
    """

    warmup: int
    calls: int
    seed_base: int
    positions: int  # elements checked per output per timed call, when the output is larger than `full`
    full: int  # outputs up to this many elements come back whole
    rng: int  # secret: the seed of the checked positions
    compile_mode: str | None = None  # torch.compile mode of the compiled baseline (None: the default)
    native: bool = False  # the candidate has native code: both workers synchronise before the end event
    max_calls: int = 0  # the most calls after warm-up (0: calls); the parent stops earlier (judge/timing.py)

    @property
    def loop(self) -> TimedLoop:
        return TimedLoop(
            warmup=self.warmup,
            calls=max(self.calls, self.max_calls),
            seed_base=self.seed_base,
            native=self.native,
        )


# -- parent -> worker -----------------------------------------------------------------------------
@dataclass(frozen=True)
class CandidateJob(Message):
    KIND: ClassVar[Kind] = Kind.JOB
    problem_path: str
    candidate_path: str
    private_dir: str
    device: Device
    cases: tuple[Case, ...]
    ablation_case: Case
    strict: bool
    timing: TimedLoop | None
    reuse_index: int  # the case whose buffers the last case refills with fresh values
    ablate_at: int = 1 << 30  # the ablation runs before this case (past the end: after the last one)


@dataclass(frozen=True)
class ReferenceJob(Message):
    KIND: ClassVar[Kind] = Kind.JOB
    problem_path: str
    device: Device


@dataclass(frozen=True)
class Positions(Message):
    """After timed call `index`: which flat positions of each output to send back (None: all of it)."""

    KIND: ClassVar[Kind] = Kind.POSITIONS
    index: int
    positions: tuple[Annotated[tuple[int, ...], MaxItems(1 << 20)] | None, ...]
    more: bool = True  # another timed call after this one (False ends the worker's timed loop)


@dataclass(frozen=True)
class Go(Message):
    """The candidate may start timing: the judge holds this GPU's timing lock (judge/gpu_lock.py)."""

    KIND: ClassVar[Kind] = Kind.GO


@dataclass(frozen=True)
class MetaCmd(Command):
    OP: ClassVar[Op] = Op.META
    # Inputs above this many elements (0: no limit) are not made at all (their size comes from the
    # meta device): the forward and the op log use the first fuzz case. On a CPU a 4096^3 bf16 matmul
    # at benchmark size took over 300 s on 2 cores, and KernelBench inputs reach 6.4 GB per tensor.
    budget: int = 0
    fuzz: int = 8  # fuzz seeds wanted: derived ones are tried on the reference and the good ones named


@dataclass(frozen=True)
class ExpectedCmd(Command):
    OP: ClassVar[Op] = Op.EXPECTED
    cases: tuple[Case, ...]


@dataclass(frozen=True)
class TimeCmd(Command):
    OP: ClassVar[Op] = Op.TIME
    # each timed call index runs these in turn (eager and compiled interleaved, call by call)
    modes: tuple[Literal["eager", "compiled"], ...]
    compile_mode: str | None
    loop: TimedLoop


@dataclass(frozen=True)
class WarmCmd(Command):
    """Build the torch.compile baseline and run it once, before the timing phase needs it: the build
    (~6.6 s for relu on the H200, cold) then overlaps the candidate's correctness work instead of
    holding the GPU's timing lock (judge/pipeline.py)."""

    OP: ClassVar[Op] = Op.WARM
    compile_mode: str | None
    case: Case  # a benchmark-size case: the shapes the timed calls use


@dataclass(frozen=True)
class DeviceNameCmd(Command):
    OP: ClassVar[Op] = Op.DEVICE_NAME


@dataclass(frozen=True)
class CeilingsCmd(Command):
    OP: ClassVar[Op] = Op.CEILINGS


@dataclass(frozen=True)
class QuitCmd(Command):
    OP: ClassVar[Op] = Op.QUIT


# -- both workers -> parent: one timed call (payload of Values: the checked elements) ---------------
@dataclass(frozen=True)
class Timed(Message):
    KIND: ClassVar[Kind] = Kind.TIMED
    index: int
    ms: float  # device time, start event to end event (worker/clock.py CallTiming)
    host_ms: float  # host wall time of the whole call
    numels: tuple[int, ...]  # of each output: the parent picks positions from them
    enqueue_ms: float = 0.0  # host time the forward took to enqueue its work
    gate_ms: float = 0.0  # device time of the gate ahead of the start event
    covered: bool = True  # the gate covered the enqueue (no host gap inside the events)
    # how the call was timed (worker/clock.py): gate, gate+sync (native code), sync (no gate), host (CPU)
    method: TimedMethod = "gate"
    prep_ms: float = 0.0  # host time making this call's fresh inputs, before the call


@dataclass(frozen=True)
class Values(Message):
    KIND: ClassVar[Kind] = Kind.VALUES
    index: int
    wait_ms: float = 0.0  # host time the worker waited for the parent's Positions after its Timed


# -- candidate worker -> parent ------------------------------------------------------------------------
@dataclass(frozen=True)
class Violation(Message):
    """The audit hook or the harness saw the candidate try something (a `KW-R` code, judge/codes.py)."""

    KIND: ClassVar[Kind] = Kind.VIOLATION
    category: Literal["sandbox", "tampering"]
    code: str
    message: str


@dataclass(frozen=True)
class Ready(Message):
    KIND: ClassVar[Kind] = Kind.READY


@dataclass(frozen=True)
class Built(Message):
    KIND: ClassVar[Kind] = Kind.BUILT
    aligned: tuple[str, ...]  # parameters loaded from the reference's state_dict


@dataclass(frozen=True)
class Contract(Message):
    KIND: ClassVar[Kind] = Kind.CONTRACT
    message: str


@dataclass(frozen=True)
class Raised(Message):
    """The candidate raised at some stage (kind `error`); the parent classifies it (session.py)."""

    KIND: ClassVar[Kind] = Kind.ERROR
    stage: Stage
    case: str | None
    type: str
    module: str
    message: str
    traceback: str


@dataclass(frozen=True)
class BadOutput(Message):
    KIND: ClassVar[Kind] = Kind.BAD_OUTPUT
    case: str
    message: str


@dataclass(frozen=True)
class Tampered(Message):
    KIND: ClassVar[Kind] = Kind.TAMPERED
    names: tuple[str, ...]
    stage: str


@dataclass(frozen=True)
class Starting(Message):
    KIND: ClassVar[Kind] = Kind.STARTING
    case: str
    inputs: str  # shapes and dtypes, for the timeout message


@dataclass(frozen=True)
class CaseResult(Message):
    """One checked case (kind `case`); payload: {"outputs": [...], "inputs": [...]} as torch.save bytes."""

    KIND: ClassVar[Kind] = Kind.CASE
    case: str
    launches: dict[str, int]  # custom launches per kernel name
    failures: tuple[str, ...]  # launches that raised while forward still returned
    ms: float


@dataclass(frozen=True)
class Ablation(Message):
    """The ablation call, every custom launch skipped; payload: {"outputs": [...]} unless it raised."""

    KIND: ClassVar[Kind] = Kind.ABLATION
    skipped: int
    case: str
    raised: str | None = None


@dataclass(frozen=True)
class SealProbe(Message):
    """One case run four times on the CPU, sealed, open, open, sealed (worker/seal.py); payload:
    {"sealed": [...], "open": [...], "open2": [...], "sealed2": [...]}, a list empty when that call
    raised or returned no tensors."""

    KIND: ClassVar[Kind] = Kind.SEAL_PROBE
    case: str


@dataclass(frozen=True)
class Strict(Message):
    KIND: ClassVar[Kind] = Kind.STRICT
    ops: tuple[str, ...]  # PyTorch ops forward ran besides free ones (worker/strict.py, op_classes.py)
    hidden: tuple[str, ...] = ()  # ops run outside the trace, or how the trace was switched off


@dataclass(frozen=True)
class Share(Message):
    KIND: ClassVar[Kind] = Kind.SHARE
    share: float | None  # custom kernels' share of device time (worker/kernel_share.py)
    error: str | None = None


@dataclass(frozen=True)
class Done(Message):
    KIND: ClassVar[Kind] = Kind.DONE
    launches: dict[str, int]


# -- reference worker -> parent ---------------------------------------------------------------------
@dataclass(frozen=True)
class ProblemRaised(Message):
    """The problem file (or a reference computation on it) raised: the problem is bad input."""

    KIND: ClassVar[Kind] = Kind.PROBLEM_ERROR
    message: str
    traceback: str


@dataclass(frozen=True)
class Meta(Message):
    KIND: ClassVar[Kind] = Kind.META
    inputs: tuple[TensorMeta, ...]
    outputs: tuple[TensorMeta, ...]
    numel: int  # input elements at get_inputs() size
    io_bytes: int  # bytes of inputs plus outputs: the least traffic one call needs
    flops: float  # the problem's get_flops(inputs), 0 without one
    tolerance: dict[str, float] | None  # the problem's TOLERANCE override
    has_fuzz: bool
    ref_ops: tuple[str, ...]  # PyTorch compute ops the reference's forward runs
    # where the fuzz cases come from: "problem" (get_fuzz_inputs), "derived" (size globals), "none"
    fuzz_source: Literal["problem", "derived", "none"] = "problem"
    fuzz_seeds: tuple[int, ...] = ()  # the fuzz seeds the reference accepts (all of them: "problem")
    size_globals: tuple[str, ...] = ()  # the globals derived cases change
    bench_run: bool = True  # the benchmark-size inputs were made and run (not only sized)
    # stage -> CLOCK_MONOTONIC seconds when it ended, of the worker's start (for KERNELWRIGHT_TRACE)
    startup: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ExpectedOutputs(Message):
    """The reference's outputs for one case; payload: {"outputs": [...], "inputs": [...]} (before the call)."""

    KIND: ClassVar[Kind] = Kind.EXPECTED
    case: str
    input_meta: tuple[TensorMeta, ...]


@dataclass(frozen=True)
class DeviceName(Message):
    KIND: ClassVar[Kind] = Kind.DEVICE_NAME
    name: str


@dataclass(frozen=True)
class Ceilings(Message):
    """Measured ceilings of the card (worker/ceilings.py), for the roofline floor."""

    KIND: ClassVar[Kind] = Kind.CEILINGS
    copy_bytes_per_s: float
    bf16_flops_per_s: float


@dataclass(frozen=True)
class TimeDone(Message):
    KIND: ClassVar[Kind] = Kind.TIME_DONE


@dataclass(frozen=True)
class Warmed(Message):
    KIND: ClassVar[Kind] = Kind.WARMED
    seconds: float  # the build and the first call, on the worker's clock


# -- registries: what each direction may carry ------------------------------------------------------
class Registry:
    """The messages one direction may carry, decoded by kind (and op, for commands)."""

    def __init__(self, name: str, *classes: type[Message]) -> None:
        self.name = name
        self.classes: dict[tuple[str, str | None], type[Message]] = {}
        for cls in classes:
            key = (cls.KIND.value, cls.OP.value if issubclass(cls, Command) else None)
            assert key not in self.classes, f"{name}: two messages for {key}"
            self.classes[key] = cls

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(kind for kind, _ in self.classes)

    def decode(self, header: object) -> Message:
        """The typed message in a decoded header; WorkerProtocolError for anything else."""
        if type(header) is not dict:
            _refuse(self.name, "a dict", header)
        kind = header.get("kind")
        op = header.get("op") if kind == Kind.CMD.value else None
        if type(kind) is not str or (op is not None and type(op) is not str):
            raise WorkerProtocolError(f"malformed message: {self.name}: kind {kind!r:.40} op {op!r:.40}")
        cls = self.classes.get((kind, op))
        if cls is None:
            raise WorkerProtocolError(f"malformed message: {self.name}: unknown kind {kind!r:.40}")
        return cls.from_wire(header)


FROM_CANDIDATE = Registry(
    "candidate message",
    Violation, Ready, Built, Contract, Raised, BadOutput, Tampered, Starting, CaseResult, Ablation,
    SealProbe, Strict, Share, Timed, Values, Done,
)  # fmt: skip
FROM_REFERENCE = Registry(
    "reference message",
    ProblemRaised, Meta, ExpectedOutputs, DeviceName, Ceilings, Timed, Values, TimeDone, Warmed,
)  # fmt: skip
TO_CANDIDATE = Registry("candidate command", CandidateJob, Positions, Go)
TO_REFERENCE = Registry(
    "reference command",
    ReferenceJob, MetaCmd, ExpectedCmd, TimeCmd, WarmCmd, DeviceNameCmd, CeilingsCmd, QuitCmd, Positions,
)  # fmt: skip

# Every class with a wire form: sealed below, and snapshotted by the candidate worker's integrity check.
ALL_CLASSES: tuple[type, ...] = (
    _Record, Message, Command, Case, TimedLoop, TimingPlan,
    CandidateJob, ReferenceJob, Positions, Go, MetaCmd, ExpectedCmd, TimeCmd, WarmCmd, DeviceNameCmd, CeilingsCmd,
    QuitCmd, Timed, Values, Violation, Ready, Built, Contract, Raised, BadOutput, Tampered, Starting,
    CaseResult, Ablation, SealProbe, Strict, Share, Done, ProblemRaised, Meta, ExpectedOutputs, DeviceName, Ceilings,
    TimeDone, Warmed,
)  # fmt: skip

RESERVED = frozenset({"kind", "op", "payload"})  # header keys and Channel.send's own parameter


def _seal(cls: type[_Record]) -> None:
    """Build a record class's field checks from its annotations, once, at import."""
    hints = get_type_hints(cls, include_extras=True)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    assert not RESERVED & {f.name for f in fields}, f"{cls.__name__}: a field uses a reserved name"
    cls._CHECKS = {f.name: _checker(hints[f.name]) for f in fields}
    cls._ENCODERS = {f.name: _encoder(hints[f.name]) for f in fields}
    cls._REQUIRED = frozenset(
        f.name
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    )
    if issubclass(cls, Command):
        cls._HEAD = {"kind": cls.KIND.value, "op": cls.OP.value}
    elif issubclass(cls, Message):
        cls._HEAD = {"kind": cls.KIND.value}


for _cls in ALL_CLASSES:
    if isinstance(_cls, type) and issubclass(_cls, _Record) and dataclasses.is_dataclass(_cls):
        _seal(_cls)
del _cls


def post(send: Callable[..., None], message: Message, payload: bytes | bytearray = b"") -> None:
    """Send `message` through a channel-style `send(kind, [payload,] **fields)`."""
    fields = message.to_wire()
    kind = fields.pop("kind")
    if payload:
        send(kind, payload, **fields)
    else:
        send(kind, **fields)
