"""`kernelwright init-task`: turn a user's own PyTorch code into a KernelBench-format problem.

The generated file inlines the user's module (so the judge's reference worker needs nothing but the
file), defines ``class Model`` (the user's ``nn.Module``, or a module wrapping their function),
``get_init_inputs``, ``get_inputs`` and ``get_fuzz_inputs``. Inputs are not copied from the user's
factory but *described*: the factory runs once in a subprocess, its tensors' shapes and dtypes are
captured and written out as ``torch.randn``/``torch.randint`` calls, so every judge run gets fresh
values and fuzz cases can vary the leading (batch) dimension over small ragged sizes -- the shapes an
agent's kernel is most often silently wrong at.

User code only ever runs in subprocesses (``python -m kernelwright.tasks.init_task capture|validate``),
never in the CLI process: a factory that hangs or crashes costs a subprocess and one error line.
:func:`run_probe` starts those subprocesses, and also the problem-description probe of
:mod:`kernelwright.tasks.describe`, which reuses :func:`tensor_spec` to describe inputs.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kernelwright.errors import BadInput
from kernelwright.secrets import probe_env

FUZZ_BATCHES = (1, 3, 7, 33, 2, 5, 17, 65)  # ragged: below, around and across typical block sizes
PROBE_TIMEOUT_S = 180.0
TASK_NAMES = ("Model", "get_inputs", "get_init_inputs", "get_fuzz_inputs")


# --------------------------------------------------------------------------- parent side
def _memory_limiter() -> Callable[[], None]:
    """What the probe child runs before exec: cap its memory at one worker's share (issue 17 #7).

    RLIMIT_DATA, not RLIMIT_AS: it counts the writable private memory a factory allocates, but not
    the large PROT_NONE address-space reservations that CUDA makes, so the describe probe still
    initialises a GPU. A factory that asks for more fails in the probe, reported in one line. The
    limit is computed here, in the parent: the child between fork and exec only calls setrlimit.
    """
    import resource

    from kernelwright.settings import max_worker_memory_mb

    limit = max_worker_memory_mb() * 2**20

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))

    return limit_memory


def run_probe(
    args: list[str], *, cwd: Path, timeout: float, what: str, module: str = "kernelwright.tasks.init_task"
) -> dict[str, Any]:
    """Run one probe subprocess (``python -m module ARGS --answer FILE``) and return its answer.

    The answer is a JSON file, so the user's prints cannot corrupt it; the environment is
    ``probe_env()``, an allowlist, so no API key of this process reaches user code.
    """
    with tempfile.TemporaryDirectory(prefix="kw-probe-") as tmp:
        out = Path(tmp) / "answer.json"
        try:
            proc = subprocess.run(
                [sys.executable, "-m", module, *args, "--answer", str(out)],
                cwd=cwd,
                env=probe_env(),
                capture_output=True,
                text=True,
                timeout=timeout,
                preexec_fn=_memory_limiter(),
            )
        except subprocess.TimeoutExpired as exc:
            raise BadInput(f"{what} did not finish within {timeout:.0f} s") from exc
        if out.is_file():
            answer = json.loads(out.read_text())
            if "error" in answer:
                raise BadInput(f"{what} failed: {answer['error']}")
            return answer
        tail = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        raise BadInput(f"{what} crashed: {tail}")


def _top_level(tree: ast.Module) -> dict[str, ast.stmt]:
    return {n.name: n for n in tree.body if isinstance(n, ast.ClassDef | ast.FunctionDef)}


def _strip_main_and_future(source: str, tree: ast.Module) -> tuple[str, list[str]]:
    """The user's source minus ``if __name__ == "__main__":`` blocks, and its ``__future__`` imports.

    ``__future__`` imports must open a module, and the generated file opens with its own docstring.
    """
    lines = source.splitlines()
    drop: set[int] = set()
    future: list[str] = []
    for node in tree.body:
        end = node.end_lineno or node.lineno
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            future.append(ast.unparse(node))
            drop.update(range(node.lineno, end + 1))
        elif (
            isinstance(node, ast.If)
            and "__name__" in ast.unparse(node.test)
            and "__main__" in ast.unparse(node.test)
        ):
            drop.update(range(node.lineno, end + 1))
    kept = [line for i, line in enumerate(lines, 1) if i not in drop]
    text = re.sub(r"\n{4,}", "\n\n\n", "\n".join(kept).strip("\n"))  # removed blocks leave no gaps
    return text + "\n", future


def _call_args(args: ast.arguments) -> str:
    parts = [a.arg for a in (*args.posonlyargs, *args.args)]
    if args.vararg:
        parts.append(f"*{args.vararg.arg}")
    parts.extend(f"{a.arg}={a.arg}" for a in args.kwonlyargs)
    if args.kwarg:
        parts.append(f"**{args.kwarg.arg}")
    return ", ".join(parts)


def _signature(args: ast.arguments) -> str:
    text = ast.unparse(args)
    return f"self, {text}" if text else "self"


def _dtype_expr(dtype: str) -> str:
    return f"torch.{dtype}"


def _tensor_expr(spec: dict[str, Any], batched: bool) -> str:
    dims = [str(d) for d in spec["shape"]]
    if batched:
        dims[0] = "batch"
    shape = f"({', '.join(dims)}{',' if len(dims) == 1 else ''})"
    dtype = spec["dtype"]
    if spec["family"] == "bool":
        return f"torch.rand({shape}) < 0.5"
    if spec["family"] == "int":
        lo, hi = int(spec.get("min", 0)), int(spec.get("max", 1))
        return f"torch.randint({lo}, {max(hi, lo) + 1}, {shape}, dtype={_dtype_expr(dtype)})"
    if spec["family"] == "float8":
        return f"torch.randn({shape}).to({_dtype_expr(dtype)})"
    if spec["family"] == "float" and spec.get("min") is not None and spec["min"] >= 0:
        return f"torch.rand({shape}, dtype={_dtype_expr(dtype)})"  # the example's values were all >= 0
    return f"torch.randn({shape}, dtype={_dtype_expr(dtype)})"


def batched_inputs(specs: list[dict[str, Any]]) -> tuple[int | None, list[bool]]:
    """The batch size (leading dim of the first non-scalar tensor) and which inputs share it."""
    tensors = [s for s in specs if s["kind"] == "tensor" and s["shape"]]
    if not tensors:
        return None, [False] * len(specs)
    batch = int(tensors[0]["shape"][0])
    return batch, [s["kind"] == "tensor" and bool(s["shape"]) and s["shape"][0] == batch for s in specs]


def render_task(
    source: str,
    tree: ast.Module,
    source_path: Path,
    entry: str,
    kind: str,
    specs: list[dict],
    init_expr: str,
    factory: str,
    fuzz: bool,
) -> str:
    """The problem file's text (pure: no user code runs here)."""
    body, future = _strip_main_and_future(source, tree)
    batch, batched = batched_inputs(specs)
    items = [
        _tensor_expr(s, b) if s["kind"] == "tensor" else s["repr"]
        for s, b in zip(specs, batched, strict=True)
    ]
    described = ", ".join(
        f"{s['dtype']}{tuple(s['shape'])}" if s["kind"] == "tensor" else s["repr"] for s in specs
    )
    sha = hashlib.sha256(source.encode()).hexdigest()[:12]
    head = [
        f'"""{entry} from {source_path.name}, as a KernelBench task',
        "",
        f"Made by `kernelwright init-task {source_path.name} --entry {entry}` from {source_path} "
        f"(sha256 {sha}...).",
        f"Inputs described from {factory}: [{described}].",
        "The user's source is inlined below unchanged (minus `if __name__ == '__main__'` blocks);",
        "the task definitions after it take precedence over any of the same name above.",
        '"""',
        "",
    ]
    out = head + future + ([""] if future else [])
    out += [
        "# ---- user source " + "-" * 80,
        body,
        "# ---- kernelwright task " + "-" * 74,
        "import torch  # noqa: E402",
        "from torch import nn  # noqa: E402",
        "",
        "",
    ]
    node = _top_level(tree)[entry]
    if kind == "function":
        assert isinstance(node, ast.FunctionDef)
        out += [
            "class Model(nn.Module):",
            f'    """The reference: `{entry}` from {source_path.name}, as a module."""',
            "",
            "    def __init__(self) -> None:",
            "        super().__init__()",
            "",
            f"    def forward({_signature(node.args)}):",
            f"        return {entry}({_call_args(node.args)})",
            "",
            "",
        ]
    elif entry != "Model":
        out += [
            f"class Model({entry}):",
            f'    """The reference: `{entry}` from {source_path.name}, unchanged (same constructor)."""',
            "",
            "",
        ]
    init = init_expr if isinstance(ast.parse(init_expr, mode="eval").body, ast.List) else f"list({init_expr})"
    out += ["def get_init_inputs() -> list:", f"    return {init}", "", ""]
    arg = "batch: int" if batch is not None else ""
    out += [f"def _task_inputs({arg}) -> list:", "    return ["]
    out += [f"        {item}," for item in items]
    out += ["    ]", "", ""]
    call = f"_task_inputs({batch})" if batch is not None else "_task_inputs()"
    out += ["def get_inputs() -> list:", f"    return {call}", "", ""]
    if fuzz and batch is not None:
        out += [
            f"_FUZZ_BATCHES = {FUZZ_BATCHES!r}  # leading-dimension sizes; other dimensions as in get_inputs",
            "",
            "",
            "def get_fuzz_inputs(seed: int) -> list:",
            "    return _task_inputs(_FUZZ_BATCHES[seed % len(_FUZZ_BATCHES)])",
            "",
        ]
    return "\n".join(out).rstrip() + "\n"


