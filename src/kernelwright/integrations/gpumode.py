"""GPU MODE tasks (gpu-mode/reference-kernels) judged by kernelwright.

A task folder holds `task.yml` (`tests:` and `benchmarks:`, lists of keyword arguments such as
`{size: 1024, seed: 42}`), `reference.py` (`generate_input(**args)`, `ref_kernel(data)`,
`check_implementation(data, output)`) and usually `task.py` (the input and output types); the
`files:` list of task.yml names the other modules the reference imports (`utils.py` from `../`).
A submission defines `custom_kernel(data)`.

The adapter writes two generated files and hands them to the one `judge()`:

- a KernelBench-format problem: the task's modules are inlined as strings and loaded under their
  own names (`task`, `utils`, `reference`), because the judge gives its workers this one file, not
  the folder; `class Model` calls `ref_kernel`, `get_inputs()` builds the first benchmark,
  `get_fuzz_inputs(i)` the tests in turn. A `data` that is a tuple or list of tensors becomes
  positional inputs, a single tensor one input (so a 1-tuple reaches the kernels as its tensor).
- a candidate: the submission's source verbatim (Triton reads a kernel's source from its file, so it
  is not loaded from a string), then `class ModelNew` calling `custom_kernel`. Its
  `from task import input_t` finds the module the problem registered: both workers load the problem
  before the candidate.

What maps how:

- `seed` arguments are redrawn from the judge's per-case seed, so each case and timed call gets fresh
  values, the same in both workers (GPU MODE's eval likewise mixes a secret seed into each test's).
- Both forwards hand the kernel a clone of the inputs, as GPU MODE's eval does for its checks: its
  tasks may pass an output buffer inside `data` for the kernel to fill, which the judge would
  otherwise reject as input mutation. Both sides pay for the copy, so a timed speedup is of
  (copy + kernel) and leans towards 1 for memory-bound tasks.
- `check_implementation` itself is not run: the judge compares with `ref_kernel`'s output. The
  `rtol`/`atol` of a `make_match_reference(ref_kernel, rtol=..., atol=...)` call become the problem's
  TOLERANCE; a task whose check accepts answers other than the reference's (an eigenvector's sign, an
  unstable sort) is judged stricter here than on GPU MODE.
- Real tasks create their inputs with `device="cuda"`; they need a GPU. Tasks that leave the device
  to the default (as the tests' do) are judged on the CPU too.
"""

from __future__ import annotations

import ast
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kernelwright.errors import BadInput
from kernelwright.problem import top_level_names

if TYPE_CHECKING:
    from kernelwright.judge import JudgeConfig
    from kernelwright.verdict import Verdict

TASK_FILE = "task.yml"
REFERENCE = "reference.py"
SUBMISSION_MARK = "@SUBMISSION@"
# task.yml `files:` entries that are not modules the reference imports: the harness's own entry point
# (replaced here by the judge) and the submission.
NOT_REFERENCE_MODULES = frozenset({"eval", "submission"})


@dataclass(frozen=True)
class GpuModeTask:
    """A task folder, read and checked; nothing of it executed."""

    folder: Path
    name: str
    tests: list[dict[str, Any]]
    benchmarks: list[dict[str, Any]]
    modules: dict[str, str]  # module name -> source, in load order, `reference` last
    tolerance: dict[str, float] | None
    description: str


@dataclass(frozen=True)
class GeneratedPair:
    """The generated sources a verdict was judged from (the store hashes these)."""

    problem_source: str
    candidate_source: str


def is_task_dir(path: Path) -> bool:
    return path.is_dir() and (path / TASK_FILE).is_file()


