"""`kernelwright mcp`: the judge as an MCP server over stdio, for coding agents (Claude Code, Codex, ...).

Tools: ``verify`` and ``bench`` (with progress notifications), ``guard``, ``reproduce``, ``profile``,
``problem_info``, ``list_suite``, ``knowledge_search``; resources: the bundled problems and the skill's
docs; one prompt. Each tool has a typed input schema with descriptions and a typed output schema
(:mod:`.mcp_tools`); ``verify``/``bench`` return the verdict exactly as ``kernelwright verify --json``
prints it, so an agent reads the same fields whichever way it calls the judge.

This module holds the SDK-free tool bodies (the tests call them in process); :mod:`.mcp_tools` holds
the SDK-facing definitions. Startup is kept short (``initialize`` answered in well under 3 s): nothing
here imports torch, the judge, the store or the knowledge base until a tool needs it, and
``python -m kernelwright.integrations.mcp_server`` skips the CLI's command modules altogether.

The server process never runs untrusted code: candidates are judged by ``judge()`` in its sandboxed
workers, problem files are only described in a subprocess (``tasks.describe.describe_problem``), and a
reproduction runs ``kernelwright repro`` in a child process. stdout carries protocol messages only: the
SDK points fd 1 at stderr while it serves (mcp >= 2), and nothing here prints. Blocking work runs in a
thread so the server keeps answering pings meanwhile.

Module name: ``mcp_server``, not ``mcp``, so it never shadows the ``mcp`` SDK.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from kernelwright.errors import BadInput

INSTRUCTIONS = """kernelwright judges GPU kernels (Triton or CUDA) against PyTorch references.
Loop: list_suite or problem_info(problem) -> write a candidate file defining `class ModelNew(nn.Module)`
with the same constructor as `Model` -> guard(candidate) for an instant static check -> verify(problem,
candidate) -> read `verdict`, `category` and `reasons[].message` (it names the failing case: fuzz:3 is
get_fuzz_inputs(3)) -> reproduce(problem, candidate, case) for that case's shapes and errors -> fix and
verify again. Hard-coded shapes, calls back into PyTorch for the compute, timing tricks and output
caching are all caught. Without a GPU, Triton runs in the interpreter: correctness only, `timing` is
null. Resources: kernelwright://problems/{level}/{name} (bundled problem sources) and
kernelwright://skill/... (verdict fields, Triton and CUDA rules)."""

NO_TIMING = "no CUDA GPU here: Triton runs in the interpreter, correctness only; timing needs an NVIDIA GPU"
NEEDS_GPU = (
    "profile needs an NVIDIA GPU: on this machine Triton runs in the CPU interpreter, where kernel "
    "times mean nothing; verify still checks correctness"
)
DOC_NAMES = ("JUDGE.md", "THREATS.md", "DESIGN.md", "SCALING.md")


# --------------------------------------------------------------------------- inputs
def _is_source(text: str) -> bool:
    """A file's text rather than a path: paths never contain a newline."""
    return "\n" in text


def _resolve_problem(problem: str, tmp: Path) -> Path:
    """A problem path, a bundled id (``level1/relu``), or source text written to a private folder."""
    if not problem or not problem.strip():
        raise BadInput("problem is empty: give a path, a bundled id such as level1/relu, or the source")
    if _is_source(problem):
        file = tmp / "problem" / "inline_problem.py"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(problem, encoding="utf-8")
        return file
    p = Path(problem).expanduser()
    if p.exists():
        return p
    from kernelwright.problem import bundled_dir

    bundled = bundled_dir() / f"{problem.removesuffix('.py')}.py"
    if bundled.is_file():
        return bundled
    raise BadInput(f"problem not found: {problem} (a file path, a bundled id from list_suite, or the source)")


def _resolve_candidate(candidate: str, tmp: Path) -> Path:
    if not candidate or not candidate.strip():
        raise BadInput("candidate is empty: give a path or the file's source")
    if _is_source(candidate):
        file = tmp / "candidate" / "candidate.py"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(candidate, encoding="utf-8")
        return file
    p = Path(candidate).expanduser()
    if not p.is_file():
        raise BadInput(f"candidate file not found: {candidate}")
    return p


# --------------------------------------------------------------------------- tool bodies
def run_verify(
    problem: str,
    candidate: str,
    *,
    seeds: int | None = None,
    fuzz: int | None = None,
    strict: bool = False,
    timed_calls: int | None = None,
    record: bool = True,
) -> dict[str, Any]:
    """Judge once; the verdict JSON plus, when stored, its record id (as ``verify --json`` prints it)."""
    from kernelwright.judge import JudgeConfig, judge

    settings = {"seeds": seeds, "fuzz": fuzz, "strict": strict, "timed_calls": timed_calls}
    try:
        config = JudgeConfig.model_validate({k: v for k, v in settings.items() if v is not None})
    except ValueError as exc:
        raise BadInput(f"bad judge setting: {str(exc).splitlines()[-1].strip()}") from None
    with tempfile.TemporaryDirectory(prefix="kw-mcp-") as tmp:
        problem_file = _resolve_problem(problem, Path(tmp))
        candidate_file = _resolve_candidate(candidate, Path(tmp))
        verdict = judge(problem_file, candidate_file, config)
        if _is_source(candidate):
            verdict.candidate = "<candidate source>"
        body = verdict.to_json_dict()
        if record:
            body.update(_record(verdict, problem_file.read_text(), candidate_file.read_text()))
    return body