def init_task(
    source_path: str | Path,
    entry: str,
    out: str | Path,
    *,
    inputs: str | None = None,
    example_inputs: str | None = None,
    init_inputs: str | None = None,
    fuzz: bool = True,
    timeout: float = PROBE_TIMEOUT_S,
) -> dict[str, Any]:
    """Write a validated KernelBench problem to ``out``; BadInput (one line) for anything unusable."""
    src = Path(source_path)
    if not src.is_file():
        raise BadInput(f"source file not found: {src}")
    try:
        source = src.read_text(encoding="utf-8")
        tree = ast.parse(source, filename=str(src))
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {src}: {exc}") from exc
    except SyntaxError as exc:
        raise BadInput(f"{src} does not parse: {exc.msg} (line {exc.lineno})") from exc
    if any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree)):
        raise BadInput(f"{src} uses relative imports, which cannot work once inlined; make them absolute")
    defs = _top_level(tree)
    if entry not in defs:
        raise BadInput(f"{entry!r} is not a top-level class or function in {src}")
    if inputs and example_inputs:
        raise BadInput("give either --inputs or --example-inputs, not both")
    if not inputs and not example_inputs:
        if not isinstance(defs.get("get_inputs"), ast.FunctionDef):
            raise BadInput("say how to build example inputs: --inputs 'EXPR' or --example-inputs FUNCTION")
        example_inputs = "get_inputs"
    if example_inputs and not isinstance(defs.get(example_inputs), ast.FunctionDef):
        raise BadInput(f"--example-inputs {example_inputs!r} is not a top-level function in {src}")
    for text, flag in ((inputs, "--inputs"), (init_inputs, "--init-inputs")):
        if text:
            try:
                ast.parse(text, mode="eval")
            except SyntaxError as exc:
                raise BadInput(f"{flag} is not a Python expression: {text!r}") from exc
    init_expr = init_inputs or "[]"
    factory = f"{example_inputs}()" if example_inputs else f"`{inputs}`"
    probe = ["capture", str(src.resolve()), "--entry", entry, "--init", init_expr]
    probe += ["--factory", example_inputs] if example_inputs else ["--inputs", inputs or ""]
    captured = run_probe(
        probe, cwd=src.resolve().parent, timeout=timeout, what=f"running {factory} from {src}"
    )
    if captured["kind"] == "function" and init_inputs and init_inputs.strip() not in ("[]", "()"):
        raise BadInput(f"{entry} is a function: it takes no --init-inputs")
    text = render_task(
        source, tree, src, entry, captured["kind"], captured["inputs"], init_expr, factory, fuzz
    )
    return _validate_and_write(text, Path(out), timeout)


