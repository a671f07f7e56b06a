"""Knowledge base for the agent's prompts: verified kernels of similar problems, and lessons.

``KnowledgeBase(store).retrieve(problem_path, k, environment, reverify)`` ranks accepted records by
operator signature (aten ops of the traced reference, :mod:`.trace`) and source similarity
(:mod:`.similarity`); ``add_lesson``/``lessons`` keep per-op-family advice, and
:func:`performance_lesson` says what made an accepted kernel faster than its parent. Tracing runs in a
subprocess: ``python -m kernelwright.knowledge trace PROBLEM [...]`` prints one JSON line per file.
"""

from __future__ import annotations

from kernelwright.knowledge.base import DEFAULT_MIN_SCORE, KnowledgeBase, KnowledgeEntry, Lesson, env_key
from kernelwright.knowledge.lessons import performance_lesson
from kernelwright.knowledge.similarity import tfidf_cosines, weighted_jaccard
from kernelwright.knowledge.trace import (
    UNKNOWN_FAMILY,
    OpSignature,
    TraceError,
    families_of,
    trace_many,
    trace_problem,
)

__all__ = [
    "DEFAULT_MIN_SCORE",
    "UNKNOWN_FAMILY",
    "KnowledgeBase",
    "KnowledgeEntry",
    "Lesson",
    "OpSignature",
    "TraceError",
    "env_key",
    "families_of",
    "performance_lesson",
    "tfidf_cosines",
    "trace_many",
    "trace_problem",
    "weighted_jaccard",
]