def load_task(folder: Path) -> GpuModeTask:
    """Read a task folder; BadInput (exit 2) names what is missing or malformed."""
    spec = _read_yaml(folder / TASK_FILE)
    tests = _arg_list(spec, "tests", folder)
    benchmarks = _arg_list(spec, "benchmarks", folder) if spec.get("benchmarks") else []
    if not tests and not benchmarks:
        raise BadInput(f"{folder / TASK_FILE}: no tests: and no benchmarks: to judge with")
    modules = _modules(folder, spec)
    reference = modules["reference"]
    try:
        tree = ast.parse(reference, filename=str(folder / REFERENCE))
    except SyntaxError as exc:
        raise BadInput(f"{folder / REFERENCE} does not parse: {exc.msg} (line {exc.lineno})") from exc
    defined = top_level_names(tree)
    missing = [n for n in ("generate_input", "ref_kernel") if n not in defined]
    if missing:
        raise BadInput(f"{folder / REFERENCE} defines no {' or '.join(missing)}")
    description = spec.get("description")
    return GpuModeTask(
        folder=folder.resolve(),
        name=folder.resolve().name,
        tests=tests,
        benchmarks=benchmarks,
        modules=modules,
        tolerance=match_tolerance(tree),
        description=description.strip() if isinstance(description, str) else "",
    )


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        import yaml
    except ImportError as exc:  # PyYAML is not one of kernelwright's own dependencies
        raise BadInput(f"reading {path} needs PyYAML: pip install pyyaml") from exc
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise BadInput(f"{path} is not valid YAML: {' '.join(str(exc).split())}") from exc
    if not isinstance(data, dict):
        raise BadInput(f"{path} should be a mapping with tests: and benchmarks:")
    return data


def _arg_list(spec: dict[str, Any], key: str, folder: Path) -> list[dict[str, Any]]:
    raw = spec.get(key) or []
    if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
        raise BadInput(f"{folder / TASK_FILE}: {key}: should be a list of argument mappings")
    for args in raw:
        bad = [k for k, v in args.items() if not isinstance(k, str) or not _scalar(v)]
        if bad:
            raise BadInput(f"{folder / TASK_FILE}: {key}: argument {bad[0]!r} is not a plain value")
    return [dict(a) for a in raw]


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def _modules(folder: Path, spec: dict[str, Any]) -> dict[str, str]:
    """The task's Python modules other than the submission and the harness, `reference` last.

    task.yml's `files:` says where each comes from (`{name: utils.py, source: ../utils.py}`); a folder
    without that list gets the task.py and utils.py found next to reference.py or one folder up.
    """
    sources: dict[str, Path] = {}
    files = spec.get("files")
    if isinstance(files, list) and files:
        for entry in files:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise BadInput(f"{folder / TASK_FILE}: files: entries need a name: and a source:")
            name, source = entry["name"], entry.get("source")
            module = name.removesuffix(".py")
            if not name.endswith(".py") or module in NOT_REFERENCE_MODULES or source == SUBMISSION_MARK:
                continue
            if not isinstance(source, str):
                raise BadInput(f"{folder / TASK_FILE}: files: {name} has no source:")
            sources[module] = folder / source
    else:
        for module in ("task", "utils"):
            near = [folder / f"{module}.py", folder.parent / f"{module}.py"]
            found = next((p for p in near if p.is_file()), None)
            if found is not None:
                sources[module] = found
    sources.pop("reference", None)
    sources["reference"] = folder / REFERENCE
    out: dict[str, str] = {}
    for module, path in sources.items():
        if not path.is_file():
            raise BadInput(f"{folder / TASK_FILE}: {module}.py not found at {path}")
        try:
            out[module] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"cannot read {path}: {exc}") from exc
    return out


def match_tolerance(tree: ast.Module) -> dict[str, float] | None:
    """rtol/atol of `check_implementation = make_match_reference(ref_kernel, rtol=..., atol=...)`."""
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        if not any(isinstance(t, ast.Name) and t.id == "check_implementation" for t in node.targets):
            continue
        out: dict[str, float] = {}
        for kw in node.value.keywords:
            if kw.arg in ("rtol", "atol"):
                try:
                    value = ast.literal_eval(kw.value)
                except (ValueError, TypeError, SyntaxError):
                    continue  # not a literal: the judge's per-dtype table applies
                if isinstance(value, int | float) and not isinstance(value, bool):
                    out[kw.arg] = float(value)
        return out or None
    return None


def problem_source(task: GpuModeTask) -> str:
    """The generated KernelBench-format problem file."""
    title = task.description.splitlines()[0] if task.description else "a GPU MODE task"
    tolerance = f"TOLERANCE = {task.tolerance!r}\n" if task.tolerance else ""
    return PROBLEM_TEMPLATE.format(
        name=task.name,
        title=title.replace('"""', "'''"),
        sources=repr(task.modules),
        benchmarks=repr(task.benchmarks or task.tests[:1]),
        tests=repr(task.tests or task.benchmarks),
        tolerance=tolerance,
    )


