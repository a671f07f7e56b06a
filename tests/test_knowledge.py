"""Operator signatures (traced in a subprocess), retrieval by similarity, re-verification, lessons."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_store_support import KERNEL_SOURCE, PROBLEM_SOURCE, env, make_verdict

from kernelwright.knowledge import (
    KnowledgeBase,
    TraceError,
    families_of,
    tfidf_cosines,
    trace_many,
    trace_problem,
    weighted_jaccard,
)
from kernelwright.knowledge import base as kb_base
from kernelwright.store import Store
from kernelwright.verdict import Verdict, sha256_text

HEADER = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"

PROBLEMS = {
    "softmax": PROBLEM_SOURCE,
    # same operator, written differently, other shape, fuzz inputs present
    "softmax_variant": HEADER
    + '''
class Model(nn.Module):
    """Row-wise softmax over the last dimension of a 3-D activation."""

    def __init__(self):
        super().__init__()

    def forward(self, activations):
        return F.softmax(activations, dim=-1)


def get_inputs():
    return [torch.randn(8, 512, 4096)]


def get_fuzz_inputs(seed):
    return [torch.randn(3, 5, 17)]


def get_init_inputs():
    return []
''',
    "layernorm": HEADER
    + """
class Model(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.ln = nn.LayerNorm(n)

    def forward(self, x):
        return self.ln(x)


def get_inputs():
    return [torch.randn(16, 64, 1024)]


def get_init_inputs():
    return [1024]
""",
    "linear_relu": HEADER
    + """
class Model(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.fc = nn.Linear(i, o)

    def forward(self, x):
        return torch.relu(self.fc(x))


def get_inputs():
    return [torch.randn(128, 512)]


def get_init_inputs():
    return [512, 256]
""",
    "attention": HEADER
    + """
class Model(nn.Module):
    def forward(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def get_inputs():
    return [torch.randn(2, 8, 128, 64) for _ in range(3)]


def get_init_inputs():
    return []
""",
    # data-dependent (.item()) and CUDA-only inputs: meta tracing fails, the CPU fallback works
    "scan_item": HEADER
    + """
class Model(nn.Module):
    def forward(self, x):
        return torch.cumsum(x, 1) * x.sum().item()


def get_inputs():
    return [torch.randn(4, 5, device="cuda")]


def get_init_inputs():
    return []
""",
    "gelu": HEADER
    + """
class Model(nn.Module):
    def forward(self, x):
        return F.gelu(x) * 2.0


def get_inputs():
    return [torch.randn(1024).cuda()]


def get_init_inputs():
    return []
""",
}


@pytest.fixture(scope="module")
def problem_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("problems")
    for name, src in PROBLEMS.items():
        (d / f"{name}.py").write_text(src)
    return d


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KERNELWRIGHT_HOME", str(tmp_path / "home"))
    s = Store.open(f"sqlite:///{tmp_path / 'kb.db'}")
    yield s
    s.close()


@pytest.fixture(scope="module")
def traced(problem_dir: Path) -> dict:
    """All example problems traced by one batch subprocess."""
    return trace_many([problem_dir / f"{name}.py" for name in PROBLEMS], timeout=120)


@pytest.mark.parametrize(
    ("name", "family", "op"),
    [
        ("softmax", "softmax", "aten._softmax"),
        ("softmax_variant", "softmax", "aten._softmax"),
        ("layernorm", "norm", "aten.native_layer_norm"),
        ("linear_relu", "matmul", "aten.addmm"),
        ("attention", "attention", "aten.bmm"),
        ("scan_item", "scan", "aten.cumsum"),
        ("gelu", "elementwise", "aten.gelu"),
    ],
)
def test_trace_gives_ops_and_family(traced: dict, problem_dir: Path, name: str, family: str, op: str) -> None:
    sig = traced[str(problem_dir / f"{name}.py")]
    assert sig.family == family and op in sig.ops
    assert "aten.view" not in sig.ops and "aten.t" not in sig.ops  # shape-only ops are not signature
    assert sig.mode == ("real" if name == "scan_item" else "meta")


def test_trace_failures_are_trace_errors(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("import torch\nraise SystemExit(3)\n")
    with pytest.raises(TraceError):
        trace_problem(tmp_path / "broken.py")
    (tmp_path / "nomodel.py").write_text("x = 1\n")
    with pytest.raises(TraceError, match="no Model"):
        trace_problem(tmp_path / "nomodel.py")
    (tmp_path / "hang.py").write_text("import time\ntime.sleep(600)\n")
    with pytest.raises(TraceError, match="timed out"):
        trace_problem(tmp_path / "hang.py", timeout=3)


def test_batch_survives_hanging_dying_and_noisy_files(tmp_path: Path) -> None:
    """One bad file fails alone; the files after it are still traced (by a fresh child)."""
    files = {}
    for name, src in {
        "noisy": 'print(\'{"path": "x"}\')\n' + PROBLEMS["gelu"],  # user prints go to stderr
        "hang": "import time\ntime.sleep(600)\n",
        "softmax": PROBLEMS["softmax"],
        "dies": "import os\nos._exit(9)\n",
        "sysexit": "raise SystemExit(0)\n",
        "layernorm": PROBLEMS["layernorm"],
    }.items():
        files[name] = tmp_path / f"{name}.py"
        files[name].write_text(src)
    got = trace_many(list(files.values()), timeout=10)
    assert got[str(files["noisy"])].family == "elementwise"
    assert "timed out" in str(got[str(files["hang"])])
    assert got[str(files["softmax"])].family == "softmax"
    assert "died" in str(got[str(files["dies"])])
    assert isinstance(got[str(files["sysexit"])], TraceError)
    assert got[str(files["layernorm"])].family == "norm"


def test_similarity_helpers() -> None:
    assert weighted_jaccard({"a": 2, "b": 1}, {"a": 1, "b": 1}) == pytest.approx(2 / 3)
    assert weighted_jaccard({}, {}) == 0.0
    cos = tfidf_cosines("softmax over rows", ["row softmax kernel", "matrix multiply", "softmax over rows"])
    assert cos[2] == pytest.approx(1.0) and cos[0] > cos[1]
    assert families_of(["aten.bmm", "aten._softmax"])[0] == "attention"
    assert families_of(["aten.add", "aten.mul"]) == ["elementwise"]
    assert families_of([]) == []


def _add(store: Store, name: str, kernel: str = KERNEL_SOURCE, **kw) -> str:
    v = make_verdict(kernel, problem=f"/elsewhere/{name}.py", **kw)
    return store.record_verdict(v, problem_source=PROBLEMS[name], candidate_source=kernel).record_id


def test_retrieve_ranks_by_operator_and_text(store: Store, problem_dir: Path) -> None:
    soft = _add(store, "softmax")
    _add(store, "layernorm", kernel=KERNEL_SOURCE + "# ln\n")
    _add(store, "linear_relu", kernel=KERNEL_SOURCE + "# mm\n")
    _add(store, "attention", kernel=KERNEL_SOURCE + "# bad\n", verdict="rejected")  # never retrieved
    kb = KnowledgeBase(store)
    entries = kb.retrieve(str(problem_dir / "softmax_variant.py"), k=3)
    assert [e.record_id for e in entries][0] == soft
    assert len(entries) == 3 and all(e.problem != "/elsewhere/attention.py" for e in entries)
    top = entries[0]
    assert top.op_family == "softmax" and top.kernel_source == KERNEL_SOURCE and top.language == "triton"
    assert top.speedup_vs_eager == 2.0 and top.speedup_vs_compiled == 1.5 and top.environment is not None
    assert top.score > entries[1].score and not top.needs_reverify
    assert len(kb.retrieve(str(problem_dir / "softmax_variant.py"), k=1)) == 1
    # the signatures of stored problems are cached in the database: no tracing the second time
    assert store.problem_signature(sha256_text(PROBLEMS["softmax"]))[1] == "softmax"


def test_retrieve_uses_cached_signatures(
    store: Store, problem_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add(store, "softmax")
    KnowledgeBase(store).retrieve(str(problem_dir / "softmax.py"), k=1)

    def boom(*a, **k):
        raise AssertionError("traced again")

    monkeypatch.setattr(kb_base, "trace_many", boom)
    entries = KnowledgeBase(store).retrieve(str(problem_dir / "softmax.py"), k=1)
    assert entries[0].score == 1.0  # the very same problem


def test_environment_mismatch_needs_reverify(store: Store, problem_dir: Path) -> None:
    _add(store, "softmax")  # verified on an H100 with triton 3.6
    here = env(triton="3.7.0")
    kb = KnowledgeBase(store)
    entry = kb.retrieve(str(problem_dir / "softmax_variant.py"), k=1, environment=here)[0]
    assert entry.needs_reverify
    assert not kb.retrieve(str(problem_dir / "softmax_variant.py"), k=1, environment=env())[0].needs_reverify

    calls: list[tuple[str, str]] = []

    def reject(problem: str, kernel: str) -> Verdict:
        calls.append((problem, Path(problem).read_text()))
        return make_verdict(kernel, verdict="rejected", environment=here)

    assert all(
        e.problem != "/elsewhere/softmax.py"
        for e in kb.retrieve(str(problem_dir / "softmax_variant.py"), k=1, environment=here, reverify=reject)
    )
    # the entry's own problem (stored source, its original path does not exist here) was judged
    assert calls and calls[0][1] == PROBLEMS["softmax"]

    def accept(problem: str, kernel: str) -> Verdict:
        return make_verdict(kernel, timing=(1.0, 3.0, 2.5), environment=here)

    got = kb.retrieve(str(problem_dir / "softmax_variant.py"), k=1, environment=here, reverify=accept)[0]
    assert got.reverified and not got.needs_reverify and got.speedup_vs_eager == 3.0 and got.speedup == 2.5
    assert got.environment is not None and got.environment.triton == "3.7.0"


def test_untraceable_query_falls_back_to_text(store: Store, tmp_path: Path) -> None:
    _add(store, "softmax")
    q = tmp_path / "weird.py"
    q.write_text("raise RuntimeError('softmax dim Model forward')\n")
    entries = KnowledgeBase(store).retrieve(str(q), k=2)
    assert len(entries) == 1 and entries[0].score > 0


def test_lessons_via_kb(store: Store) -> None:
    kb = KnowledgeBase(store)
    kb.add_lesson("softmax", "avoid", "two passes over HBM", source="run-1")
    kb.add_lesson("norm", "try", "welford in registers")
    got = kb.lessons(["softmax"])
    assert len(got) == 1 and got[0].kind == "avoid" and got[0].source == "run-1"
    assert {x.op_family for x in kb.lessons(["softmax", "norm"])} == {"softmax", "norm"}


def test_same_problem_exclusion_and_minimum_score(store: Store, problem_dir: Path) -> None:
    """An optimisation run must not be handed its own problem's accepted kernel, nor a problem that
    shares only boilerplate with it."""
    from kernelwright.agent.config import AgentConfig
    from kernelwright.knowledge import DEFAULT_MIN_SCORE

    soft = _add(store, "softmax")
    _add(store, "linear_relu", kernel=KERNEL_SOURCE + "# mm\n")
    kb = KnowledgeBase(store)
    query = str(problem_dir / "softmax.py")
    everything = kb.retrieve(query, k=3)
    assert everything[0].record_id == soft and everything[0].score == 1.0
    others = kb.retrieve(query, k=3, exclude_same_problem=True)
    assert soft not in [e.record_id for e in others] and others
    assert kb.retrieve(query, k=3, exclude_same_problem=True, min_score=0.99) == []
    kept = kb.retrieve(query, k=3, min_score=DEFAULT_MIN_SCORE)
    assert all(e.score >= DEFAULT_MIN_SCORE for e in kept)
    assert AgentConfig(model="m").knowledge_min_score == DEFAULT_MIN_SCORE  # one default, two places
