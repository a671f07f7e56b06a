"""The op trace: which PyTorch ops a forward runs besides its custom kernels (worker/op_classes.py).

Two recorders watch the same call, because a forward can switch either one off from inside:
- a TorchDispatchMode (sees every op after decomposition, with its arguments), which
  `torch.utils._python_dispatch._disable_current_modes()` or `torch._C._DisableTorchDispatch` pops;
- the profiler's RecordFunction callbacks on every thread, which do not depend on the Python mode
  stack, inside a range named by a random token.
The ops are the union of what both saw. An op the profiler saw outside the mode (popped, disabled,
or on another thread), a profiler session that lost the token's range (stopped and restarted from
inside) or one that cannot be closed are reported as `hidden`: the trace was switched off
(red team: cheat_rt_hide_ops_disable_modes). The candidate worker traces every correctness call
(`traced`), the reference worker one call (`torch_compute_ops`, the reference's ops for KW-P004).
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from kernelwright.worker.seal import BEGIN as SEAL_BEGIN
from kernelwright.worker.seal import CLOSE as SEAL_CLOSE
from kernelwright.worker.seal import END as SEAL_END
from kernelwright.worker.seal import OPEN as SEAL_OPEN

_audit = sys.audit  # bound at import, like the launch ledger's

# addmm & co. compute beta * bias + alpha * (a @ b): a scale other than 1 is a multiply of its own.
_SCALED = frozenset({"addmm", "baddbmm", "addbmm", "addmv", "addr"})
_MODE_EVENT = "PythonDispatchMode"
GEMM_SCALE = "gemm_scale"  # op_classes.PRODUCT: a product's alpha/beta, the reference's "mul"


@dataclass
class OpTrace:
    # Every aten op name, free ones included, first-seen order: the judge classifies them
    # (judge/session.py with worker/op_classes.py), in a process the candidate cannot reach; nothing
    # here reads a table the candidate could rebind (op_classes is not in the integrity snapshot).
    ops: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)  # ops run outside the mode; how the trace was off

    def add(self, name: str) -> None:
        if name not in self.ops:
            self.ops.append(name)

    def hide(self, what: str) -> None:
        if what not in self.hidden:
            self.hidden.append(what)


# Host-side work on a GPU: the tensors must come to the host first (NumPy, Python lists), and a kernel
# never needs more than a few values there (a length, a flag). Above these counts the copy or the
# scalar reads are the work; they are reported under these pseudo-op names (COMPUTE by default).
HOST_COPY_NUMEL = 1024
HOST_COPY = "copy_to_host"
ITEM_CALLS = 1024
ITEM_LOOP = "item_loop"


def _to_host(name: str, args: Any, kwargs: dict) -> int:
    """Elements a device -> host copy moves (0 when it is not one)."""
    if name == "_to_copy" and args and isinstance(args[0], torch.Tensor):
        dev = kwargs.get("device")
        if dev is not None and torch.device(dev).type == "cpu" and args[0].device.type != "cpu":
            return args[0].numel()
    if name == "copy_" and len(args) > 1 and all(isinstance(a, torch.Tensor) for a in args[:2]):
        dst, src = args[0], args[1]
        if dst.device.type == "cpu" and src.device.type != "cpu":
            return src.numel()
    return 0


# Indexing by a tensor made from the data is a lookup table: it can compute anything (red team: relu
# from byte tables with `index`; `y[mask] = 0` with a kernel-made mask). By default such ops move data;
# with an index or mask derived from the inputs or written by a kernel (tracked by the seal on the CPU,
# worker/seal.py) they are this pseudo-op, COMPUTE (worker/op_classes.py: unknown names are compute).
DATA_INDEXING = "data_indexing"
INDEXING = frozenset(
    {
        "index", "_unsafe_index", "index_put", "index_put_", "_index_put_impl_", "_unsafe_index_put",
        "gather", "scatter", "scatter_", "scatter_add", "scatter_add_", "scatter_reduce", "scatter_reduce_",
        "take", "take_along_dim", "put", "put_", "index_select", "embedding", "masked_select", "masked_fill",
        "masked_fill_", "masked_scatter", "masked_scatter_", "index_add", "index_add_", "index_copy",
        "index_copy_", "index_fill", "index_fill_", "index_reduce", "index_reduce_",
    }
)  # fmt: skip


# Indexing ops that add, multiply or reduce into their target do arithmetic, whatever the index: a
# relu from sign bits, `index_put_(accumulate=True)` and `scatter_(reduce="multiply")` (red team:
# cheat_rt_seal2_accumulate_arith). A pseudo-op, COMPUTE like every unknown name.
INDEXED_ARITHMETIC = "indexed_arithmetic"
_ALWAYS_ARITHMETIC = frozenset(
    {"index_add", "index_add_", "scatter_add", "scatter_add_", "scatter_reduce", "scatter_reduce_",
     "index_reduce", "index_reduce_"}
)  # fmt: skip


def _accumulates(name: str, func: Any, args: Any, kwargs: dict) -> bool:
    if name in ("index_put", "index_put_"):
        return bool(kwargs.get("accumulate", args[3] if len(args) > 3 else False))
    if name in ("scatter", "scatter_"):
        return "reduce" in kwargs or "reduce" in str(getattr(func, "_overloadname", ""))
    if name == "_index_put_impl_":
        return bool(kwargs.get("accumulate", args[3] if len(args) > 3 else False))
    return name in _ALWAYS_ARITHMETIC


class _OpLog(TorchDispatchMode):
    def __init__(self, trace: OpTrace) -> None:
        super().__init__()
        self.trace = trace
        self.items = 0

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        name = func.overloadpacket.__name__
        if _to_host(name, args, kwargs) >= HOST_COPY_NUMEL:
            self.trace.add(HOST_COPY)
        if name == "_local_scalar_dense":
            self.items += 1
            if self.items > ITEM_CALLS:
                self.trace.add(ITEM_LOOP)
        if _accumulates(name, func, args, kwargs):
            self.trace.add(INDEXED_ARITHMETIC)
        if getattr(func, "namespace", "aten") == "aten":
            self.trace.add(name)
            if name.rstrip("_") in _SCALED and (
                kwargs.get("alpha", 1) != 1 or kwargs.get("beta", 1) not in (0, 1)
            ):
                self.trace.add(GEMM_SCALE)
        # Sealed bytes (worker/seal.py) are open while a real aten op runs; what it returns is sealed.
        _audit(SEAL_OPEN)
        out = None
        try:
            out = func(*args, **kwargs)
        finally:
            _audit(SEAL_CLOSE)
        return out


def _profiler() -> Any:
    from torch.autograd.profiler import profile

    try:
        from torch._C._profiler import _ExperimentalConfig

        return profile(experimental_config=_ExperimentalConfig(profile_all_threads=True))
    except TypeError:  # a torch without profile_all_threads: the calling thread only
        return profile()


def _walk(events: list[Any], token: str, trace: OpTrace) -> bool:
    """Adds the profiler's ops to the trace; False when the token's range is missing."""
    children: dict[int, list[Any]] = {}
    roots = []
    for e in events:
        parent = e.cpu_parent
        if parent is None:
            roots.append(e)
        else:
            children.setdefault(id(parent), []).append(e)

    found = False
    memo: dict[int, bool] = {}

    def seen(e: Any) -> bool:
        """Whether the mode handled this op or, for a composite one, the ops it decomposed into."""
        if id(e) not in memo:
            kids = children.get(id(e), [])
            memo[id(e)] = any(c.name == _MODE_EVENT for c in kids) or any(
                seen(c) for c in kids if c.name.startswith("aten::")
            )
        return memo[id(e)]

    def visit(e: Any, state: str) -> None:
        """state: "out" (the mode should see every op), "impl" (inside a custom op the mode handed on:
        its body runs with the mode popped, so record without calling it hidden)."""
        nonlocal found
        name: str = e.name
        kids = children.get(id(e), [])
        if name == token:
            found = True
        elif name.startswith("aten::"):
            if state == "out" and seen(e):
                for c in kids:  # a composite op (softmax -> _softmax): the mode saw its parts
                    if c.name != _MODE_EVENT:
                        visit(c, state)
                return  # below the mode's event is the op's own implementation (relu -> clamp_min)
            op = name.removeprefix("aten::").split(".")[0]
            trace.add(op)
            if state == "out":
                trace.hide(op)
            return
        elif name == _MODE_EVENT:
            state = "impl"  # a custom (non-aten) op's body: the mode is popped while it runs
        for c in kids:
            visit(c, state)

    for r in roots:
        visit(r, "out")
    return found


def traced(trace: OpTrace, call: Callable[[], Any], inputs: Any = None) -> Any:
    """Runs `call` under both recorders, adds what it ran to `trace`, and returns what it returned.

    The candidate worker runs every correctness call through this (worker/candidate.py), so the
    traced call is not one a forward could single out and answer honestly while PyTorch does the
    work on the others (the trace itself stays visible: a dispatch mode is on the stack). `inputs`,
    on the CPU, are sealed for the call (worker/seal.py, once the worker installed the seal): their
    bytes read as NaN outside kernels and aten ops, and everything is open again when it returns.
    """
    from torch.autograd.profiler import record_function

    off = "the profiler session was stopped or restarted from inside forward"
    log = _OpLog(trace)
    token = f"kw_{secrets.token_hex(8)}"
    prof = _profiler()
    prof.__enter__()
    stopped = False
    try:
        with torch.no_grad(), record_function(token), log:
            if inputs is None:  # nothing sealed: a launch's arguments and ops' results stay readable too
                out = call()
            else:
                _audit(SEAL_BEGIN, inputs)
                try:
                    out = call()
                finally:
                    _audit(SEAL_END)
    finally:
        try:
            prof.__exit__(None, None, None)
        except RuntimeError:  # stopped from inside: nothing it recorded can be trusted
            stopped = True
    if stopped or not _walk(list(prof.function_events or []), token, trace):
        trace.hide(off)
    return out


def trace_ops(call: Callable[[], Any]) -> OpTrace:
    """Runs `call` once under both recorders: the ops it ran and any sign of hiding."""
    trace = OpTrace()
    traced(trace, call)
    return trace


def torch_compute_ops(call: Callable[[], Any]) -> list[str]:
    """The ops `call` runs (the reference's op set for KW-P004; the judge drops the free ones)."""
    return trace_ops(call).ops
