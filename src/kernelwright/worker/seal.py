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
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType, SimpleNamespace
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
QUIET = "kernelwright.seal_quiet"  # (body,): a vetted kernel body starts; the window watcher may rest
WATCH = "kernelwright.seal_watch"  # (): that body returned
_EVENTS = frozenset({BEGIN, END, OPEN, CLOSE, SUSPEND, RESUME, ACCESS, QUIET, WATCH})
# Audit events the window watcher (`_make_hook`) also reads: code the candidate makes at run time, and
# anything that would replace the watcher while a window is open.
_CODE_EVENTS = frozenset({"exec", "function.__new__"})
_PROFILE_EVENTS = frozenset({"sys.setprofile", "sys.settrace"})
# What the worker adds to the op trace when the seal saw hidden work (worker/candidate.py): indexing by
# data-derived indices (strict.DATA_INDEXING), and the candidate's Python running inside a window.
PYTHON_IN_WINDOW = "python_in_kernel_window"
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
        data_indexing=strict.DATA_INDEXING,
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
        rewriter=_rewriter_code(),
        setprofile=sys.setprofile,
        linecache=__import__("linecache"),
        quiet=launches._QuietBody.__call__.__code__,
        sources=_sources(private_dir),
        kernel_types=_kernel_types(),
        constexpr=__import__("triton.language", fromlist=["constexpr"]).constexpr,
        builtins=builtins,
        trusted_dirs=_trusted_dirs(),
        builtin_modules=frozenset(sys.builtin_module_names),
    )
    hook, report = _private(_make_hook)(code)
    sys.addaudithook(hook)
    _installed.append(True)
    return report


def _rewriter_code() -> tuple[Any, Any] | None:
    """(code, globals) of the Triton interpreter's `FunctionRewriter._compile_and_exec`: the one place
    a kernel body's Python is compiled from the kernel's source (worker/seal.py, the window watcher)."""
    try:
        from triton.runtime import interpreter
    except ImportError:  # pragma: no cover - very old Triton
        return None
    fn = getattr(getattr(interpreter, "FunctionRewriter", None), "_compile_and_exec", None)
    return (fn.__code__, vars(interpreter)) if fn is not None else None


def _sources(private_dir: str) -> dict[str, str]:
    """The candidate's Python files as they are before it is imported (the window watcher compares what
    Triton's rewriter read with them; the audit policy keeps the candidate's frames from reading files,
    so they are read now)."""
    out: dict[str, str] = {}
    for root, _, files in os.walk(private_dir):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                try:
                    with open(path, encoding="utf-8") as fh:
                        text = fh.read()
                except (OSError, UnicodeDecodeError):
                    continue
                out[path] = out[os.path.realpath(path)] = text
    return out


def _kernel_types() -> dict[type, frozenset[str]]:
    """The interpreter's kernel class and the instance attributes a genuine kernel has (a candidate's
    `kernel.rewrite = f` adds one: red team, cheat_rt_seal3_kernel_instance_rewrite)."""
    try:
        from triton.runtime.interpreter import InterpretedFunction
    except ImportError:  # pragma: no cover - very old Triton
        return {}

    def probe() -> None:
        pass

    return {InterpretedFunction: frozenset(vars(InterpretedFunction(probe)))}