def _validate_and_write(text: str, out: Path, timeout: float) -> dict[str, Any]:
    """Check the file statically and by running the reference on every fuzz case, then write it."""
    from kernelwright.problem import load_problem

    if out.exists() and out.is_dir():
        raise BadInput(f"--out {out} is a directory")
    if not out.parent.is_dir():
        raise BadInput(f"--out folder does not exist: {out.parent}")
    with tempfile.TemporaryDirectory(prefix="kw-init-task-") as tmp:
        draft = Path(tmp) / (out.name if out.suffix == ".py" else "problem.py")
        draft.write_text(text, encoding="utf-8")
        spec = load_problem(draft)
        run_dir = Path(tmp) / "run"
        run_dir.mkdir()  # an empty cwd: the user's sibling modules are as unreachable as in the judge
        report = run_probe(
            ["validate", str(draft)], cwd=run_dir, timeout=timeout, what="running the generated reference"
        )
    out.write_text(text, encoding="utf-8")
    return {"out": str(out), "problem": spec.id, "has_fuzz": spec.has_fuzz, **report}


# --------------------------------------------------------------------------- subprocess side
def _family(dtype: Any) -> str:
    import torch

    if dtype == torch.bool:
        return "bool"
    if "float8" in str(dtype):
        return "float8"
    if dtype.is_floating_point or dtype.is_complex:
        return "float"
    return "int"


def _literal(value: Any) -> bool:
    """Plain values whose repr() is Python source that rebuilds them (so not inf or nan)."""
    if isinstance(value, float):
        return value == value and abs(value) != float("inf")
    return value is None or isinstance(value, bool | int | str)


