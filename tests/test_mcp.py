"""`kernelwright mcp`, end to end over stdio with the official MCP client, plus its tool functions.

One server session serves the client tests; a raw JSON-RPC session checks stdout and startup time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from kernelwright.errors import BadInput
from kernelwright.integrations import mcp_server

mcp = pytest.importorskip("mcp")
from mcp.client.session import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SERVER = [sys.executable, "-c", "from kernelwright.cli import main; main()", "mcp"]
FAST_SERVER = [
    sys.executable,
    "-m",
    "kernelwright.integrations.mcp_server",
]  # what `skills install` registers
WRONG_SOURCE = (ROOT / "examples" / "relu_wrong.py").read_text()
NOISY_PROBLEM = '''"""Noisy: prints on import, to prove nothing reaches the protocol stream."""
import torch
from torch import nn

print("NOISE FROM THE PROBLEM FILE")


class Model(nn.Module):
    def __init__(self, n: int) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.ones(n))

    def forward(self, x):
        return torch.relu(x) * self.w


def get_init_inputs():
    return [64]


def get_inputs():
    return [torch.randn(100000, 64)]


def get_fuzz_inputs(seed):
    return [torch.randn(seed + 1, 64)]
'''


def _field(result: Any, snake: str, camel: str) -> Any:
    """mcp >= 2 names result fields in snake_case, 1.x in camelCase."""
    return getattr(result, snake) if hasattr(result, snake) else getattr(result, camel)


def _body(result: Any) -> dict:
    structured = _field(result, "structured_content", "structuredContent")
    return structured if structured else json.loads(result.content[0].text)


async def _session_calls(home: Path) -> dict[str, Any]:
    params = StdioServerParameters(
        command=SERVER[0], args=SERVER[1:], cwd=str(ROOT), env={"KERNELWRIGHT_HOME": str(home)}
    )
    out: dict[str, Any] = {"progress": []}

    async def progress(value: float, total: float | None, message: str | None) -> None:
        out["progress"].append((value, message))

    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        out["tools"] = {t.name: t for t in (await session.list_tools()).tools}
        out["resources"] = [str(r.uri) for r in (await session.list_resources()).resources]
        out["relu_source"] = await session.read_resource("kernelwright://problems/level1/relu")
        out["rules"] = await session.read_resource("kernelwright://skill/references/triton-rules.md")
        out["correct"] = await session.call_tool(
            "verify",
            {
                "problem": "src/kernelwright/problems/level1/relu.py",
                "candidate": "examples/relu_correct.py",
                "fuzz": 4,
                "seeds": 1,
            },
            progress_callback=progress,
        )
        out["wrong"] = await session.call_tool(
            "verify",
            {
                "problem": "level1/relu",
                "candidate": 'print("NOISE FROM THE CANDIDATE")\n' + WRONG_SOURCE,
                "fuzz": 4,
                "seeds": 1,
                "record": False,
            },
        )
        out["missing"] = await session.call_tool(
            "verify", {"problem": "no/such/problem.py", "candidate": "examples/relu_correct.py"}
        )
        out["no_problem"] = await session.call_tool("verify", {"candidate": "examples/relu_correct.py"})
        out["suite"] = await session.call_tool("list_suite", {})
        out["guard"] = await session.call_tool("guard", {"candidate": "examples/relu_correct.py"})
        out["profile"] = await session.call_tool(
            "profile", {"problem": "level1/relu", "candidate": "examples/relu_correct.py"}
        )
    return out


@pytest.fixture(scope="module")
def session_calls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return anyio.run(_session_calls, tmp_path_factory.mktemp("mcp-home"))


def test_tools_have_typed_described_schemas(session_calls: dict[str, Any]) -> None:
    tools = session_calls["tools"]
    assert {
        "verify",
        "bench",
        "guard",
        "reproduce",
        "profile",
        "problem_info",
        "list_suite",
        "knowledge_search",
    } <= set(tools)
    verify = tools["verify"]
    schema = _field(verify, "input_schema", "inputSchema")
    assert schema["required"] == ["problem", "candidate"]
    assert all(p.get("description") for p in schema["properties"].values())
    assert schema["properties"]["fuzz"]["anyOf"][0]["maximum"] == 64
    out = _field(verify, "output_schema", "outputSchema")
    assert out is not None and "verdict" in out["required"]
    assert "wrong-output" in out["properties"]["category"]["description"]
    assert _field(tools["reproduce"], "input_schema", "inputSchema")["properties"]["case"]["pattern"]


def test_problems_and_docs_are_resources(session_calls: dict[str, Any]) -> None:
    assert "kernelwright://skill/SKILL.md" in session_calls["resources"]
    assert "kernelwright://skill/references/triton-rules.md" in session_calls["resources"]
    assert "class Model" in session_calls["relu_source"].contents[0].text
    assert "other=" in session_calls["rules"].contents[0].text


def test_verify_accepts_the_correct_relu_and_reports_progress(session_calls: dict[str, Any]) -> None:
    result = session_calls["correct"]
    assert not _field(result, "is_error", "isError")
    body = _body(result)
    assert body["schema"] == "kernelwright.verdict/1"
    assert (body["verdict"], body["category"]) == ("accepted", None)
    assert body["candidate"] == "examples/relu_correct.py" and body["problem"] == "level1/relu"
    assert body.get("record_id")  # stored and signed, like `kernelwright verify`
    progress = session_calls["progress"]
    assert len(progress) >= 3 and progress[0][1] == "judging: started"
    assert [v for v, _ in progress] == sorted(v for v, _ in progress)  # it only moves forward
    assert progress[-1][1].startswith("judging: done")


def test_verify_rejects_a_wrong_kernel_given_as_source_text(session_calls: dict[str, Any]) -> None:
    body = _body(session_calls["wrong"])
    assert (body["verdict"], body["category"]) == ("rejected", "wrong-output")
    assert body["candidate"] == "<candidate source>"
    assert any(r["code"].startswith("KW-O") for r in body["reasons"])
    assert "record_id" not in body or body["record_id"] is None


def test_bad_input_is_a_tool_error_with_the_message(session_calls: dict[str, Any]) -> None:
    result = session_calls["missing"]
    assert _field(result, "is_error", "isError")
    assert "problem not found: no/such/problem.py" in result.content[0].text
    missing = session_calls["no_problem"]
    assert _field(missing, "is_error", "isError") and "problem" in missing.content[0].text


def test_list_suite_lists_the_bundled_problems(session_calls: dict[str, Any]) -> None:
    ids = [p["id"] for p in _body(session_calls["suite"])["problems"]]
    assert "level1/relu" in ids and len(ids) >= 10


def test_guard_and_profile_tools(session_calls: dict[str, Any]) -> None:
    guard = _body(session_calls["guard"])
    assert guard["rejected"] is False and isinstance(guard["findings"], list)
    profile = _body(session_calls["profile"])
    assert profile["available"] is False and "needs an NVIDIA GPU" in profile["message"]


def test_initialize_is_answered_quickly(tmp_path: Path) -> None:
    """The module entry answers `initialize` in under 3 s on this machine (nothing heavy is imported).

    On a machine loaded by other work, importing the MCP SDK alone can take longer than that; the
    bound is then the SDK's own import time plus 1 s, which is what kernelwright may add.
    """
    env = {**os.environ, "KERNELWRIGHT_HOME": str(tmp_path)}
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", "import mcp.server.mcpserver"], check=True, env=env)
    sdk = time.monotonic() - started
    started = time.monotonic()
    proc = subprocess.Popen(
        FAST_SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        _rpc(proc, INITIALIZE)
        assert "result" in _reply(proc, 1)
        elapsed = time.monotonic() - started
    finally:
        _close(proc)
    assert elapsed < max(3.0, sdk + 1.0), (
        f"initialize took {elapsed:.1f} s (the SDK import alone {sdk:.1f} s)"
    )


def _rpc(proc: subprocess.Popen, msg: dict) -> None:
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(msg) + "\n")
    proc.stdin.flush()


def _reply(proc: subprocess.Popen, want_id: int) -> dict:
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        assert line, "the server closed stdout"
        msg = json.loads(line)  # every stdout line must be a protocol message
        assert msg.get("jsonrpc") == "2.0", line
        if msg.get("id") == want_id:
            return msg


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "0"},
    },
}


def _close(proc: subprocess.Popen) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:  # pragma: no cover
        proc.kill()
        proc.wait()


def test_stdout_carries_protocol_messages_only(tmp_path: Path) -> None:
    """Raw JSON-RPC: a problem that prints, described by problem_info, leaves stdout clean."""
    env = {**os.environ, "KERNELWRIGHT_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        SERVER,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        _rpc(proc, INITIALIZE)
        assert "result" in _reply(proc, 1)
        _rpc(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        _rpc(
            proc,
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "problem_info", "arguments": {"problem": NOISY_PROBLEM, "fuzz": 3}},
            },
        )
        reply = _reply(proc, 2)["result"]
        info = reply.get("structuredContent") or json.loads(reply["content"][0]["text"])
        assert info["inputs"] == [
            {"kind": "tensor", "shape": [100000, 64], "dtype": "float32", "family": "float"}
        ]
        assert [case[0]["shape"] for case in info["fuzz_cases"]] == [[1, 64], [2, 64], [3, 64]]
        assert info["outputs"][0]["shape"] == [100000, 64]
        assert info["parameters"] == [{"name": "w", "shape": [64], "dtype": "float32"}]
        assert info["tolerance"] == {"float32": {"atol": 1e-4, "rtol": 1e-4}}
        assert info["hardware"]["device"] in ("CPU interpreter",) or info["hardware"]["sms"] > 0
    finally:
        _close(proc)


# ---------------------------------------------------------------------------- tool functions, in process
def test_problem_and_candidate_are_paths_ids_or_source() -> None:
    with pytest.raises(BadInput, match="problem is empty"):
        mcp_server.run_verify("", "examples/relu_correct.py")
    with pytest.raises(BadInput, match="candidate file not found"):
        mcp_server.run_verify("level1/relu", str(ROOT / "no_such_candidate.py"))
    with pytest.raises(BadInput, match="bad judge setting"):
        mcp_server.run_verify("level1/relu", "examples/relu_correct.py", seeds=0, fuzz=0)


def test_problem_info_reports_a_broken_problem(tmp_path: Path) -> None:
    bad = tmp_path / "broken.py"
    bad.write_text(NOISY_PROBLEM.replace("return [torch.randn(100000, 64)]", "raise RuntimeError('boom')"))
    with pytest.raises(BadInput, match="boom"):
        mcp_server.run_problem_info(str(bad))


def test_knowledge_search_needs_a_query_and_degrades_to_empty() -> None:
    with pytest.raises(BadInput, match="give problem or text"):
        mcp_server.run_knowledge_search()
    found = mcp_server.run_knowledge_search(text="relu")
    assert found["available"] is True and found["matches"] == []  # a fresh store (isolated home)


def test_bench_says_timing_is_unavailable_without_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = {"verdict": "accepted", "category": None, "timing": None}
    monkeypatch.setattr(mcp_server, "run_verify", lambda **_: dict(fake))
    monkeypatch.setattr("kernelwright.environment.cuda_available", lambda: False)
    body = mcp_server.run_bench(problem="level1/relu", candidate="x.py")
    assert body["bench"] == {"available": False, "message": mcp_server.NO_TIMING}
    assert body["verdict"] == "accepted"


def test_guard_tool_reports_a_hard_finding() -> None:
    cheat = "import torch\nimport subprocess\nsubprocess.run(['sh'])\nclass ModelNew(torch.nn.Module):\n    pass\n"
    found = mcp_server.run_guard(cheat)
    assert found["rejected"] is True and any(f["severity"] == "hard" for f in found["findings"])


def test_problem_resource_refuses_paths_outside_the_bundle() -> None:
    assert "class Model" in mcp_server.problem_source("level1", "relu")
    with pytest.raises(BadInput, match="no bundled problem"):
        mcp_server.problem_source("..", "pyproject")
