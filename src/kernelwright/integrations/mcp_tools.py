"""The MCP server's definitions: typed tools, resources and a prompt over :mod:`.mcp_server`'s bodies.

Why a module of its own: the SDK resolves each tool's annotations (`Context`, the pydantic input and
output types) from module globals, so they live at module level here, and importing the SDK (about a
second) is paid only by the server, not by the CLI or the tests of the tool bodies.

Input schemas: every argument has a type, bounds where they matter and a description; `problem` and
`candidate` are required (each a path, a bundled id for problems, or the file's source text). Output
schemas: pydantic models with descriptions; verdicts allow the verdict's additional fields, because
the verdict contract may add fields (DESIGN "Verdict JSON").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import anyio
from pydantic import BaseModel, ConfigDict, Field

from kernelwright.errors import KernelwrightError
from kernelwright.integrations import mcp_server as body

try:  # mcp >= 2 renamed FastMCP to MCPServer
    from mcp.server.mcpserver import Context, MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
except ImportError:  # pragma: no cover - mcp 1.x
    from mcp.server.fastmcp import Context  # type: ignore[no-redef,attr-defined]
    from mcp.server.fastmcp import FastMCP as MCPServer  # type: ignore[no-redef,attr-defined]
    from mcp.server.fastmcp.exceptions import ToolError  # type: ignore[no-redef,import-not-found]

T = TypeVar("T")
PROGRESS_EVERY_S = 2.0  # a verify takes 10-70 s: a client that shows progress shows it moving

# -- inputs ------------------------------------------------------------------------------------------
Problem = Annotated[
    str,
    Field(
        description="The reference problem: a bundled id from list_suite (e.g. 'level1/relu'), a file "
        "path, or the file's source text (any text with a newline is taken as source)",
        min_length=1,
    ),
]
Candidate = Annotated[
    str,
    Field(
        description="The candidate: a file path, or the file's source text, defining "
        "`class ModelNew(nn.Module)` with Model's constructor signature",
        min_length=1,
    ),
]
Seeds = Annotated[
    int | None,
    Field(description="Benchmark-shape cases to check (default 5; 1 for a quick pass)", ge=0, le=50),
]
Fuzz = Annotated[
    int | None,
    Field(description="Fuzz-shape cases from get_fuzz_inputs (default 8; 4 for a quick pass)", ge=0, le=64),
]
Strict = Annotated[bool, Field(description="Reject any PyTorch compute op in forward")]
Record = Annotated[bool, Field(description="Sign and store the verdict in the local kernelwright store")]
TimedCalls = Annotated[int | None, Field(description="Timed calls on a GPU (default 100)", ge=1, le=10_000)]
CaseLabel = Annotated[
    str,
    Field(
        description="The case a verdict named: 'fuzz:3' (get_fuzz_inputs(3)) or 'seed:0' (get_inputs())",
        pattern=r"^(seed|fuzz):\d+(#\d+)?$",
    ),
]
ValueSeed = Annotated[int, Field(description="Seed of the input values; the shapes come from the case", ge=0)]


# -- outputs -----------------------------------------------------------------------------------------
class ReasonOut(BaseModel):
    code: str = Field(description="Stable reason code, e.g. KW-O001 (see docs/JUDGE.md)")
    category: str | None = Field(None, description="The verdict category this reason belongs to")
    message: str = Field(description="What failed, naming the case (fuzz:3 = get_fuzz_inputs(3))")
    evidence: str = Field("", description="Log or traceback tail")
    severity: Literal["hard", "soft"] = Field("hard", description="hard rejects; soft only warns")


class VerdictOut(BaseModel):
    """The verdict, exactly as `kernelwright verify --json` prints it (kernelwright.verdict/1)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    schema_: str = Field(alias="schema", description="kernelwright.verdict/1")
    problem: str = Field(description="Problem id or path")
    candidate: str = Field(description="Candidate path, or <candidate source>")
    candidate_sha256: str
    verdict: Literal["accepted", "rejected", "skipped"] = Field(description="The ruling")
    category: str | None = Field(
        None,
        description="null when accepted; else wrong-output, compile-error, crash-or-timeout, "
        "reference-passthrough, input-mutation, tampering, sandbox, timing-evasion or needs-cuda",
    )
    reasons: list[ReasonOut] = Field(default_factory=list, description="Every finding, hard ones first")
    correctness: dict[str, Any] | None = Field(
        None, description="trials, fuzz_cases, max_abs_err, max_rel_err, ablation, custom_launches, notes"
    )
    timing: dict[str, Any] | None = Field(
        None, description="GPU only (null on CPU): candidate_ms, eager_ms, compiled_ms, speedups, roofline"
    )
    environment: dict[str, Any] = Field(description="device, torch, triton, sandbox layers in force")
    seconds: float = Field(0.0, description="Wall time of the judgement")
    record_id: str | None = Field(None, description="The signed record in the store, when recorded")


