"""`kernelwright mcp`, end to end over stdio with the official MCP client, plus its tool functions.

One server session serves the client tests (starting one costs a few seconds: torch imports).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
    out: dict[str, Any] = {}
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        out["tools"] = [t.name for t in (await session.list_tools()).tools]
        out["correct"] = await session.call_tool(
            "verify",
            {
                "problem_path": "src/kernelwright/problems/level1/relu.py",
                "candidate_path": "examples/relu_correct.py",
                "fuzz": 4,
                "seeds": 1,
            },
        )
        out["wrong"] = await session.call_tool(
            "verify",
            {
                "problem_path": "level1/relu",
                "candidate_source": 'print("NOISE FROM THE CANDIDATE")\n' + WRONG_SOURCE,
                "fuzz": 4,
                "seeds": 1,
                "record": False,
            },
        )
        out["missing"] = await session.call_tool(
            "verify", {"problem_path": "no/such/problem.py", "candidate_path": "examples/relu_correct.py"}
        )
        out["suite"] = await session.call_tool("list_suite", {})
    return out


@pytest.fixture(scope="module")
def session_calls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return anyio.run(_session_calls, tmp_path_factory.mktemp("mcp-home"))


def test_tools_are_listed(session_calls: dict[str, Any]) -> None:
    assert {"verify", "bench", "problem_info", "list_suite", "knowledge_search"} <= set(
        session_calls["tools"]
    )


def test_verify_accepts_the_correct_relu(session_calls: dict[str, Any]) -> None:
    result = session_calls["correct"]
    assert not _field(result, "is_error", "isError")
    body = _body(result)
    assert body["schema"] == "kernelwright.verdict/1"
    assert (body["verdict"], body["category"]) == ("accepted", None)
    assert body["candidate"] == "examples/relu_correct.py" and body["problem"] == "level1/relu"
    assert body.get("record_id")  # stored and signed, like `kernelwright verify`


def test_verify_rejects_a_wrong_kernel_given_as_source_text(session_calls: dict[str, Any]) -> None:
    body = _body(session_calls["wrong"])
    assert (body["verdict"], body["category"]) == ("rejected", "wrong-output")
    assert body["candidate"] == "<candidate_source>"
    assert any(r["code"].startswith("KW-O") for r in body["reasons"])
    assert "record_id" not in body


def test_bad_input_is_a_tool_error_with_the_message(session_calls: dict[str, Any]) -> None:
    result = session_calls["missing"]
    assert _field(result, "is_error", "isError")
    assert "problem not found: no/such/problem.py" in result.content[0].text


def test_list_suite_lists_the_bundled_problems(session_calls: dict[str, Any]) -> None:
    ids = [p["id"] for p in _body(session_calls["suite"])["problems"]]
    assert "level1/relu" in ids and len(ids) >= 10


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
        _rpc(
            proc,
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "test", "version": "0"},
                },
            },
        )
        assert "result" in _reply(proc, 1)
        _rpc(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        _rpc(
            proc,
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "problem_info", "arguments": {"problem_source": NOISY_PROBLEM, "fuzz": 3}},
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
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------------------- tool functions, in process
def test_exactly_one_problem_and_one_candidate_are_required() -> None:
    with pytest.raises(BadInput, match="exactly one of problem_path"):
        mcp_server.run_verify(None, None, "examples/relu_correct.py", None)
    with pytest.raises(BadInput, match="exactly one of candidate_path"):
        mcp_server.run_verify("level1/relu", None, "a.py", "print(1)")
    with pytest.raises(BadInput, match="candidate file not found"):
        mcp_server.run_verify("level1/relu", None, str(ROOT / "no_such_candidate.py"), None)


def test_problem_info_reports_a_broken_problem(tmp_path: Path) -> None:
    bad = tmp_path / "broken.py"
    bad.write_text(NOISY_PROBLEM.replace("return [torch.randn(100000, 64)]", "raise RuntimeError('boom')"))
    with pytest.raises(BadInput, match="boom"):
        mcp_server.run_problem_info(str(bad))


def test_knowledge_search_needs_a_query_and_degrades_to_empty() -> None:
    with pytest.raises(BadInput, match="give problem_path"):
        mcp_server.run_knowledge_search()
    found = mcp_server.run_knowledge_search(text="relu")
    assert found["available"] is True and found["matches"] == []  # a fresh store (isolated home)


def test_bench_says_timing_is_unavailable_without_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = {"verdict": "accepted", "category": None, "timing": None}
    monkeypatch.setattr(mcp_server, "run_verify", lambda **_: dict(fake))
    monkeypatch.setattr("kernelwright.environment.cuda_available", lambda: False)
    body = mcp_server.run_bench(problem_path="level1/relu", candidate_path="x.py")
    assert body["bench"] == {"available": False, "message": mcp_server.NO_TIMING}
    assert body["verdict"] == "accepted"
