"""Sealed data: on the CPU, input-derived bytes read as NaN outside kernels and PyTorch ops (THREATS #25).

The op trace sees every PyTorch op and the launch ledger every kernel, but neither sees work done on
raw memory: `x.numpy()` shares the tensor's bytes, and NumPy (or `tolist()`, or ctypes) can compute the
whole answer while a Triton kernel only copies it into the output (red team: cheat_rt_numpy_hidden_work).
On a GPU that work needs a device-to-host copy, which the trace names (`copy_to_host`); on the CPU
there is nothing to see. So during every traced correctness call the bytes themselves are hidden:

- the inputs, every tensor a PyTorch op returns and every tensor a kernel launch was given are
  *sealed*: their bytes are saved to a shadow buffer and overwritten with 0xFF (NaN for every float
  type, -1 for integers);
- while a kernel launch or a PyTorch op runs (the launch ledger's wrapper, the op trace's dispatch
  mode), every sealed storage is *open*: its true bytes are back, and what the launch or op wrote is
  saved when it ends;
- when forward returns, everything is opened and forgotten, before the judge's snapshot.

So a kernel and PyTorch see the real values, and code that reads memory any other way sees NaN: work
hidden that way gives a wrong answer, whatever it looks like. A kernel that only copies a buffer
someone else filled copies NaN. The candidate worker also runs the ablation's case once sealed and once
open (the seal probe): right only when open names the hidden work (KW-P008, judge/session.py).

The seal's state lives in an audit hook's closure (`_make_hook`), built with private globals like the
launch ledger's: the wrapper and the dispatch mode only raise events, and the hook honours an event
only from their genuine code objects (a forward that raises OPEN itself opens nothing), and OPEN from
the dispatch mode only around a real `OpOverload`. Copies use `ctypes.memmove`/`memset`, which are no
PyTorch ops, so the op trace's two recorders do not see the seal's own work.

What this cannot hide: scalars that PyTorch ops return (`item()` in a loop is the op trace's
`item_loop`, a compute op under the default policy), finalizers a genuine op's frees could trigger,
and anything on a GPU (nothing is sealed there: device memory; the op trace names device-to-host
copies instead). Closed after a red-team round (docs/JUDGE.md "Open holes"): aliases that shrank an
entry, candidate `__iter__` in the hook's walk, gc callbacks, other threads, grid functions and pre-run
hooks, an unsealed ablation, indexing by data-derived indices (`data_indexing`), pointers made from
integers (every interpreted load and store is checked), Python kernels registered for aten ops and
plain Python callables handed to a launch.
"""

from __future__ import annotations

import builtins
import ctypes
import gc
import inspect
import os
import sys
import threading
from collections.abc import Callable
from types import FunctionType, SimpleNamespace
from typing import Any

_audit = sys.audit
_getframe = sys._getframe

BEGIN = "kernelwright.seal_begin"  # (inputs,): a traced call starts; seal its inputs
END = "kernelwright.seal_end"  # (): the traced call returned or raised; open and forget everything
OPEN = "kernelwright.seal_open"  # (): a launch or an op starts
CLOSE = "kernelwright.seal_close"  # (): it ended; seal what it was given and what it returned
SUSPEND = "kernelwright.seal_suspend"  # (): a launch calls the candidate's grid function or hooks
RESUME = "kernelwright.seal_resume"  # (): they returned
ACCESS = "kernelwright.seal_access"  # (addresses, mask, item size): an interpreted kernel's load/store
_EVENTS = frozenset({BEGIN, END, OPEN, CLOSE, SUSPEND, RESUME, ACCESS})
POISON = 0xFF  # every byte: NaN in float16/bfloat16/float32/float64, -1 in signed integers

# Ops that move no bytes: no need to open the seal around them (a forward runs many).
_METADATA_OPS = frozenset(
    {
        "view", "_unsafe_view", "_reshape_alias", "as_strided", "alias", "detach", "t", "transpose",
        "permute", "expand", "squeeze", "unsqueeze", "select", "slice", "unbind", "split",
        "split_with_sizes", "chunk", "narrow", "diagonal", "view_as_real", "view_as_complex",
        "empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided",
        "sym_size", "sym_stride", "sym_numel", "sym_storage_offset", "is_contiguous", "dim",
    }
)  # fmt: skip

_installed: list[bool] = []


