"""KernelBench-format problems: static validation in the parent, discovery of suites.

The parent never executes a problem file: it checks the file statically here and leaves execution to
the trusted reference worker, so a broken problem costs one subprocess, not the judge.
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kernelwright.errors import BadInput, ProblemError

REQUIRED = ("Model", "get_inputs", "get_init_inputs")


@dataclass(frozen=True)
class ProblemSpec:
    """A problem file that passed static checks."""

    path: Path
    id: str
    source: str
    has_fuzz: bool
    title: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()


def _read(path: Path, what: str) -> str:
    if not path.exists():
        raise BadInput(f"{what} not found: {path}")
    if not path.is_file():
        raise BadInput(f"{what} is not a file: {path}")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {what} {path}: {exc}") from exc


def top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def load_problem(path: str | Path, problem_id: str | None = None) -> ProblemSpec:
    """Read and statically validate a problem file; raise ProblemError (exit 2) when unusable."""
    p = Path(path)
    if p.is_dir() and (p / "problem.py").is_file():
        p = p / "problem.py"
    source = _read(p, "problem file")
    try:
        tree = ast.parse(source, filename=str(p))
    except SyntaxError as exc:
        raise ProblemError(f"problem {p} does not parse: {exc.msg} (line {exc.lineno})") from exc
    names = top_level_names(tree)
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise ProblemError(
            f"problem {p} is not in KernelBench format: missing {', '.join(missing)} "
            "(needs class Model, get_inputs() and get_init_inputs())"
        )
    doc = ast.get_docstring(tree) or ""
    title = doc.strip().splitlines()[0] if doc.strip() else p.stem
    return ProblemSpec(
        path=p.resolve(),
        id=problem_id or _default_id(p),
        source=source,
        has_fuzz="get_fuzz_inputs" in names,
        title=title,
    )


def _default_id(p: Path) -> str:
    stem = p.parent.name if p.name == "problem.py" else p.stem
    level = p.parent.parent.name if p.name == "problem.py" else p.parent.name
    return f"{level}/{stem}" if level.startswith("level") else stem


def bundled_dir() -> Path:
    """The bundled suite shipped inside the package (data files, not modules)."""
    return Path(str(resources.files("kernelwright") / "problems"))


def library_dir() -> Path:
    """Verified kernels shipped next to the bundled problems (same stems)."""
    return Path(str(resources.files("kernelwright") / "library"))


def stem_of(path: Path) -> str:
    return path.parent.name if path.name == "problem.py" else path.stem


def discover(root: str | Path) -> list[ProblemSpec]:
    """Problems in KernelBench layout: files, optionally in level subfolders, or folders with problem.py."""
    base = Path(root)
    if not base.is_dir():
        raise BadInput(f"problems directory not found: {base}")
    found: list[Path] = []
    for path in sorted(base.rglob("*.py")):
        rel = path.relative_to(base)
        if any(part.startswith((".", "_")) for part in rel.parts):
            continue
        if path.name == "problem.py" or (path.parent / "problem.py").exists() is False:
            found.append(path)
    specs = []
    for path in found:
        try:
            specs.append(load_problem(path, problem_id=_suite_id(base, path)))
        except ProblemError:
            continue  # helper modules in a suite folder are not problems; `verify` reports them instead
    if not specs:
        raise BadInput(f"no KernelBench-format problems under {base}")
    return specs


def _suite_id(base: Path, path: Path) -> str:
    rel = path.relative_to(base)
    if path.name == "problem.py":
        rel = rel.parent
    return str(rel.with_suffix("")) if rel.suffix else str(rel)


def find_candidates(candidates_dir: Path, stem: str) -> list[Path]:
    """Candidates as `<stem>.py` or `<stem>/*.py`, searched at any depth (level folders mirror problems)."""
    hits = sorted(p for p in candidates_dir.rglob(f"{stem}.py") if p.is_file())
    for folder in sorted(p for p in candidates_dir.rglob(stem) if p.is_dir()):
        hits.extend(sorted(folder.glob("*.py")))
    return hits


# KernelBench's generated-kernel folders (its runs/<run>/ layout) name a sample of problem N of level L
# `level_{L}_problem_{N}_sample_{S}_kernel.py`; its problem files are `{N}_{Name}.py` in `level{L}/`.
KERNELBENCH_SAMPLE = re.compile(r"level_(\d+)_problem_(\d+)_sample_(\d+)_kernel\.py")
_PROBLEM_NUMBER = re.compile(r"(\d+)_")
_LEVEL_FOLDER = re.compile(r"level(\d+)")


def kernelbench_samples(candidates_dir: Path) -> dict[tuple[int, int], list[Path]]:
    """KernelBench generated kernels under ``candidates_dir`` (any depth), by (level, problem number).

    Indexed once for the whole suite: a KernelBench run holds hundreds of files, and a glob per problem
    would walk them all for each of its 250 problems. Samples come in sample order (2 before 10).
    """
    found: dict[tuple[int, int], list[tuple[int, Path]]] = defaultdict(list)
    for path in candidates_dir.rglob("level_*_problem_*_sample_*_kernel.py"):
        m = KERNELBENCH_SAMPLE.fullmatch(path.name)
        if m and path.is_file():
            found[(int(m[1]), int(m[2]))].append((int(m[3]), path))
    return {key: [p for _, p in sorted(hits)] for key, hits in found.items()}


def kernelbench_candidates(samples: dict[tuple[int, int], list[Path]], problem: Path) -> list[Path]:
    """The samples of ``problem`` (a ``{N}_Name.py`` file, or a ``{N}_Name/problem.py`` folder).

    The level comes from the nearest ``level{L}`` folder above the problem; a problem outside any level
    folder takes the samples of its number at every level.
    """
    number = _PROBLEM_NUMBER.match(stem_of(problem))
    if number is None:
        return []
    level = next((int(m[1]) for d in problem.parents if (m := _LEVEL_FOLDER.fullmatch(d.name))), None)
    return [
        path
        for (lvl, num), paths in sorted(samples.items())
        if num == int(number[1]) and (level is None or lvl == level)
        for path in paths
    ]