class BenchSummary(BaseModel):
    model_config = ConfigDict(extra="allow")

    available: bool = Field(description="False without a GPU or when the candidate was not accepted")
    message: str | None = Field(None, description="Why timing is not available")
    candidate_ms: float | None = None
    speedup_vs_eager: float | None = None
    speedup_vs_compiled: float | None = None


class BenchOut(VerdictOut):
    bench: BenchSummary = Field(description="The timing summary, up front")


class FindingOut(BaseModel):
    code: str = Field(description="Static rule code, KW-S...")
    rule: str
    severity: Literal["hard", "soft"] = Field(description="hard: verify would reject the file outright")
    category: str | None = None
    message: str
    line: int
    col: int
    snippet: str


class GuardOut(BaseModel):
    rejected: bool = Field(description="True when a hard finding would reject the file before it runs")
    findings: list[FindingOut]
    note: str


class ComparedOut(BaseModel):
    where: str = Field(description="Which output of which call")
    ok: bool
    max_abs_err: float
    max_rel_err: float
    rel_rms_err: float
    bad_elements: int = Field(description="Elements outside the tolerance")
    first_bad: list[list[int]] = Field(description="Indices of the first bad elements")
    message: str


class ReproOut(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    schema_: str = Field(alias="schema", description="kernelwright.repro/1")
    case: str = Field(description="The case reproduced")
    builds_inputs_with: str = Field(description="get_fuzz_inputs(N) or get_inputs()")
    value_seed: int
    inputs: list[dict[str, Any]] = Field(description="Shape and dtype of each input")
    ok: bool = Field(description="True when the candidate is right on this case")
    outputs: list[ComparedOut] = Field(description="Per output: max abs/rel error and first bad indices")
    verdict: str
    category: str | None = None
    reasons: list[ReasonOut]


class ProfileOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    available: bool = Field(description="False on a machine without an NVIDIA GPU, or for a rejected kernel")
    message: str | None = None
    candidate_ms: float | None = Field(None, description="Median kernel time per call (judge's clock)")
    custom_kernel_share: float | None = Field(None, description="Share of device time in your own kernels")
    custom_launches_per_forward: int | None = None
    roofline_fraction: float | None = Field(None, description="floor_ms / candidate_ms")


class ProblemOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    problem: str = Field(description="Problem id")
    path: str
    inputs: list[dict[str, Any]] | None = Field(None, description="get_inputs(): shape and dtype per input")
    fuzz_cases: list[Any] = Field(default_factory=list, description="get_fuzz_inputs(i) for i = 0, 1, ...")
    outputs: list[dict[str, Any]] | None = None
    tolerance: dict[str, Any] = Field(default_factory=dict, description="atol/rtol per output dtype")
    hardware: dict[str, Any] = Field(default_factory=dict, description="GPU card, or the CPU interpreter")
    contract: str


class SuiteProblem(BaseModel):
    id: str = Field(description="Usable as `problem` in the other tools")
    path: str
    title: str
    has_fuzz: bool


class SuiteOut(BaseModel):
    problems: list[SuiteProblem]


class KnowledgeOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    available: bool
    message: str | None = None
    entries: list[dict[str, Any]] | None = Field(
        None, description="Accepted kernels of similar problems; needs_reverify: verified elsewhere"
    )
    matches: list[dict[str, Any]] | None = Field(None, description="Stored records matching the text")


# -- running tool bodies ---------------------------------------------------------------------------
async def _run(fn: Callable[[], T], ctx: Context | None = None, what: str = "") -> T:
    """`fn()` in a thread; with a context, a progress notification every PROGRESS_EVERY_S meanwhile.

    kernelwright's one-line errors become the tool's error message (other exceptions are masked).
    """
    done = anyio.Event()
    started = time.monotonic()
    result: list[T] = []

    async def work() -> None:
        try:
            result.append(await anyio.to_thread.run_sync(fn))
        finally:
            done.set()

    async def beat() -> None:
        assert ctx is not None
        await ctx.report_progress(0, None, f"{what}: started")
        while not done.is_set():
            with anyio.move_on_after(PROGRESS_EVERY_S):
                await done.wait()
            elapsed = time.monotonic() - started
            await ctx.report_progress(
                round(elapsed, 1), None, f"{what}: {'done' if done.is_set() else 'running'}, {elapsed:.0f} s"
            )

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(work)
            if ctx is not None:
                tg.start_soon(beat)
    except BaseException as exc:
        err = _unwrap(exc)
        if isinstance(err, KernelwrightError):
            raise ToolError(str(err)) from None
        raise
    return result[0]


def _unwrap(exc: BaseException) -> BaseException:
    """The first real error inside (possibly nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


# -- the server ------------------------------------------------------------------------------------
def build_server() -> Any:
    """The MCP server with its tools, resources and prompt registered; ``.run("stdio")`` serves it."""
    server = MCPServer("kernelwright", instructions=body.INSTRUCTIONS)

    @server.tool()
    async def verify(
        problem: Problem,
        candidate: Candidate,
        ctx: Context,
        seeds: Seeds = None,
        fuzz: Fuzz = None,
        strict: Strict = False,
        record: Record = True,
    ) -> VerdictOut:
        """Judge a candidate kernel against a PyTorch reference in the sandbox; returns the verdict.

        Takes 10-70 s (progress is reported). Read `verdict`, `category` and `reasons[].message`; a
        message names the failing case (fuzz:3 = get_fuzz_inputs(3)) and its input shapes can be
        rebuilt with `reproduce`.
        """
        out = await _run(
            lambda: body.run_verify(problem, candidate, seeds=seeds, fuzz=fuzz, strict=strict, record=record),
            ctx,
            "judging",
        )
        return VerdictOut.model_validate(out)

    @server.tool()
    async def bench(
        problem: Problem,
        candidate: Candidate,
        ctx: Context,
        timed_calls: TimedCalls = None,
        record: Record = True,
    ) -> BenchOut:
        """Verify, then report the timing against eager PyTorch and torch.compile (GPU only).

        Only accepted kernels are timed; without an NVIDIA GPU `bench.available` is false and says why.
        """
        out = await _run(
            lambda: body.run_bench(
                problem=problem, candidate=candidate, timed_calls=timed_calls, record=record
            ),
            ctx,
            "judging and timing",
        )
        return BenchOut.model_validate(out)

    @server.tool()
    async def guard(candidate: Candidate) -> GuardOut:
        """The static guard only (instant; nothing runs): known cheats and forbidden constructs by line.

        A clean scan is not a verdict; `verify` runs the sandboxed checks.
        """
        return GuardOut.model_validate(await _run(lambda: body.run_guard(candidate)))

    @server.tool()
    async def reproduce(
        problem: Problem, candidate: Candidate, case: CaseLabel, ctx: Context, value_seed: ValueSeed = 0
    ) -> ReproOut:
        """Rebuild one case a verdict named and run the candidate on it alone, in the sandbox.

        Returns the case's input shapes and dtypes and, per output, max abs/rel error, how many
        elements differ and the first bad indices (or the candidate's traceback for a crash).
        """
        out = await _run(
            lambda: body.run_reproduce(problem, candidate, case, value_seed), ctx, f"reproducing {case}"
        )
        return ReproOut.model_validate(out)

    @server.tool()
    async def profile(
        problem: Problem, candidate: Candidate, ctx: Context, timed_calls: TimedCalls = None
    ) -> ProfileOut:
        """Where the candidate's device time goes (GPU only): kernel time per call, the share of device
        time in your own kernels, launches per forward, roofline fraction.

        On a machine without an NVIDIA GPU it returns available=false and says so.
        """
        out = await _run(lambda: body.run_profile(problem, candidate, timed_calls), ctx, "profiling")
        return ProfileOut.model_validate(out)

    @server.tool()
    async def problem_info(
        problem: Problem,
        fuzz: Annotated[int, Field(description="How many fuzz cases to describe", ge=0, le=64)] = 8,
    ) -> ProblemOut:
        """Shapes and dtypes of a problem's inputs, fuzz cases, outputs and parameters; the tolerance per
        output dtype; and the hardware card (GPU name, SMs, L2 size, or "CPU interpreter")."""
        return ProblemOut.model_validate(await _run(lambda: body.run_problem_info(problem, fuzz)))

    @server.tool()
    async def list_suite() -> SuiteOut:
        """The bundled problems: id (usable as `problem`), path, title, whether it has fuzz inputs."""
        return SuiteOut.model_validate(await _run(body.run_list_suite))

    @server.tool()
    async def knowledge_search(
        problem: Annotated[
            str | None, Field(description="Find kernels for problems like this one (id, path or source)")
        ] = None,
        text: Annotated[str | None, Field(description="Or: stored records containing this text")] = None,
        k: Annotated[int, Field(description="How many", ge=1, le=20)] = 3,
        allow_same_problem: Annotated[
            bool, Field(description="Include kernels accepted for this very problem (they are its answer)")
        ] = False,
    ) -> KnowledgeOut:
        """Verified kernels of similar problems from the local store, or stored records matching `text`.

        Entries with needs_reverify were verified on another GPU or toolchain: hints until verified here.
        """
        out = await _run(lambda: body.run_knowledge_search(problem, text, k, allow_same_problem))
        return KnowledgeOut.model_validate(out)

    # -- resources: problems and docs, read when asked (nothing is read at startup)
    @server.resource(
        "kernelwright://problems/{level}/{name}",
        name="problem",
        description="A bundled problem's source (ids from list_suite, e.g. level1/relu)",
        mime_type="text/x-python",
    )
    def problem_resource(level: str, name: str) -> str:
        return body.problem_source(level, name)

    from kernelwright.skills import skill_files

    def skill_reader(rel: str) -> Callable[[], str]:
        return lambda: skill_files()[rel]

    for rel, doc in (
        ("SKILL.md", "How to use kernelwright as a kernel test harness (the skill)"),
        ("references/verdict.md", "The verdict's fields and what each category asks of you"),
        (
            "references/triton-rules.md",
            "Triton hard rules: masks, other= values, dtypes, strides, autotune keys",
        ),
        ("references/cuda-rules.md", "CUDA C++ hard rules for load_inline candidates"),
    ):
        server.resource(f"kernelwright://skill/{rel}", name=rel, description=doc, mime_type="text/markdown")(
            skill_reader(rel)
        )

    def doc_reader(path: Path) -> Callable[[], str]:
        return lambda: path.read_text(encoding="utf-8")

    docs = body.docs_dir()
    if docs is not None:  # a checkout: the design, the threat model and every reason code
        for name in body.DOC_NAMES:
            if (docs / name).is_file():
                server.resource(f"kernelwright://docs/{name}", name=name, mime_type="text/markdown")(
                    doc_reader(docs / name)
                )

    @server.prompt(description="Write a kernel for a problem with kernelwright as the test harness")
    def write_kernel(problem: str) -> str:
        return (
            f"Write a fast, correct Triton kernel for the kernelwright problem {problem}.\n"
            f"1. Call problem_info(problem={problem!r}) and read the resource "
            "kernelwright://skill/references/triton-rules.md.\n"
            "2. Write a candidate file defining `class ModelNew(nn.Module)` with Model's constructor.\n"
            "3. Call guard, then verify. On a rejection read reasons[].message; call reproduce with the "
            "case it names. Fix and verify again until the verdict is accepted."
        )

    return server