def install(originals: list[Any], private_dir: str) -> Callable[[], list[str]]:
    """Hook the seal in once per process, after the launch ledger's Triton wrappers.

    `originals`: the ledger's list of Triton's own `run` functions (launches.py): a launch opens the
    seal only from the genuine wrapper around one of them, as the ledger counts it. `private_dir`: where
    the candidate's code lives (no other thread running it may be inside an open window).
    """
    if _installed:
        raise RuntimeError("the seal is installed once per process")
    import torch
    from torch._ops import OpOverload

    from kernelwright.worker import launches, strict

    code = SimpleNamespace(
        launch=launches._wrap_triton(None).__code__,
        launch_globals=vars(launches),
        originals=originals,
        # TorchDispatchMode wraps __torch_dispatch__ (torch._compile's disable): the frame runs the inner code
        dispatch=inspect.unwrap(strict._OpLog.__torch_dispatch__).__code__,
        begin=strict.traced.__code__,
        strict_globals=vars(strict),
        op_type=OpOverload,
        plain=(torch.Tensor, torch.nn.Parameter),
        tensor=torch.Tensor,
        storage_fn=torch._C.TensorBase.untyped_storage,
        device_fn=torch._C.TensorBase.device.__get__,
        sealed_call=launches._sealed_call(None).__code__,
        access=tuple(
            getattr(launches._InterpreterMemory, n).__code__
            for n in ("load", "store", "atomic_rmw", "atomic_cas")
        ),
        np=__import__("numpy"),
        private=os.path.realpath(private_dir) + os.sep,
        indexing=strict.INDEXING,
        triton_types=_triton_value_types(),
        stdlib_bases=(__import__("typing").Generic, __import__("abc").ABC),
        scalars=(int, float, bool, str, type(None), torch.dtype, torch.device, *_numpy_scalars()),
        torch_dir=os.path.dirname(str(torch.__file__)) + os.sep,
        torch_py_keys=frozenset(
            {"DispatchKey.Meta", "DispatchKey.Autograd", "DispatchKey.CompositeImplicitAutograd"}
        ),
        tls_included=torch._C._dispatch_tls_is_dispatch_key_included,
        python_dispatcher_key=torch._C.DispatchKey.PythonDispatcher,
        triton_dir=os.path.dirname(str(__import__("triton").__file__)) + os.sep,
        dump=torch._C._dispatch_dump,
    )
    hook, report = _private(_make_hook)(code)
    sys.addaudithook(hook)
    _installed.append(True)
    return report


def _numpy_scalars() -> tuple[type, ...]:
    import numpy as np

    return tuple(np.sctypeDict[k] for k in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                                            "uint64", "float16", "float32", "float64", "bool"))  # fmt: skip


def _triton_value_types() -> tuple[type, ...]:
    """Callable things a launch may legitimately be given: kernels and Triton's constexpr values."""
    import triton.language as tl
    from triton.runtime.jit import JITCallable, KernelInterface

    types: list[type] = [JITCallable, KernelInterface, tl.constexpr, tl.dtype]
    try:
        from triton.tools.tensor_descriptor import TensorDescriptor

        types.append(TensorDescriptor)
    except ImportError:  # pragma: no cover - a Triton without host-side descriptors
        pass
    try:
        from triton.runtime.interpreter import InterpretedFunction

        types.append(InterpretedFunction)
    except ImportError:  # pragma: no cover - very old Triton
        pass
    return tuple(types)


def _private(fn: Any) -> Any:
    """`fn` with private copies of this module's globals and of builtins (launches.py does the same)."""
    g = dict(globals())
    g["__builtins__"] = dict(vars(builtins))
    return FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)