def _trusted_dirs() -> tuple[str, ...]:
    """Where code the watcher trusts lives: Triton, torch, NumPy, the standard library, kernelwright."""
    import sysconfig

    import numpy
    import torch
    import triton

    paths = sysconfig.get_paths()
    dirs = [os.path.dirname(str(m.__file__)) for m in (triton, torch, numpy)]
    dirs += [
        paths["stdlib"],
        paths["platstdlib"],
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    ]
    return tuple(os.path.realpath(d) + os.sep for d in dict.fromkeys(dirs)) + tuple(
        d + os.sep for d in dict.fromkeys(dirs)
    )


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
    code_events, profile_events = _CODE_EVENTS, _PROFILE_EVENTS
    begin_ev, end_ev, open_ev, close_ev, suspend_ev, resume_ev = BEGIN, END, OPEN, CLOSE, SUSPEND, RESUME
    access_ev, np = ACCESS, code.np
    quiet_ev, watch_ev = QUIET, WATCH
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
    s = SimpleNamespace(depth=0, opened=0, suspended=0, blocked=False, gc_was=False, entries=[], spans=None)
    # Memory derived from the data: the inputs, every launch's tensors, what ops on such memory return.
    # An indexing op whose index or mask lies there is a lookup table doing work (strict.DATA_INDEXING).
    d = SimpleNamespace(dirty=set(), pending=[], found=[])
    indexing, data_indexing, python_in_window = code.indexing, code.data_indexing, PYTHON_IN_WINDOW
    dump = code.dump
    # The window watcher. While the seal is open, a profile function sees every Python call on this
    # thread; the candidate's own Python may not run then, since it would read what is open (red team,
    # third round: a tensor's instance attribute `untyped_storage`, a module's `__eq__` that the
    # interpreter's `_patch_lang` calls, a kernel's instance `rewrite`, a finalizer run by a free inside
    # a genuine aten op, a local alias called from a kernel body). Allowed: every file outside the
    # candidate's directory, and kernel bodies Triton's interpreter compiled from the kernel's source
    # (`bodies`, collected at its `exec`). Code the candidate makes at run time under a `<string>`-style
    # name is remembered (`made`) and refused too. A breach shuts the seal for the rest of the window and
    # is reported (PYTHON_IN_WINDOW); a forward that computes there computes on NaN.
    w = SimpleNamespace(
        bodies=set(), made=set(), ok=set(), names=set(), breaches=0, active=False, own=False,
        quiet=0, granted=[], fast=None, launch=None, inert={},
    )  # fmt: skip
    trusted_dirs, builtin_modules, kernel_types = code.trusted_dirs, code.builtin_modules, code.kernel_types
    builtins_dict = vars(code.builtins)
    setprofile, linecache, sources = code.setprofile, code.linecache, code.sources
    rewriter = code.rewriter

    def code_objects(c: Any, out: set, depth: int = 0) -> None:
        out.add(c)
        if depth < 8:
            for k in c.co_consts:
                if type(k) is type(c):
                    code_objects(k, out, depth + 1)

    def source_untouched(filename: str) -> bool:
        """The lines Triton's rewriter read (linecache) are the file's own: the candidate may not feed
        it other source for a kernel body."""
        entry = linecache.cache.get(filename)
        if entry is None or type(entry) is not tuple or len(entry) < 3 or type(entry[2]) is not list:
            return False
        text = sources.get(filename)
        if text is None:  # outside the candidate's files: Triton's own jit functions (tl.sum, tl.cdiv)
            return filename.startswith(trusted_dirs)
        return "".join(entry[2]) == text

    def note_code(event: str, args: tuple, frame: Any) -> None:
        c = args[0] if args else None
        if c is None or type(c) is not type(frame.f_code):
            return
        if (
            event == "exec"
            and rewriter is not None
            and frame.f_code is rewriter[0]
            and frame.f_globals is rewriter[1]
            and source_untouched(c.co_filename)
        ):
            found: set = set()
            for k in c.co_consts:  # the rewritten def; its defaults' lambdas are not a kernel body
                if type(k) is type(c) and not k.co_name.startswith("<"):
                    code_objects(k, found)
            w.bodies |= found
            for k in found:
                w.names.update(k.co_names)
        elif frame.f_code.co_filename.startswith(private):
            code_objects(c, w.made)

    def breach() -> None:
        w.breaches += 1
        was = effective()
        s.blocked = True
        if was:
            now_sealed()

    def watch(frame: Any, event: str, arg: Any) -> None:
        if event != "call":
            return
        c = frame.f_code
        if c in w.ok:
            return
        name = c.co_filename
        if (name.startswith(private) and c not in w.bodies) or c in w.made:
            breach()
            return
        w.ok.add(c)

    # -- resting while a vetted body runs -------------------------------------------------------------
    # Watching every call of an interpreted kernel body costs ~3x (decoder_layer's CPU verdict: 334 s
    # instead of ~40). A body may run unwatched when nothing it can reach is the candidate's Python:
    # the launch's kernel and every jit function it reaches are Triton's own, with no instance attribute
    # a genuine one lacks; every global of their modules is an instance of a class whose methods all
    # live in trusted files (the interpreter's `_patch_lang` compares every module global, and a
    # `__eq__` or `__class__` of the candidate's would run); every global a compiled body names is a
    # number, string, dtype, trusted module, trusted or builtin function, or Triton value, and what it
    # names on those modules is too. Vetted at every launch (a forward can change its globals between
    # launches); otherwise the window is watched throughout. The prologue and epilogue of a launch (the
    # interpreter's argument handling, `_patch_lang`, `rewrite`) are always watched.
    def trusted_code(c: Any) -> bool:
        if c is None:
            return True  # a builtin: no Python
        name = c.co_filename
        return name.startswith(trusted_dirs) or (name.startswith("<frozen ") and c not in w.made)

    def class_code(t: type, skip: tuple = ()) -> Any:
        """The code of every method, property and descriptor the class's MRO defines in Python (below
        `object`, leaving out the classes in `skip`)."""
        for klass in t.__mro__[:-1]:
            if klass in skip:
                continue
            for value in vars(klass).values():
                for f in (value, getattr(value, "__func__", None), getattr(value, "fget", None),
                          getattr(value, "fset", None), getattr(value, "__get__", None)):  # fmt: skip
                    c = getattr(f, "__code__", None)
                    if c is not None:
                        yield c

    def inert(t: type) -> bool:
        """Every method, property and slot the class's MRO defines in Python lives in a trusted file."""
        known = w.inert.get(t)
        if known is None:
            known = w.inert[t] = all(trusted_code(c) for c in class_code(t))
        return bool(known)

    def trusted_module(m: Any, depth: int, out: list) -> bool:
        ns = vars(m)
        if any(ns is x for x in out):
            return True  # vetted in this pass (a cycle: tl -> tl.zeros -> triton.language.standard -> tl)
        file = ns.get("__file__")
        if file is None:
            return ns.get("__name__") in builtin_modules
        if type(file) is not str or not (file.startswith(trusted_dirs)):
            return False
        # what the bodies name on it (tl.load, triton.cdiv) is the module's own, not a replacement
        out.append(ns)
        return all(name not in ns or safe_value(ns[name], depth + 1, out, attr=True) for name in w.names)

    def safe_value(v: Any, depth: int, out: list, attr: bool = False) -> bool:
        t = type(v)
        if t in plain or t in code.scalars or t is BuiltinFunctionType:
            return True
        if t is ModuleType:
            return attr or trusted_module(v, depth, out)  # a module's own submodule: the same files
        if t is FunctionType:
            return trusted_code(v.__code__)
        if t is type:
            return inert(v)
        if t is code.constexpr:
            return depth < 12 and safe_value(vars(v).get("value"), depth + 1, out, attr)
        if issubclass(t, code.triton_types) and triton_own(t):
            keys = kernel_types.get(t)
            if keys is None:
                return True
            inner = vars(v)
            return (
                kernel_attrs(inner, keys)
                and defaults_safe(inner.get("fn"), depth, out)
                and vet_globals(getattr(inner.get("fn"), "__globals__", None), depth + 1, out)
            )
        if t is MethodType:
            return trusted_code(getattr(v.__func__, "__code__", None)) and safe_instance(v.__self__)
        # an object of a class from trusted files (the interpreter's `interpreter_builder`, which its
        # rewriter gives every body; torch.ops; a trusted module's own values): what a body reaches on
        # it is that class's own
        return (attr or trusted_class(t)) and inert(t) and safe_instance(v)

    def trusted_class(t: type) -> bool:
        """A class of Triton's own (its interpreter's builder and semantic objects); not NumPy's or
        torch's (an object-dtype array holds anything)."""
        module = sys.modules.get(t.__module__)
        file = getattr(module, "__file__", None) if module is not None else None
        return type(file) is str and file.startswith(code.triton_dir)

    def safe_instance(v: Any) -> bool:
        """No instance attribute of `v` shadows a method with the candidate's code or object (a
        `builder.create_load = f` would run `f` from a body)."""
        try:
            ns = object.__getattribute__(v, "__dict__")
        except AttributeError:
            return True
        if type(ns) is not dict:
            return False
        for x in dict.values(ns):
            tx = type(x)
            if tx is FunctionType:
                if not trusted_code(x.__code__):
                    return False
            elif tx is MethodType:
                if not trusted_code(getattr(x.__func__, "__code__", None)):
                    return False
            elif not inert(tx):
                return False
        return True

    def vet_globals(g: Any, depth: int, out: list) -> bool:
        if any(g is x for x in out):
            return True
        if type(g) is not dict or depth > 12:
            return False
        out.append(g)
        b = dict.get(g, "__builtins__", code.builtins)
        if b is not code.builtins and b is not builtins_dict:
            return False  # a module's own builtins: `range` in a body would be the candidate's
        for v in dict.values(g):
            if not inert(type(v)):
                return False
        return all(safe_value(dict.__getitem__(g, n), depth, out) for n in w.names if dict.__contains__(g, n))

    def defaults_safe(fn: Any, depth: int, out: list) -> bool:
        """A kernel's default arguments reach its body too (red team: a lambda default did the work)."""
        if type(fn) is not FunctionType:
            return False
        values = list(fn.__defaults__ or ()) + list(dict.values(fn.__kwdefaults__ or {}))
        return all(safe_value(v, depth + 1, out) for v in values)

    def kernel_attrs(inner: dict, keys: frozenset) -> bool:
        """A kernel's instance attributes: a genuine one's, and plain data beyond them (Triton sets
        `__doc__` on its own jit functions, e.g. tl.cdiv); no callable of anyone's shadows a method."""
        return all(k in keys or type(x) in (str, int, float, bool, type(None)) for k, x in inner.items())

    def vet_launch(local: Any) -> list:
        """The module globals a body of this launch may run with the watcher resting; [] if none."""
        k = local.get("self_fn")
        keys = kernel_types.get(type(k))
        if keys is None or not kernel_attrs(vars(k), keys):
            return []
        out: list = []
        try:
            fn = vars(k).get("fn")
            ok = defaults_safe(fn, 0, out) and vet_globals(getattr(fn, "__globals__", None), 0, out)
        except Exception:  # noqa: BLE001 - anything odd: watched throughout
            return []
        return out if ok else []

    def quiet(fn: Any) -> bool:
        """A body may rest the watcher: one Triton compiled, over globals vetted for this launch."""
        if type(fn) is not FunctionType or not w.fast or not effective():
            return False  # (w.fast: the globals vetted for this launch, [] when the vet failed)
        c = fn.__code__
        return c in w.bodies and c not in w.made and any(fn.__globals__ is g for g in w.fast)

    def watcher(on: bool) -> None:
        on = on and w.quiet == 0
        if on == w.active:
            return
        w.active, w.own = on, True
        try:
            setprofile(watch if on else None)
        finally:
            w.own = False

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
            s.spans = None  # check_access's sorted view is stale

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
        if s.spans is None:  # sorted once per change of the entries, not per load/store
            spans = sorted((e[0], e[1]) for e in s.entries)
            s.spans = (
                spans,
                np.array([a for a, _ in spans], dtype=np.uint64),
                np.array([b for _, b in spans], dtype=np.uint64),
            )
        spans, starts, ends = s.spans
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
        watcher(True)  # and so would anything else of the candidate's: the window watcher
        open_all()

    def now_sealed() -> None:
        seal_all()
        watcher(False)
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
        return all(  # (the launch ledger's wrapper stands in for Triton's own `run`)
            c is code.launch or c.co_filename.startswith(code.triton_dir)
            for c in class_code(t, code.stdlib_bases)
        )

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
        if t is code.constexpr:  # what it wraps is what the body gets (red team: a candidate __bool__)
            return depth >= 4 or foreign(vars(value).get("value"), depth + 1)
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
            if event in code_events:
                frame = getframe(1)
                if frame is not None:
                    note_code(event, args, frame)
            elif event in profile_events and w.active and not w.own and effective():
                breach()  # the watcher replaced while a window is open: nothing is watching any more
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
                watcher(False)
                s.entries = []
                s.spans = None
                s.opened = s.suspended = 0
                s.blocked = False
                w.fast, w.launch, w.granted, w.quiet = None, None, [], 0
                d.dirty, d.pending = set(), []
            return
        if s.depth == 0:
            return
        if event == access_ev:
            if fcode in code.access and frame.f_globals is code.launch_globals and effective():
                check_access(*args)
            return
        if event in (quiet_ev, watch_ev):
            if fcode is not code.quiet or frame.f_globals is not code.launch_globals:
                return
            if event == quiet_ev:
                if w.fast is None and w.launch is not None and effective():
                    # Vetted now, after the launch's prologue (the grid function, pre-run hooks,
                    # `_patch_lang`, `rewrite`) and with this body compiled: nothing of the candidate's
                    # runs between here and the body (red team: a grid function rebound a global after a
                    # vet at the launch's start). Programs after the first reuse the verdict.
                    w.fast = vet_launch(w.launch)
                granted = quiet(args[0] if args else None)
                w.granted.append(granted)
                if granted:
                    w.quiet += 1
                    watcher(False)
                elif effective():
                    # A body that reaches anything unvetted runs sealed: watching it is not enough, since
                    # C callables (functools.partial over a ufunc) run without a Python frame (red team).
                    s.blocked = True
                    now_sealed()
            elif w.granted and w.granted.pop():
                w.quiet -= 1
                if effective():
                    watcher(True)
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
                w.fast, w.launch = None, {"self_fn": frame.f_locals.get("self_fn")}
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
            w.fast, w.launch, w.granted, w.quiet = None, None, [], 0
        if was and not effective():
            now_sealed()

    def report() -> list[str]:
        """Pseudo-ops for the op trace since the last report (the worker's only handle): DATA_INDEXING
        when an indexing op used data-derived indices, PYTHON_IN_WINDOW when the watcher saw the
        candidate's Python run while the seal was open."""
        out = [data_indexing] if d.found else []
        if w.breaches:
            out.append(python_in_window)
        d.found, w.breaches = [], 0
        return out

    return hook, report
