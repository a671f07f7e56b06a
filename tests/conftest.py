from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _cuda() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:  # pragma: no cover
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _cuda():
        return
    skip = pytest.mark.skip(reason="needs an NVIDIA GPU (cuda marker)")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _lazy_judge_names() -> None:
    """`kernelwright.judge.judge` is a lazy module attribute (its `__getattr__` reads
    `pipeline.judge` on every use). A test that monkeypatches it leaves a concrete copy of the real
    judge behind when monkeypatch restores it, and every later test in that worker that patches
    `pipeline.judge` would then judge for real (seen in CI: the demo test ran the real judge).
    Drop such copies before each test."""
    import sys

    module = sys.modules.get("kernelwright.judge")
    if module is not None:
        for name in ("judge", "read_candidate", "candidate_language"):
            module.__dict__.pop(name, None)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys, stores and caches of a test never touch the user's own directories."""
    if "KERNELWRIGHT_HOME" not in os.environ or os.environ.get("KERNELWRIGHT_TEST_SHARED_HOME") != "1":
        monkeypatch.setenv("KERNELWRIGHT_HOME", str(tmp_path_factory.mktemp("kwhome")))