def _record(verdict: Any, problem_source: str, candidate_source: str) -> dict[str, Any]:
    try:
        from kernelwright.store import Store

        store = Store.open()
        try:
            rec = store.record_verdict(
                verdict,
                problem_source=problem_source,
                candidate_source=candidate_source,
                origin={"kind": "agent", "via": "mcp"},
            )
        finally:
            store.close()
    except Exception as exc:  # noqa: BLE001 - the verdict stands; only its record is missing
        return {"recorded": False, "record_error": f"{type(exc).__name__}: {exc}".splitlines()[0][:300]}
    return {"record_id": rec.record_id, "signature": rec.signature, "public_key": rec.public_key}


TIMING_KEYS = (
    "candidate_ms",
    "eager_ms",
    "compiled_ms",
    "speedup_vs_eager",
    "speedup_vs_compiled",
    "samples",
    "spread",
    "roofline_fraction",
)


def run_bench(**kwargs: Any) -> dict[str, Any]:
    """``run_verify`` with the timing summary up front; on a CPU-only machine it says timing is unavailable."""
    from kernelwright.environment import cuda_available

    body = run_verify(**kwargs)
    timing = body.get("timing")
    if timing:
        summary = {"available": True, **{k: timing.get(k) for k in TIMING_KEYS}}
    elif not cuda_available():
        summary = {"available": False, "message": NO_TIMING}
    else:
        summary = {
            "available": False,
            "message": f"not timed: the candidate was {body['verdict']} "
            f"({body.get('category')}); only accepted kernels are timed",
        }
    return {"bench": summary, **body}


def run_profile(problem: str, candidate: str, timed_calls: int | None = None) -> dict[str, Any]:
    """Where the device time of the candidate goes, from the judge's own measurement (GPU only).

    The figures are the judge's: per-call kernel time against eager and torch.compile, the share of
    device time spent in the candidate's own kernels, custom launches per forward, the roofline
    fraction and its floor. On a CPU-only machine: ``available: false`` and why.
    """
    from kernelwright.environment import cuda_available

    if not cuda_available():
        return {"available": False, "message": NEEDS_GPU}
    body = run_verify(problem, candidate, timed_calls=timed_calls, record=False)
    timing = body.get("timing") or {}
    correctness = body.get("correctness") or {}
    if not timing:
        return {
            "available": False,
            "message": f"not profiled: the candidate was {body['verdict']} ({body.get('category')}); "
            "only accepted kernels are timed",
            "verdict": body["verdict"],
            "category": body.get("category"),
            "reasons": body.get("reasons", []),
        }
    return {
        "available": True,
        "verdict": body["verdict"],
        "custom_launches_per_forward": correctness.get("custom_launches"),
        "custom_kernel_share": timing.get("custom_kernel_share"),
        "host_wall_ms": timing.get("host_wall_ms"),
        "floor_ms": timing.get("floor_ms"),
        **{k: timing.get(k) for k in TIMING_KEYS},
        "device": (body.get("environment") or {}).get("device"),
    }


def run_guard(candidate: str) -> dict[str, Any]:
    """The static guard's findings (an AST scan: nothing is executed)."""
    from kernelwright.guard import scan

    with tempfile.TemporaryDirectory(prefix="kw-mcp-") as tmp:
        path = _resolve_candidate(candidate, Path(tmp))
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"cannot read candidate {candidate}: {exc}") from exc
    findings = [f.model_dump() for f in scan(source, "candidate.py")]
    return {
        "rejected": any(f["severity"] == "hard" for f in findings),
        "findings": findings,
        "note": "a pre-filter: a clean scan is not a verdict; verify runs the sandboxed checks",
    }


def run_reproduce(problem: str, candidate: str, case: str, value_seed: int = 0) -> dict[str, Any]:
    """``kernelwright repro --json`` in a child process (it patches the judge's case plan for one call)."""
    from kernelwright.integrations.repro import parse_case

    parse_case(case)
    with tempfile.TemporaryDirectory(prefix="kw-mcp-") as tmp:
        problem_file = _resolve_problem(problem, Path(tmp))
        candidate_file = _resolve_candidate(candidate, Path(tmp))
        cmd = [sys.executable, "-m", "kernelwright", "repro", str(problem_file), str(candidate_file)]
        cmd += ["--case", case, "--value-seed", str(value_seed), "--json"]
        # The child is the judge itself (it jails the candidate and the problem in its own workers),
        # so it inherits this process's settings like any CLI call; no problem code runs in it.
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, timeout=1800)
    if proc.returncode not in (0, 1) or not proc.stdout.strip():
        line = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise BadInput(line.removeprefix("kernelwright: "))
    result: dict[str, Any] = json.loads(proc.stdout)
    if _is_source(candidate):
        result["candidate"] = "<candidate source>"
    return result