def candidate_source(task: GpuModeTask, submission: str) -> str:
    """The submission verbatim, then the wrapper; `from __future__` lines stay first, as they must."""
    lines = submission.splitlines()
    future = [ln for ln in lines if ln.startswith("from __future__ import")]
    body = "\n".join(ln for ln in lines if not ln.startswith("from __future__ import"))
    head = "\n".join(future) + "\n" if future else ""
    return CANDIDATE_TEMPLATE.format(name=task.name, future=head, submission=body.rstrip())


def judge_submission(
    task_dir: Path, submission: Path, config: JudgeConfig, repeat: int = 1
) -> tuple[Verdict, GeneratedPair]:
    """Judge a GPU MODE submission; the verdict names the task and the submission file."""
    from kernelwright.judge import judge

    task = load_task(task_dir)
    try:
        text = submission.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read submission {submission}: {exc}") from exc
    pair = GeneratedPair(problem_source(task), candidate_source(task, text))
    with tempfile.TemporaryDirectory(prefix="kw-gpumode-") as tmp:
        problem_path, candidate_path = Path(tmp) / "problem.py", Path(tmp) / "model_new.py"
        problem_path.write_text(pair.problem_source, encoding="utf-8")
        candidate_path.write_text(pair.candidate_source, encoding="utf-8")
        verdict = judge(
            problem_path, candidate_path, config, problem_id=f"gpumode/{task.name}", repeat=repeat
        )
    # The generated file is gone with the temp dir; the submission is what the user judged.
    return verdict.model_copy(update={"candidate": str(submission)}), pair


PROBLEM_TEMPLATE = '''"""GPU MODE task {name}: {title}

Generated by kernelwright.integrations.gpumode from the task folder; the task's modules are inlined
below and loaded under their own names, because the judge's workers see this one file.
"""

import linecache
import sys
import types

import torch
from torch import nn

SOURCES = {sources}
BENCHMARKS = {benchmarks}
TESTS = {tests}
{tolerance}

def _install(name, source):
    filename = f"<gpumode {{name}}.py>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # tracebacks
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


for _name, _source in SOURCES.items():
    _install(_name, _source)
_reference = sys.modules["reference"]


def _args(args):
    # The judge seeds torch before building each case: a seed drawn here is fresh per case and per
    # timed call, and the same in the reference's and the candidate's worker.
    args = dict(args)
    if "seed" in args:
        args["seed"] = int(torch.randint(0, 2**31 - 1, ()).item())
    return args


def _as_inputs(data):
    if isinstance(data, tuple | list):
        return list(data)
    if isinstance(data, torch.Tensor):
        return [data]
    raise TypeError(f"generate_input returned a {{type(data).__name__}}: expected a tensor or a tuple of them")


def _clone(x):
    return x.clone() if isinstance(x, torch.Tensor) else x


def get_inputs():
    return _as_inputs(_reference.generate_input(**_args(BENCHMARKS[0])))


def get_fuzz_inputs(seed):
    return _as_inputs(_reference.generate_input(**_args(TESTS[seed % len(TESTS)])))


def get_init_inputs():
    return []


class Model(nn.Module):
    def forward(self, *inputs):
        data = [_clone(x) for x in inputs]
        return _reference.ref_kernel(data[0] if len(data) == 1 else tuple(data))
'''

CANDIDATE_TEMPLATE = """{future}# GPU MODE submission for task {name}, judged by kernelwright: the submission verbatim, then
# class ModelNew calling its custom_kernel (generated by kernelwright.integrations.gpumode).
{submission}


# ---- kernelwright wrapper ----
import torch as _kw_torch


class ModelNew(_kw_torch.nn.Module):
    def forward(self, *inputs):
        # A clone, as GPU MODE's eval hands custom_kernel: the kernel may fill a buffer inside data.
        data = [x.clone() if isinstance(x, _kw_torch.Tensor) else x for x in inputs]
        return custom_kernel(data[0] if len(data) == 1 else tuple(data))
"""
