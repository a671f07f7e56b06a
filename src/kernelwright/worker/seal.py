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
hidden that way gives a wrong answer (wrong-output), whatever it looks like. A kernel that only copies
a buffer someone else filled copies NaN.

The seal's state lives in an audit hook's closure (`_make_hook`), built with private globals like the
launch ledger's: the wrapper and the dispatch mode only raise events, and the hook honours an event
only from their genuine code objects (a forward that raises OPEN itself opens nothing), and OPEN from
the dispatch mode only around a real `OpOverload`. Copies use `ctypes.memmove`/`memset`, which are no
PyTorch ops, so the op trace's two recorders do not see the seal's own work.

What this cannot hide: bytes read while another thread has a launch open (a forward's own thread that
is still running when forward returns is KW-R106 already), and scalars that PyTorch ops return
(`item()` in a loop is the op trace's `item_loop`, a compute op under the default policy).
"""

from __future__ import annotations

import builtins
import ctypes
import inspect
import sys
from types import FunctionType, SimpleNamespace
from typing import Any

_audit = sys.audit
_getframe = sys._getframe

BEGIN = "kernelwright.seal_begin"  # (inputs,): a traced call starts; seal its inputs
END = "kernelwright.seal_end"  # (): the traced call returned or raised; open and forget everything
OPEN = "kernelwright.seal_open"  # (): a launch or an op starts
CLOSE = "kernelwright.seal_close"  # (): it ended; seal what it was given and what it returned
_EVENTS = frozenset({BEGIN, END, OPEN, CLOSE})
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


def install(originals: list[Any]) -> None:
    """Hook the seal in once per process, after the launch ledger's Triton wrappers.

    `originals`: the ledger's list of Triton's own `run` functions (launches.py): a launch opens the
    seal only from the genuine wrapper around one of them, as the ledger counts it.
    """
    if _installed:
        return
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
    )
    sys.addaudithook(_private(_make_hook)(code))
    _installed.append(True)


def _private(fn: Any) -> Any:
    """`fn` with private copies of this module's globals and of builtins (launches.py does the same)."""
    g = dict(globals())
    g["__builtins__"] = dict(vars(builtins))
    return FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)


def _make_hook(code: Any) -> Any:  # noqa: C901 - one event table
    events, getframe = _EVENTS, _getframe
    begin_ev, end_ev, open_ev, close_ev = BEGIN, END, OPEN, CLOSE
    memmove, memset, buffer, addressof = (
        ctypes.memmove,
        ctypes.memset,
        ctypes.create_string_buffer,
        ctypes.addressof,
    )
    metadata = _METADATA_OPS
    tensor_type, op_type = code.tensor, code.op_type
    # storage data_ptr -> [storage, nbytes, shadow buffer (None until first sealed)]
    s = SimpleNamespace(depth=0, opened=0, sealed={})

    def tensors(value: Any, out: list, depth: int = 0) -> None:
        if isinstance(value, tensor_type):
            out.append(value)
        elif depth < 3 and isinstance(value, list | tuple):
            for v in value:
                tensors(v, out, depth + 1)
        elif depth < 3 and isinstance(value, dict):
            for v in value.values():
                tensors(v, out, depth + 1)

    def storage_of(t: Any) -> Any:
        try:
            if t.device.type != "cpu" or t.is_sparse or t.is_quantized:
                return None
            st = t.untyped_storage()
            return st if st.nbytes() > 0 and st.data_ptr() != 0 else None
        except Exception:  # noqa: BLE001 - subclasses, meta tensors, tensors without storage
            return None

    def seal_one(entry: list) -> None:
        st, n, shadow = entry
        if shadow is None:
            shadow = buffer(n)
            entry[2] = shadow
        memmove(addressof(shadow), st.data_ptr(), n)
        memset(st.data_ptr(), POISON, n)

    def open_one(entry: list) -> None:
        st, n, shadow = entry
        if shadow is not None:
            memmove(st.data_ptr(), addressof(shadow), n)

    def add(values: list) -> None:
        for t in values:
            st = storage_of(t)
            if st is None:
                continue
            key = st.data_ptr()
            entry = s.sealed.get(key)
            if entry is None or entry[0].nbytes() != st.nbytes():
                s.sealed[key] = [st, st.nbytes(), None]

    def open_all() -> None:
        for entry in s.sealed.values():
            open_one(entry)

    def seal_all() -> None:
        for entry in s.sealed.values():
            seal_one(entry)

    def genuine_opener(frame: Any) -> bool:
        """The ledger's wrapper around Triton's own `run`, or the op trace's mode around an aten op
        whose tensors are all plain (a tensor subclass's `__torch_dispatch__` and a custom op's body
        are the candidate's Python: they run sealed; kernels they launch open it again)."""
        local = frame.f_locals
        if frame.f_code is code.launch:
            original = local.get("original")
            return frame.f_globals is code.launch_globals and any(original is o for o in code.originals)
        if frame.f_code is not code.dispatch or frame.f_globals is not code.strict_globals:
            return False
        func = local.get("func")
        if not isinstance(func, op_type) or getattr(func, "namespace", None) != "aten":
            return False
        if func.overloadpacket.__name__ in metadata:
            return False
        found: list = []
        tensors(local.get("args"), found)
        tensors(local.get("kwargs"), found)
        return all(type(t) in code.plain for t in found)

    def hook(event: str, args: tuple) -> None:
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
                seal_all()
            return
        if event == end_ev:
            if fcode is not code.begin or frame.f_globals is not code.strict_globals or s.depth == 0:
                return
            s.depth -= 1
            if s.depth == 0:
                if s.opened == 0:
                    open_all()
                s.sealed.clear()
                s.opened = 0
            return
        if s.depth == 0:
            return
        if not genuine_opener(frame):
            return  # not the judge's wrapper around a real launch, nor its mode around a real aten op
        if event == open_ev:
            s.opened += 1
            if s.opened == 1:
                open_all()
            return
        if event != close_ev or s.opened == 0:
            return
        found = []
        local = frame.f_locals
        tensors(local.get("args"), found)
        tensors(local.get("kwargs"), found)
        tensors(local.get("out"), found)
        tensors(local.get("result"), found)
        add(found)
        s.opened -= 1
        if s.opened == 0:
            seal_all()

    return hook