def run_knowledge_search(
    problem: str | None = None, text: str | None = None, k: int = 3, allow_same_problem: bool = False
) -> dict[str, Any]:
    """Verified kernels for similar problems (by problem), or stored records matching ``text``."""
    if not (problem or text):
        raise BadInput("give problem or text")
    try:
        from kernelwright.knowledge import DEFAULT_MIN_SCORE, KnowledgeBase
        from kernelwright.store import Store
    except ImportError as exc:
        return {"available": False, "message": f"the knowledge base is not available in this install: {exc}"}
    try:
        store = Store.open()
    except Exception as exc:  # noqa: BLE001 - a missing or broken store degrades, it does not crash the server
        return {"available": False, "message": f"cannot open the store: {exc}".splitlines()[0]}
    try:
        if text and not problem:
            return {"available": True, "matches": store.search_text(text, limit=max(1, k))}
        assert problem is not None
        from kernelwright import environment

        with tempfile.TemporaryDirectory(prefix="kw-mcp-") as tmp:
            path = _resolve_problem(problem, Path(tmp))
            entries = KnowledgeBase(store).retrieve(
                str(path),
                k,
                environment=environment.current(),
                exclude_same_problem=not allow_same_problem,
                min_score=DEFAULT_MIN_SCORE,
            )
        return {"available": True, "entries": [_entry(e) for e in entries]}
    finally:
        store.close()


def _entry(e: Any) -> dict[str, Any]:
    env = e.environment.model_dump() if getattr(e, "environment", None) is not None else None
    return {
        "record_id": e.record_id,
        "problem": e.problem,
        "score": round(float(e.score), 4),
        "language": e.language,
        "op_family": e.op_family,
        "speedup_vs_eager": e.speedup_vs_eager,
        "speedup_vs_compiled": e.speedup_vs_compiled,
        "needs_reverify": e.needs_reverify,
        "environment": env,
        "kernel_source": e.kernel_source,
    }


def run_list_suite() -> dict[str, Any]:
    from kernelwright.problem import bundled_dir, discover

    specs = discover(bundled_dir())
    return {
        "problems": [
            {"id": s.id, "path": str(s.path), "title": s.title, "has_fuzz": s.has_fuzz} for s in specs
        ]
    }


def run_problem_info(problem: str, fuzz: int = 8) -> dict[str, Any]:
    from kernelwright.tasks.describe import describe_problem

    with tempfile.TemporaryDirectory(prefix="kw-mcp-") as tmp:
        path = _resolve_problem(problem, Path(tmp))
        info = describe_problem(path, fuzz=max(0, min(fuzz, 64)))
    info["contract"] = (
        "write `class ModelNew(nn.Module)` with Model's constructor signature; parameters are "
        "loaded from Model's state_dict where names and shapes match; forward must compute "
        "the outputs with your own kernels for every input shape (fuzz cases included)"
    )
    return info


# --------------------------------------------------------------------------- resources
def problem_source(level: str, name: str) -> str:
    """A bundled problem's source (resource ``kernelwright://problems/{level}/{name}``)."""
    from kernelwright.problem import bundled_dir

    root = bundled_dir().resolve()
    path = (root / level / f"{name.removesuffix('.py')}.py").resolve()
    if root not in path.parents or not path.is_file():
        raise BadInput(f"no bundled problem {level}/{name} (see list_suite)")
    return path.read_text(encoding="utf-8")


def docs_dir() -> Path | None:
    """The repository's docs/ folder when the server runs from a checkout (editable install)."""
    here = Path(__file__).resolve().parents[3] / "docs"
    return here if (here / "JUDGE.md").is_file() else None


def serve() -> None:
    from kernelwright.integrations.mcp_tools import build_server
    from kernelwright.judge.pool import use_pool

    # A coding agent verifies one problem over and over: its reference stays warm, and the next
    # candidate's worker is started before it is asked for (judge/pool.py).
    with use_pool(spares=1, references=4):
        build_server().run("stdio")


def build_server() -> Any:
    from kernelwright.integrations.mcp_tools import build_server as build

    return build()


if __name__ == "__main__":  # `python -m kernelwright.integrations.mcp_server`: the fastest start
    try:
        serve()
    except BadInput as exc:
        sys.stderr.write(f"kernelwright: {exc}\n")
        raise SystemExit(2) from None