def tensor_spec(value: Any, values: bool = False) -> dict[str, Any]:
    """A JSON description of one input: a tensor's shape/dtype (and value range), or a literal."""
    import torch

    if isinstance(value, torch.Tensor):
        spec: dict[str, Any] = {
            "kind": "tensor",
            "shape": list(value.shape),
            "dtype": str(value.dtype).removeprefix("torch."),
            "family": _family(value.dtype),
        }
        if values and value.numel() and value.device.type != "meta" and spec["family"] in ("int", "float"):
            flat = value.detach().reshape(-1)
            if spec["family"] == "float" and not value.dtype.is_complex:
                spec["min"], spec["max"] = float(flat.min().float()), float(flat.max().float())
            elif spec["family"] == "int":
                spec["min"], spec["max"] = int(flat.min()), int(flat.max())
        return spec
    if _literal(value) or (isinstance(value, list | tuple) and all(_literal(v) for v in value)):
        return {"kind": "literal", "repr": repr(value)}
    raise TypeError(f"unsupported input of type {type(value).__name__} (tensors and plain literals only)")


def _load(path: str, name: str) -> Any:
    from kernelwright.worker.common import load_module

    return load_module(path, name)


def _capture(args: Any) -> dict[str, Any]:
    import torch
    from torch import nn

    sys.path.insert(0, str(Path(args.path).parent))  # the user's own sibling modules, as they run it
    module = _load(args.path, "kw_user_source")
    obj = getattr(module, args.entry)
    if isinstance(obj, type) and issubclass(obj, nn.Module):
        kind = "module"
    elif callable(obj) and not isinstance(obj, type):
        kind = "function"
    else:
        raise TypeError(f"{args.entry} is neither an nn.Module subclass nor a function")
    init = eval(args.init, vars(module))  # noqa: S307 - the user's own expression, in a subprocess
    if not isinstance(init, list | tuple):
        raise TypeError(f"--init-inputs must give a list, not {type(init).__name__}")
    torch.manual_seed(0)
    raw = getattr(module, args.factory)() if args.factory else eval(args.inputs, vars(module))  # noqa: S307
    if isinstance(raw, torch.Tensor):
        raw = [raw]
    if not isinstance(raw, list | tuple):
        raise TypeError(f"the example inputs must be a list of tensors, not {type(raw).__name__}")
    specs = []
    for i, value in enumerate(raw):
        try:
            specs.append(tensor_spec(value, values=True))
        except TypeError as exc:
            raise TypeError(f"input {i}: {exc}") from None
    return {"kind": kind, "inputs": specs}


def _validate(args: Any) -> dict[str, Any]:
    import torch

    from kernelwright.worker.common import flatten_outputs

    problem = _load(args.path, "kw_task")
    torch.manual_seed(0)
    model = problem.Model(*problem.get_init_inputs())
    with torch.device("meta"):
        benchmark = [tensor_spec(v) for v in problem.get_inputs()]
    checked = []
    seeds = range(len(FUZZ_BATCHES)) if hasattr(problem, "get_fuzz_inputs") else []
    for seed in seeds:
        inputs = problem.get_fuzz_inputs(seed)
        try:
            with torch.no_grad():
                outputs = flatten_outputs(model(*inputs))
        except Exception as exc:  # noqa: BLE001 - said to the user with the shapes that broke it
            shapes = [tuple(t.shape) for t in inputs if isinstance(t, torch.Tensor)]
            raise RuntimeError(
                f"the reference fails on fuzz inputs {shapes}: {type(exc).__name__}: {exc}; "
                "pass --no-fuzz, or write get_fuzz_inputs yourself"
            ) from None
        if not all(isinstance(o, torch.Tensor) for o in outputs):
            raise RuntimeError("forward must return tensors (or tuples of tensors) for the judge to compare")
        checked.append([tensor_spec(t)["shape"] for t in inputs if isinstance(t, torch.Tensor)])
    return {"inputs": benchmark, "fuzz_checked": checked}


def _main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m kernelwright.tasks.init_task")
    parser.add_argument("op", choices=("capture", "validate"))
    parser.add_argument("path")
    parser.add_argument("--answer", required=True)
    parser.add_argument("--entry")
    parser.add_argument("--init", default="[]")
    parser.add_argument("--factory")
    parser.add_argument("--inputs")
    args = parser.parse_args(argv)
    ops = {"capture": _capture, "validate": _validate}
    try:
        answer = ops[args.op](args)
    except Exception as exc:  # noqa: BLE001 - reported to the parent as one line
        answer = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:500]}
    Path(args.answer).write_text(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
