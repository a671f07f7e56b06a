"""Shared fixtures for the store tests: a database URL per backend and verdict builders.

Other test modules do ``from test_store_support import db_url, ...``. PostgreSQL runs when
KERNELWRIGHT_TEST_PG_URL is set (``source .ci/postgres.sh``); without it the PG params skip locally and
FAIL on CI (env ``CI`` set), so CI can never pass by silently skipping the real server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kernelwright.verdict import Correctness, Environment, Reason, Timing, Verdict, sha256_text

PG_ENV = "KERNELWRIGHT_TEST_PG_URL"
SRC = str(Path(__file__).resolve().parent.parent / "src")

PROBLEM_SOURCE = """import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return torch.softmax(x, dim=self.dim)


def get_inputs():
    return [torch.randn(256, 1024)]


def get_init_inputs():
    return [1]
"""

KERNEL_SOURCE = """import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def softmax_kernel(x_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < n_cols
    x = tl.load(x_ptr + row * n_cols + offs, mask=mask, other=-float("inf"))
    x = x - tl.max(x, axis=0)
    e = tl.exp(x)
    tl.store(y_ptr + row * n_cols + offs, e / tl.sum(e, axis=0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        y = torch.empty_like(x)
        softmax_kernel[(x.shape[0],)](x, y, x.shape[1], BLOCK=triton.next_power_of_2(x.shape[1]))
        return y
"""

BAD_KERNEL_SOURCE = """import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, dim):
        super().__init__()

    def forward(self, x):
        return torch.zeros_like(x)
"""


def env(device: str = "NVIDIA H100 80GB HBM3", **kw: Any) -> Environment:
    base: dict[str, Any] = {
        "device": device,
        "interpreter": device == "cpu",
        "torch": "2.11.0",
        "triton": "3.6.0",
        "python": "3.11",
        "cuda": None if device == "cpu" else "12.8",
        "gpu_count": 0 if device == "cpu" else 1,
    }
    base.update(kw)
    return Environment(**base)


def make_verdict(
    candidate_source: str = KERNEL_SOURCE,
    *,
    problem: str = "problems/softmax.py",
    verdict: str = "accepted",
    timing: tuple[float, float, float] | None = (1.0, 2.0, 1.5),
    environment: Environment | None = None,
    candidate: str = "cand.py",
) -> Verdict:
    """A verdict as the judge would produce it. ``timing`` = (candidate_ms, eager_ms, compiled_ms)."""
    t = None
    if timing is not None:
        c, e, comp = timing
        t = Timing(
            candidate_ms=c,
            eager_ms=e,
            compiled_ms=comp,
            speedup_vs_eager=e / c,
            speedup_vs_compiled=comp / c,
            samples=100,
            spread=0.02,
        )
    reasons = (
        []
        if verdict == "accepted"
        else [
            Reason(
                code="KW-R001", category="wrong-output", message="output differs", evidence="max_abs_err=1.0"
            )
        ]
    )
    return Verdict(
        problem=problem,
        candidate=candidate,
        candidate_sha256=sha256_text(candidate_source),
        verdict=verdict,
        category=None if verdict == "accepted" else "wrong-output",
        reasons=reasons,
        correctness=Correctness(trials=5, fuzz_cases=8, max_abs_err=1e-6 if verdict == "accepted" else 1.0),
        timing=t if verdict == "accepted" else None,
        environment=environment or env(),
    )


def pg_base_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} is not set on CI: `source .ci/postgres.sh` before pytest")
        pytest.skip(f"{PG_ENV} not set (run `source .ci/postgres.sh`)")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, empty database: a temp SQLite file, or a private schema on the test PostgreSQL server."""
    monkeypatch.setenv("KERNELWRIGHT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KERNELWRIGHT_DB", raising=False)
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kw.db'}"
        return
    base = pg_base_url()
    schema = "kwtest_" + uuid.uuid4().hex[:12]
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield (
            make_url(base)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def child_env(home: Path) -> dict[str, str]:
    """Environment for a child Python process that imports kernelwright from this checkout."""
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join([SRC, *filter(None, [os.environ.get("PYTHONPATH")])])
    out["KERNELWRIGHT_HOME"] = str(home)
    return out


def test_make_verdict_round_trips() -> None:
    """The builder itself produces contract JSON (guards the other tests' inputs)."""
    v = make_verdict()
    assert Verdict.model_validate(v.to_json_dict()).to_json_dict() == v.to_json_dict()
    assert v.to_json_dict()["timing"]["speedup_vs_compiled"] == 1.5
