"""A model server that cannot be reached is one line and exit 2 before any judging (issue #18)."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from kernelwright.agent.providers.preflight import check_reachable
from kernelwright.errors import BadInput
from kernelwright.problem import bundled_dir


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    return port


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):  # fmt: skip
        monkeypatch.delenv(var, raising=False)


def test_refused_unresolvable_and_listening() -> None:
    port = _closed_port()
    with pytest.raises(BadInput, match="connection refused on port"):
        check_reachable("openai", f"http://127.0.0.1:{port}/v1")
    with pytest.raises(BadInput, match="does not resolve"):
        check_reachable("anthropic", "https://model-server.invalid")
    with pytest.raises(BadInput, match="names no host"):
        check_reachable("openai", "http:///v1")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        check_reachable("openai", f"http://127.0.0.1:{server.getsockname()[1]}/v1")  # reachable: silent
    check_reachable("replay", None)  # offline providers have nothing to reach


def test_the_proxy_is_what_gets_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    port = _closed_port()
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
        with pytest.raises(BadInput, match="through the proxy"):  # the SDK would go through it too
            check_reachable("openai", f"https://127.0.0.1:{server.getsockname()[1]}/v1")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        check_reachable("openai", f"https://127.0.0.1:{server.getsockname()[1]}/v1")


def test_optimize_against_a_closed_port_exits_2_before_judging(tmp_path: object) -> None:
    port = _closed_port()
    relu = bundled_dir() / "level1" / "relu.py"
    out = subprocess.run(
        [sys.executable, "-m", "kernelwright", "optimize", str(relu), "--provider", "openai", "--model", "m",
         "--base-url", f"http://127.0.0.1:{port}/v1", "--no-store"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "connection refused" in lines[0], out.stderr
    assert out.stdout == ""  # no round, no table: nothing was judged


def test_an_unknown_provider_is_named_as_such() -> None:
    relu = bundled_dir() / "level1" / "relu.py"
    out = subprocess.run(
        [sys.executable, "-m", "kernelwright", "optimize", str(relu), "--provider", "bogus"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 2 and "unknown provider 'bogus'" in out.stderr, out.stderr
