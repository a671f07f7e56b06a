"""Operator signature of a problem: the aten ops its reference runs, and the op family they imply.

Why a subprocess: problem files are Python that we execute, and tracing can hang or crash. Why a
*batch* subprocess: importing torch costs seconds, and the first retrieval over a store with hundreds
of problems must not pay that hundreds of times. One child traces many files in turn and prints one
JSON line per file; the parent gives each file its own deadline (counted after the child reports that
torch is imported), and when one hangs or kills the child the parent marks it failed and starts a
fresh child for the rest.

Inside the child, tensors are created on ``meta`` first and the graph is traced with ``make_fx`` (no
memory, no compute, whatever the input size; ``device="cuda"``/``.cuda()`` are redirected). If that
fails (``.item()``, data-dependent control flow, ops without meta kernels), the model runs eagerly on
CPU inputs from ``get_fuzz_inputs(0)`` (small by contract) or ``get_inputs()`` under a dispatch mode
that counts the aten ops.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import runpy
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from kernelwright.errors import KernelwrightError
from kernelwright.secrets import probe_env

TRACE_TIMEOUT_S = 120.0
IMPORT_TIMEOUT_S = 180.0  # a cold `import torch` on a loaded machine
UNKNOWN_FAMILY = "unknown"
# Ops that move, view or allocate data without computing anything: noise for similarity.
SHAPE_OPS = frozenset(
    {
        "aten.view",
        "aten._unsafe_view",
        "aten.reshape",
        "aten.expand",
        "aten.t",
        "aten.transpose",
        "aten.permute",
        "aten.detach",
        "aten.clone",
        "aten.contiguous",
        "aten.alias",
        "aten.squeeze",
        "aten.unsqueeze",
        "aten.slice",
        "aten.select",
        "aten.split",
        "aten.split_with_sizes",
        "aten._to_copy",
        "aten.lift_fresh_copy",
        "aten.scalar_tensor",
        "aten.ones",
        "aten.zeros",
        "aten.full",
        "aten.empty",
        "aten.arange",
        "aten.new_empty",
        "aten.new_zeros",
        "aten.new_ones",
        "aten.empty_like",
        "aten.zeros_like",
        "aten.ones_like",
        "aten.full_like",
        "aten.copy_",
        "aten.copy",
        "aten.unbind",
        "aten.flatten",
        "aten.as_strided",
        "aten.expand_as",
        "aten.view_as",
        "aten.lift",
        "aten.cat",
        "aten.stack",
        "aten._local_scalar_dense",
    }
)
FAMILY_OPS: dict[str, frozenset[str]] = {
    "attention": frozenset(
        {
            "aten._scaled_dot_product_efficient_attention",
            "aten._scaled_dot_product_flash_attention",
            "aten.scaled_dot_product_attention",
            "aten._scaled_dot_product_flash_attention_for_cpu",
            "aten._scaled_dot_product_cudnn_attention",
        }
    ),
    "norm": frozenset(
        {
            "aten.native_layer_norm",
            "aten.native_batch_norm",
            "aten._native_batch_norm_legit",
            "aten._native_batch_norm_legit_no_training",
            "aten._native_batch_norm_legit_functional",
            "aten.native_group_norm",
            "aten._fused_rms_norm",
            "aten.rms_norm",
            "aten.layer_norm",
            "aten.group_norm",
            "aten.batch_norm",
            "aten.instance_norm",
        }
    ),
    "softmax": frozenset(
        {"aten._softmax", "aten._log_softmax", "aten._safe_softmax", "aten.softmax", "aten.log_softmax"}
    ),
    "conv": frozenset(
        {
            "aten.convolution",
            "aten.conv2d",
            "aten.conv1d",
            "aten.conv3d",
            "aten.conv_transpose2d",
            "aten._convolution",
        }
    ),
    "matmul": frozenset(
        {
            "aten.mm",
            "aten.addmm",
            "aten.bmm",
            "aten.baddbmm",
            "aten.matmul",
            "aten.linear",
            "aten.addbmm",
            "aten.einsum",
        }
    ),
    "pooling": frozenset(
        {
            "aten.max_pool2d_with_indices",
            "aten.avg_pool2d",
            "aten.max_pool1d",
            "aten.avg_pool1d",
            "aten.max_pool3d_with_indices",
            "aten.avg_pool3d",
            "aten._adaptive_avg_pool2d",
            "aten.adaptive_max_pool2d",
            "aten.max_pool2d",
        }
    ),
    "scan": frozenset({"aten.cumsum", "aten.cumprod", "aten.cummax", "aten.cummin", "aten.logcumsumexp"}),
    "reduction": frozenset(
        {
            "aten.sum",
            "aten.mean",
            "aten.amax",
            "aten.amin",
            "aten.max",
            "aten.min",
            "aten.argmax",
            "aten.argmin",
            "aten.var",
            "aten.std",
            "aten.prod",
            "aten.linalg_vector_norm",
            "aten.norm",
            "aten.var_mean",
            "aten.logsumexp",
            "aten.any",
            "aten.all",
        }
    ),
}
# Precedence: the most specific family that explains the graph wins.
FAMILY_ORDER = (
    "attention",
    "norm",
    "softmax",
    "conv",
    "matmul",
    "pooling",
    "scan",
    "reduction",
    "elementwise",
)


class TraceError(KernelwrightError):
    """The problem could not be traced (import error, unsupported op, timeout)."""


@dataclass(frozen=True)
class OpSignature:
    ops: dict[str, int]  # op name (overload stripped, e.g. "aten.addmm") -> count, shape-only ops excluded
    family: str
    families: tuple[str, ...] = ()
    mode: str = ""  # "meta" | "real" | "" (from cache)

    def to_json(self) -> dict[str, Any]:
        return {"ops": self.ops, "family": self.family, "families": list(self.families), "mode": self.mode}

    @classmethod
    def from_ops(cls, ops: dict[str, int], mode: str = "") -> OpSignature:
        fams = families_of(ops)
        return cls(ops=dict(ops), family=fams[0] if fams else UNKNOWN_FAMILY, families=tuple(fams), mode=mode)


def families_of(ops: Iterable[str]) -> list[str]:
    """Every family whose ops occur, in precedence order; attention also = batched matmul + softmax."""
    names = set(ops)
    found = [fam for fam in FAMILY_ORDER[:-1] if names & FAMILY_OPS[fam]]
    if (
        "attention" not in found
        and {"softmax", "matmul"} <= set(found)
        and names & {"aten.bmm", "aten.baddbmm"}
    ):
        found.insert(0, "attention")
    if not found and names:
        found.append("elementwise")
    return found


# ------------------------------------------------------------------------------- inside the child
def _graph_op_counts(model: Any, inputs: list[Any]) -> dict[str, int]:
    """aten ops of the graph that ``make_fx`` traces."""
    import torch
    from torch.fx.experimental.proxy_tensor import make_fx

    counts: Counter[str] = Counter()
    for node in make_fx(model)(*inputs).graph.nodes:
        if node.op == "call_function" and isinstance(node.target, torch._ops.OpOverload):
            counts[str(node.target.overloadpacket)] += 1
    return dict(counts)


def _dispatched_op_counts(model: Any, inputs: list[Any]) -> dict[str, int]:
    """aten ops seen at dispatch while running eagerly: survives ``.item()`` and data-dependent control flow."""
    from torch.utils._python_dispatch import TorchDispatchMode

    counts: Counter[str] = Counter()

    class _Count(TorchDispatchMode):
        def __torch_dispatch__(
            self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
        ) -> Any:
            counts[str(func.overloadpacket)] += 1
            return func(*args, **(kwargs or {}))

    with _Count():
        model(*inputs)
    return dict(counts)


def _device_mode(device: str) -> Any:
    """A torch-function mode that keeps every tensor on ``device``, even ``device="cuda"`` / ``.cuda()``."""
    import torch
    from torch.overrides import TorchFunctionMode

    class _DeviceMode(TorchFunctionMode):
        def __torch_function__(
            self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
        ) -> Any:
            kwargs = dict(kwargs or {})
            if func in (torch.Tensor.cuda, torch.Tensor.cpu):
                return args[0]
            if func is torch.Tensor.to:
                args = tuple(a for a in args if not isinstance(a, str | torch.device))
                kwargs.pop("device", None)
                if len(args) == 1 and not kwargs:
                    return args[0]
            elif "device" in kwargs:
                kwargs["device"] = torch.device(device)
            return func(*args, **kwargs)

    return _DeviceMode()


def trace_in_process(problem_path: str) -> OpSignature:
    """Trace the reference in *this* process. Runs user code: call it only in a throwaway child."""
    import torch

    ns = runpy.run_path(problem_path, run_name="__kernelwright_problem__")
    model_cls, init = ns.get("Model"), ns.get("get_init_inputs", lambda: [])
    make_inputs = (
        (lambda: ns["get_fuzz_inputs"](0)) if callable(ns.get("get_fuzz_inputs")) else ns.get("get_inputs")
    )
    if model_cls is None or make_inputs is None:
        raise TraceError("problem defines no Model or get_inputs")
    errors = []
    for mode, device, count in (("meta", "meta", _graph_op_counts), ("real", "cpu", _dispatched_op_counts)):
        try:
            torch.manual_seed(0)
            with torch.device(device), _device_mode(device):
                model, inputs = model_cls(*init()), list(make_inputs())
            model.eval()
            with torch.no_grad():
                ops = count(model, inputs)
            compute = {k: v for k, v in sorted(ops.items()) if k not in SHAPE_OPS}
            return OpSignature.from_ops(compute or dict(sorted(ops.items())), mode)
        except Exception as exc:  # noqa: BLE001 - user code may raise anything; try the next mode
            errors.append(f"{mode}: {type(exc).__name__}: {exc}"[:500])
    raise TraceError("; ".join(errors))


def child_main(paths: Sequence[str]) -> int:
    """Trace each path, one JSON line each on the *original* stdout; user prints go to stderr.

    The first line, ``{"ready": true}``, says torch is imported, so the parent's per-file deadlines
    measure tracing only, not a cold import of torch on a loaded machine.
    """
    out: IO[str] = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    import torch  # noqa: F401 - imported before the first deadline starts

    out.write(json.dumps({"ready": True}) + "\n")
    for path in paths:
        try:
            doc: dict[str, Any] = {"path": path, **trace_in_process(path).to_json()}
        except BaseException as exc:  # noqa: BLE001 - SystemExit in user code fails that file, not the batch
            doc = {"path": path, "error": f"{type(exc).__name__}: {exc}"[:2000]}
        out.write(json.dumps(doc) + "\n")
    out.flush()
    return 0


# ------------------------------------------------------------------------------- the parent side
def _child_env() -> dict[str, str]:
    return probe_env(cpu_only=True)


def _reader(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def trace_many(
    paths: Sequence[str | Path], timeout: float = TRACE_TIMEOUT_S
) -> dict[str, OpSignature | TraceError]:
    """Signatures of many problems, each traced under its own ``timeout`` (seconds), few subprocesses."""
    pending = list(dict.fromkeys(str(p) for p in paths))
    results: dict[str, OpSignature | TraceError] = {}
    while pending:
        with tempfile.TemporaryFile("w+") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "kernelwright.knowledge", "trace", *pending],
                stdout=subprocess.PIPE,
                stderr=err,
                stdin=subprocess.DEVNULL,
                text=True,
                env=_child_env(),
                start_new_session=True,
            )
            assert proc.stdout is not None
            lines: queue.Queue[str | None] = queue.Queue()
            threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
            deadline = time.monotonic() + IMPORT_TIMEOUT_S
            ready, failure = False, ""
            while pending:
                try:
                    line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    failure = f"tracing timed out after {timeout:.0f}s" if ready else "tracer did not start"
                    break
                if line is None:
                    err.seek(0)
                    tail = [x for x in err.read().strip().splitlines() if x.strip()]
                    failure = f"tracer died: {tail[-1] if tail else 'no output'}"
                    break
                try:
                    doc = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if doc.get("ready") is True and not ready:
                    ready, deadline = True, time.monotonic() + timeout
                    continue
                path = doc.get("path")
                if path not in pending:
                    continue
                pending.remove(path)
                results[path] = (
                    OpSignature(
                        ops=dict(doc["ops"]),
                        family=doc["family"],
                        families=tuple(doc.get("families", ())),
                        mode=doc.get("mode", ""),
                    )
                    if "ops" in doc
                    else TraceError(str(doc.get("error", "tracing failed")))
                )
                deadline = time.monotonic() + timeout
            if failure and not ready:  # torch itself would not load: no file can be traced
                results.update({p: TraceError(failure) for p in pending})
                pending.clear()
            if failure and pending:
                results[pending.pop(0)] = TraceError(failure)  # files are traced in order: the first hung
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # the child and anything the problem spawned
            proc.wait()
    return results


def trace_problem(problem_path: str | Path, timeout: float = TRACE_TIMEOUT_S) -> OpSignature:
    """Signature of one problem, traced in a fresh subprocess; raises :class:`TraceError`."""
    result = trace_many([problem_path], timeout)[str(problem_path)]
    if isinstance(result, TraceError):
        raise result
    return result
