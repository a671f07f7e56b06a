"""`kernelwright mcp`: the judge as an MCP server over stdio, for coding agents (Claude Code, Codex, ...).

Tools: ``verify``, ``bench``, ``problem_info``, ``list_suite``, ``knowledge_search``. Each returns one
JSON object; ``verify``/``bench`` return the verdict exactly as ``kernelwright verify --json`` prints it,
so an agent reads the same fields whichever way it calls the judge.

The server process never runs untrusted code: candidates are judged by ``judge()`` in its sandboxed
workers, and problem files are only described in a subprocess (``tasks.describe.describe_problem``).
stdout carries protocol messages only: the SDK points fd 1 at stderr while it serves (mcp >= 2), and
nothing here prints. Blocking work runs in a thread so the server keeps answering pings meanwhile.

Module name: ``mcp_server``, not ``mcp``, so it never shadows the ``mcp`` SDK.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kernelwright.errors import BadInput, KernelwrightError
from kernelwright.judge import JudgeConfig

T = TypeVar("T")

INSTRUCTIONS = """kernelwright judges GPU kernels (Triton or CUDA) against PyTorch references.
Loop: list_suite or problem_info(problem) -> write a candidate file defining `class ModelNew(nn.Module)`
with the same constructor as `Model` -> verify(problem, candidate) -> read `verdict`, `category` and
`reasons[].message` -> fix and verify again. A rejection is final for that file: hard-coded shapes,
calls back into PyTorch for the compute, timing tricks and output caching are all caught.
On a machine without a GPU, Triton runs in the interpreter: correctness only, `timing` is null."""

NO_TIMING = "no CUDA GPU here: Triton runs in the interpreter, correctness only; timing needs an NVIDIA GPU"


def _sdk(v2: str, v1: str, name: str) -> Any:
    """``name`` from the mcp 2.x module ``v2``, else from the 1.x module ``v1`` (FastMCP was renamed)."""
    import importlib

    for module in (v2, v1):
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
    raise BadInput("`kernelwright mcp` needs the MCP SDK: pip install mcp")


def _server_class() -> Any:
    try:
        return _sdk("mcp.server.mcpserver", "mcp.server.fastmcp", "MCPServer")
    except BadInput:
        return _sdk("mcp.server.mcpserver", "mcp.server.fastmcp", "FastMCP")


async def _in_thread(fn: Callable[..., T], *args: Any) -> T:
    import anyio

    return await anyio.to_thread.run_sync(fn, *args)


def _resolve_problem(path: str | None, source: str | None, tmp: Path) -> Path:
    """A problem path, a bundled id (``level1/relu``), or source text written to a private folder."""
    if bool(path) == bool(source):
        raise BadInput("give exactly one of problem_path or problem_source")
    if source:
        file = tmp / "problem" / "inline_problem.py"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(source, encoding="utf-8")
        return file
    assert path is not None
    p = Path(path).expanduser()
    if p.exists():
        return p
    from kernelwright.problem import bundled_dir

    bundled = bundled_dir() / f"{path.removesuffix('.py')}.py"
    if bundled.is_file():
        return bundled
    raise BadInput(f"problem not found: {path} (a file path, or a bundled id from list_suite)")


def _resolve_candidate(path: str | None, source: str | None, tmp: Path) -> Path:
    if bool(path) == bool(source):
        raise BadInput("give exactly one of candidate_path or candidate_source")
    if source:
        file = tmp / "candidate" / "candidate.py"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(source, encoding="utf-8")
        return file
    assert path is not None
    p = Path(path).expanduser()
    if not p.is_file():
        raise BadInput(f"candidate file not found: {path}")
    return p


def run_verify(
    problem_path: str | None = None,
    problem_source: str | None = None,
    candidate_path: str | None = None,
    candidate_source: str | None = None,
    *,
    seeds: int | None = None,
    fuzz: int | None = None,
    strict: bool = False,
    timed_calls: int | None = None,
    record: bool = True,
) -> dict[str, Any]:
    """Judge once; the verdict JSON plus, when stored, its record id (as ``verify --json`` prints it)."""
    from kernelwright.judge import judge

    settings = {"seeds": seeds, "fuzz": fuzz, "strict": strict, "timed_calls": timed_calls}
    config = JudgeConfig.model_validate({k: v for k, v in settings.items() if v is not None})
    with tempfile.TemporaryDirectory(prefix="kw-mcp-") as tmp:
        problem = _resolve_problem(problem_path, problem_source, Path(tmp))
        candidate = _resolve_candidate(candidate_path, candidate_source, Path(tmp))
        verdict = judge(problem, candidate, config)
        if candidate_source:
            verdict.candidate = "<candidate_source>"
        body = verdict.to_json_dict()
        if record:
            body.update(_record(verdict, problem.read_text(), candidate.read_text()))
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


def run_bench(**kwargs: Any) -> dict[str, Any]:
    """``run_verify`` with the timing summary up front; on a CPU-only machine it says timing is unavailable."""
    from kernelwright.environment import cuda_available

    body = run_verify(**kwargs)
    timing = body.get("timing")
    if timing:
        summary = {
            "available": True,
            **{
                k: timing.get(k)
                for k in (
                    "candidate_ms",
                    "eager_ms",
                    "compiled_ms",
                    "speedup_vs_eager",
                    "speedup_vs_compiled",
                    "samples",
                    "spread",
                    "roofline_fraction",
                )
            },
        }
    elif not cuda_available():
        summary = {"available": False, "message": NO_TIMING}
    else:
        summary = {
            "available": False,
            "message": f"not timed: the candidate was {body['verdict']} "
            f"({body.get('category')}); only accepted kernels are timed",
        }
    return {"bench": summary, **body}


def run_knowledge_search(
    problem_path: str | None = None, problem_source: str | None = None, text: str | None = None, k: int = 3
) -> dict[str, Any]:
    """Verified kernels for similar problems (by problem), or stored records matching ``text``."""
    if not (problem_path or problem_source or text):
        raise BadInput("give problem_path, problem_source or text")
    try:
        from kernelwright.knowledge import KnowledgeBase
        from kernelwright.store import Store
    except ImportError as exc:
        return {"available": False, "message": f"the knowledge base is not available in this install: {exc}"}
    try:
        store = Store.open()
    except Exception as exc:  # noqa: BLE001 - a missing or broken store degrades, it does not crash the server
        return {"available": False, "message": f"cannot open the store: {exc}".splitlines()[0]}
    try:
        if text and not (problem_path or problem_source):
            return {"available": True, "matches": store.search_text(text, limit=max(1, k))}
        with tempfile.TemporaryDirectory(prefix="kw-mcp-") as tmp:
            problem = _resolve_problem(problem_path, problem_source, Path(tmp))
            entries = KnowledgeBase(store).retrieve(str(problem), k)
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


def run_problem_info(
    problem_path: str | None = None, problem_source: str | None = None, fuzz: int = 8
) -> dict[str, Any]:
    from kernelwright.tasks.describe import describe_problem

    with tempfile.TemporaryDirectory(prefix="kw-mcp-") as tmp:
        problem = _resolve_problem(problem_path, problem_source, Path(tmp))
        info = describe_problem(problem, fuzz=max(0, min(fuzz, 64)))
    info["contract"] = (
        "write `class ModelNew(nn.Module)` with Model's constructor signature; parameters are "
        "loaded from Model's state_dict where names and shapes match; forward must compute "
        "the outputs with your own kernels for every input shape (fuzz cases included)"
    )
    return info


def build_server() -> Any:
    """The MCP server with its tools registered; ``.run("stdio")`` serves it."""
    server = _server_class()("kernelwright", instructions=INSTRUCTIONS)

    @server.tool()
    async def verify(
        problem_path: str | None = None,
        problem_source: str | None = None,
        candidate_path: str | None = None,
        candidate_source: str | None = None,
        seeds: int | None = None,
        fuzz: int | None = None,
        strict: bool = False,
        record: bool = True,
    ) -> dict[str, Any]:
        """Judge a candidate kernel against a PyTorch reference; returns the verdict JSON.

        Give the problem as problem_path (a file, or a bundled id such as "level1/relu") or as
        problem_source (the file's text), and the candidate as candidate_path or candidate_source (a
        file defining `class ModelNew(nn.Module)`). Read `verdict` (accepted | rejected | skipped),
        `category` (why not accepted) and `reasons[].message`. seeds/fuzz: how many benchmark-shape and
        fuzz-shape cases to check (defaults 5 and 8). strict: reject any PyTorch compute op in forward.
        """
        return await _tool(
            run_verify,
            problem_path,
            problem_source,
            candidate_path,
            candidate_source,
            seeds=seeds,
            fuzz=fuzz,
            strict=strict,
            record=record,
        )

    @server.tool()
    async def bench(
        problem_path: str | None = None,
        problem_source: str | None = None,
        candidate_path: str | None = None,
        candidate_source: str | None = None,
        timed_calls: int | None = None,
        record: bool = True,
    ) -> dict[str, Any]:
        """Verify, then report the timing: candidate vs eager PyTorch and torch.compile (GPU only).

        Returns {"bench": {available, candidate_ms, speedup_vs_eager, speedup_vs_compiled, ...}, ...verdict}.
        Only accepted kernels are timed; without an NVIDIA GPU, bench.available is false and says why.
        """
        return await _tool(
            run_bench,
            problem_path=problem_path,
            problem_source=problem_source,
            candidate_path=candidate_path,
            candidate_source=candidate_source,
            timed_calls=timed_calls,
            record=record,
        )

    @server.tool()
    async def problem_info(
        problem_path: str | None = None, problem_source: str | None = None, fuzz: int = 8
    ) -> dict[str, Any]:
        """Shapes and dtypes of a problem's inputs, fuzz cases, outputs and parameters; the tolerance per
        output dtype; and the hardware card (GPU name, SMs, L2 size, or "CPU interpreter")."""
        return await _tool(run_problem_info, problem_path, problem_source, fuzz)

    @server.tool()
    async def list_suite() -> dict[str, Any]:
        """The bundled problems: id (usable as problem_path), path, title, whether it has fuzz inputs."""
        return await _tool(run_list_suite)

    @server.tool()
    async def knowledge_search(
        problem_path: str | None = None,
        problem_source: str | None = None,
        text: str | None = None,
        k: int = 3,
    ) -> dict[str, Any]:
        """Verified kernels of similar problems from the local store (by problem), or stored records whose
        problem, kernel or verdict contains `text`. Entries with needs_reverify were verified on another
        GPU or toolchain: treat them as hints until verified here."""
        return await _tool(run_knowledge_search, problem_path, problem_source, text, k)

    return server


async def _tool(fn: Callable[..., dict[str, Any]], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Run ``fn`` off the event loop; kernelwright's one-line errors become the tool's error message."""
    try:
        return await _in_thread(lambda: fn(*args, **kwargs))
    except KernelwrightError as exc:
        raise _tool_error()(str(exc)) from None


def _tool_error() -> type[Exception]:
    """The SDK's ToolError: its message reaches the client (other exceptions are masked and logged)."""
    return _sdk("mcp.server.mcpserver.exceptions", "mcp.server.fastmcp.exceptions", "ToolError")  # type: ignore[no-any-return]


def serve() -> None:
    build_server().run("stdio")