def _make_hook(code: Any) -> Any:  # noqa: C901 - one event table
    events, getframe, frames = _EVENTS, _getframe, sys._current_frames
    begin_ev, end_ev, open_ev, close_ev, suspend_ev, resume_ev = BEGIN, END, OPEN, CLOSE, SUSPEND, RESUME
    access_ev, np = ACCESS, code.np
    memmove, memset, buffer, addressof = (
        ctypes.memmove,
        ctypes.memset,
        ctypes.create_string_buffer,
        ctypes.addressof,
    )
    gc_enabled, gc_disable, gc_enable = gc.isenabled, gc.disable, gc.enable
    get_ident = threading.get_ident
    metadata = _METADATA_OPS
    tensor_type, op_type, plain = code.tensor, code.op_type, code.plain
    tls_included, python_dispatcher_key = code.tls_included, code.python_dispatcher_key
    storage_fn, device_fn = code.storage_fn, code.device_fn
    private = code.private
    # Sealed memory as disjoint intervals: [start, end, storages kept alive, shadow or None]. A storage
    # that overlaps one already known widens it (red team: a 4-byte alias of x at x's address must not
    # shrink x's entry to 4 bytes, which left the rest of x readable).
    s = SimpleNamespace(depth=0, opened=0, suspended=0, blocked=False, gc_was=False, entries=[])
    # Memory derived from the data: the inputs, every launch's tensors, what ops on such memory return.
    # An indexing op whose index or mask lies there is a lookup table doing work (strict.DATA_INDEXING).
    d = SimpleNamespace(dirty=set(), pending=[], found=[])
    indexing = code.indexing
    dump = code.dump

    def effective() -> bool:
        return s.opened > 0 and s.suspended == 0 and not s.blocked

    def tensors(value: Any, out: list, depth: int = 0) -> None:
        """Tensors in exact lists, tuples and dicts: no Python code of the candidate runs here (a list
        subclass's `__iter__` would run while the seal is open: red team)."""
        t = type(value)
        if issubclass(t, tensor_type):
            out.append(value)
        elif depth < 4 and (t is list or t is tuple):
            for v in value:
                tensors(v, out, depth + 1)
        elif depth < 4 and t is dict:
            for v in dict.values(value):
                tensors(v, out, depth + 1)

    def storage_of(t: Any) -> Any:
        try:  # C-level accessors: a subclass's Python properties do not run
            if device_fn(t).type != "cpu":
                return None
            st = storage_fn(t)
            return st if st.nbytes() > 0 and st.data_ptr() != 0 else None
        except Exception:  # noqa: BLE001 - wrapper subclasses, meta, sparse: no storage of their own
            return None

    def seal_one(entry: list) -> None:
        start, end, _, shadow = entry
        if shadow is None:
            shadow = buffer(end - start)
            entry[3] = shadow
        memmove(addressof(shadow), start, end - start)
        memset(start, POISON, end - start)

    def open_one(entry: list) -> None:
        start, end, _, shadow = entry
        if shadow is not None:
            memmove(start, addressof(shadow), end - start)

    def add(values: list) -> None:
        """Only while every entry is open (their shadows are stale then and are dropped on a merge)."""
        for t in values:
            st = storage_of(t)
            if st is None:
                continue
            start = st.data_ptr()
            end = start + st.nbytes()
            keep, refs = [], [st]
            for e in s.entries:
                if e[0] < end and start < e[1]:
                    start, end = min(start, e[0]), max(end, e[1])
                    refs.extend(e[2])
                else:
                    keep.append(e)
            keep.append([start, end, refs, None])
            s.entries = keep

    def interval(t: Any) -> tuple[int, int] | None:
        st = storage_of(t)
        return None if st is None else (st.data_ptr(), st.data_ptr() + st.nbytes())

    def dirty(t: Any) -> bool:
        iv = interval(t)
        return iv is not None and any(a < iv[1] and iv[0] < b for a, b in d.dirty)

    def mark(values: list) -> None:
        for t in values:
            iv = interval(t)
            if iv is not None:
                d.dirty.add(iv)

    def index_args(value: Any, out: list, depth: int = 0) -> None:
        """Integer and bool tensors (indices, masks) in exact lists and tuples."""
        t = type(value)
        if issubclass(t, tensor_type):
            if not value.is_floating_point() and not value.is_complex():
                out.append(value)
        elif depth < 2 and (t is list or t is tuple):
            for v in value:
                index_args(v, out, depth + 1)

    def watch_op(local: Any) -> None:
        """At an aten op's OPEN: whether it reads data-derived memory, and indexes by it."""
        args, kwargs = local.get("args"), local.get("kwargs")
        found: list = []
        tensors(args, found)
        tensors(kwargs, found)
        derived = any(dirty(t) for t in found)
        d.pending.append(derived)
        if derived and local.get("func").overloadpacket.__name__ in indexing:
            index: list = []
            for a in args[1:] if type(args) is tuple else ():
                index_args(a, index)
            for a in dict.values(kwargs) if type(kwargs) is dict else ():
                index_args(a, index)
            if any(dirty(t) for t in index):
                d.found.append(local.get("func").overloadpacket.__name__)

    def open_all() -> None:
        for entry in s.entries:
            open_one(entry)

    def seal_all() -> None:
        for entry in s.entries:
            seal_one(entry)

    def candidate_thread() -> bool:
        """Another thread running the candidate's code would read what the seal opens."""
        me = get_ident()
        for tid, top in frames().items():
            frame: Any = top
            while tid != me and frame is not None:
                if frame.f_code.co_filename.startswith(private):
                    return True
                frame = frame.f_back
        return False

    def check_access(ptrs: Any, mask: Any, size: int, store: bool = False) -> None:
        """Every address an interpreted kernel touches lies in memory the seal knows (the inputs, the
        launch's tensors, what ops returned): a kernel may not reach a buffer nobody sealed. What a
        kernel writes is data-derived, wherever it lands (red team: cheat_rt_seal2_offlist_write wrote
        x's bits into a buffer it was not given, then indexed by a mask made from it)."""
        p = np.asarray(ptrs, dtype=np.uint64)
        if mask is not None:
            m = np.broadcast_to(np.asarray(mask, dtype=bool), p.shape)
            p = p[m]
        p = p.reshape(-1)
        if p.size == 0:
            return
        spans = sorted((e[0], e[1]) for e in s.entries)
        starts = np.array([a for a, _ in spans], dtype=np.uint64)
        ends = np.array([b for _, b in spans], dtype=np.uint64)
        i = np.searchsorted(starts, p, side="right").astype(np.int64) - 1
        ok = (
            (i >= 0) & (p + np.uint64(size) <= ends[np.maximum(i, 0)])
            if len(spans)
            else np.zeros(p.shape, bool)
        )
        if store and len(spans):
            for k in np.unique(i[ok]).tolist():
                d.dirty.add(spans[k])
        if not bool(ok.all()):
            bad = int(p[~ok][0])
            raise PermissionError(
                f"kernelwright seal: a kernel accessed address {bad:#x}, outside its tensors and every tensor "
                "of this call (a pointer made from an integer?)"
            )

    def now_open() -> None:
        s.gc_was = gc_enabled()
        gc_disable()  # a gc callback would run the candidate's Python while the seal is open
        open_all()

    def now_sealed() -> None:
        seal_all()
        if s.gc_was:
            gc_enable()

    def python_kernel(name: str) -> bool:
        """A Python kernel registered for this aten op on a key the CPU runs (`torch.library` on the
        aten namespace): it is the candidate's code inside a genuine op (red team: a Python `aten::clone`
        did relu in NumPy). Torch registers Python kernels only for Meta, CUDA and MPS (3110 aten ops
        dumped with torch 2.13); a dump takes ~30 us."""
        for line in dump(name).splitlines():
            if "registered at " in line and ".py:" in line:
                key = line.split(":", 1)[0]
                if not any(k in key for k in ("Meta", "CUDA", "MPS", "XPU", "HIP")):
                    return True
        return False

    def triton_own(t: type) -> bool:
        """A class of Triton's own: every class of its MRO below `object` defines its methods in Triton
        (a candidate's subclass of `tl.constexpr` could define `__add__` for the kernel body to run)."""
        for klass in t.__mro__[:-1]:
            if klass in code.stdlib_bases:
                continue
            for value in vars(klass).values():
                f = getattr(value, "__func__", None) or getattr(value, "fget", None) or value
                c = getattr(f, "__code__", None)
                if c is not None and c is not code.launch and not c.co_filename.startswith(code.triton_dir):
                    return False  # (the launch ledger's wrapper stands in for Triton's own `run`)
        return True

    def foreign(value: Any, depth: int = 0) -> bool:
        """Anything a launch is given that is not a plain tensor, number, string, dtype, Triton value or
        kernel, or an exact container of those: the interpreter would run its Python (its
        `untyped_storage`, `__add__`, `__len__`) inside the launch (red team: cheat_rt_seal2_*)."""
        t = type(value)
        if t is list or t is tuple:
            return depth >= 4 or any(foreign(v, depth + 1) for v in value)
        if t is dict:
            return depth >= 4 or any(foreign(v, depth + 1) for v in dict.values(value))
        if t in plain or t in code.scalars:
            return False
        if t is FunctionType:
            c = value.__code__
            return not (c is code.sealed_call or c.co_filename.startswith(code.triton_dir))
        return not (issubclass(t, code.triton_types) and triton_own(t))

    def python_dispatch(func: Any) -> bool:
        """The op could run Python of the candidate's: the Python dispatcher is on, or a `py_impl`
        kernel beyond torch's own decompositions (Meta, Autograd, CompositeImplicitAutograd, all in
        torch's files) is registered (red team: cheat_rt_seal2_py_impl)."""
        if tls_included(python_dispatcher_key):
            return True
        for key, kernel in list(func.py_kernels.items()):
            c = getattr(kernel, "__code__", None)
            if (
                str(key) not in code.torch_py_keys
                or c is None
                or not c.co_filename.startswith(code.torch_dir)
            ):
                return True
        return False

    def genuine_opener(frame: Any) -> bool:
        """The ledger's wrapper around Triton's own `run`, or the op trace's mode around an aten op
        whose tensors are all plain (a tensor subclass's `__torch_dispatch__` and a custom op's body
        are the candidate's Python: they run sealed; kernels they launch open it again)."""
        local = frame.f_locals
        if frame.f_code is code.launch:
            original = local.get("original")
            if frame.f_globals is not code.launch_globals or not any(original is o for o in code.originals):
                return False
            # A plain Python callable or object handed to a kernel would run inside the launch with the
            # seal open; on a GPU it would not compile. Such a launch runs sealed; so does one whose grid
            # is neither an exact tuple/list of numbers nor a grid function (run shut: _sealed_call).
            return not (
                foreign(local.get("args")) or foreign(local.get("kwargs")) or foreign(local.get("grid"))
            )
        if frame.f_code is not code.dispatch or frame.f_globals is not code.strict_globals:
            return False
        func = local.get("func")
        if type(func) is not op_type or func.namespace != "aten" or func.overloadpacket.__name__ in metadata:
            return False
        if python_kernel(func.name()) or python_dispatch(func):
            return False
        found: list = []
        tensors(local.get("args"), found)
        tensors(local.get("kwargs"), found)
        return all(type(t) in plain for t in found)

    def hook(event: str, args: tuple) -> None:  # noqa: C901 - one event table
        if event not in events:
            return
        frame = getframe(1)
        if frame is None:
            return
        fcode = frame.f_code
        if event == begin_ev:
            if fcode is not code.begin or frame.f_globals is not code.strict_globals:
                return
            s.depth += 1
            if s.depth == 1 and args:
                found: list = []
                tensors(args[0], found)
                add(found)
                mark(found)
                seal_all()
            return
        if event == end_ev:
            if fcode is not code.begin or frame.f_globals is not code.strict_globals or s.depth == 0:
                return
            s.depth -= 1
            if s.depth == 0:
                if not effective():
                    open_all()
                elif s.gc_was:
                    gc_enable()
                s.entries = []
                s.opened = s.suspended = 0
                s.blocked = False
                d.dirty, d.pending = set(), []
            return
        if s.depth == 0:
            return
        if event == access_ev:
            if fcode in code.access and frame.f_globals is code.launch_globals and effective():
                check_access(*args)
            return
        if event in (suspend_ev, resume_ev):
            # Candidate callbacks a launch makes (a grid function, pre-run hooks) run sealed.
            if fcode is not code.sealed_call or frame.f_globals is not code.launch_globals:
                return
            was = effective()
            if event == suspend_ev:
                s.suspended += 1
            elif s.suspended > 0:
                s.suspended -= 1
            if was and not effective():
                now_sealed()
            elif effective() and not was:
                now_open()
            return
        if not genuine_opener(frame):
            return  # not the judge's wrapper around a real launch, nor its mode around a real aten op
        if event == open_ev:
            if fcode is code.dispatch:
                watch_op(frame.f_locals)
            was = effective()
            s.opened += 1
            if s.opened == 1 and s.suspended == 0:
                s.blocked = candidate_thread()  # then it stays shut: the kernel computes on NaN
            if effective() and not was:
                now_open()
            if effective() and fcode is code.launch:  # its tensors are memory it may touch
                found = []
                tensors(frame.f_locals.get("args"), found)
                tensors(frame.f_locals.get("kwargs"), found)
                add(found)
            return
        if event != close_ev or s.opened == 0:
            return
        if effective():  # what it was given and made is sealed too (memory is all open now)
            found = []
            local = frame.f_locals
            tensors(local.get("args"), found)
            tensors(local.get("kwargs"), found)
            tensors(local.get("out"), found)
            tensors(local.get("result"), found)
            add(found)
            # A kernel's tensors all count as data-derived; an op's when it read such memory.
            if fcode is code.launch or (d.pending and d.pending[-1]):
                mark(found)
        if fcode is code.dispatch and d.pending:
            d.pending.pop()
        was = effective()
        s.opened -= 1
        if s.opened == 0:
            s.blocked = False
        if was and not effective():
            now_sealed()

    def report() -> list[str]:
        """Indexing ops that used data-derived indices since the last report (the worker's only handle)."""
        found, d.found = d.found, []
        return found

    return hook, report
