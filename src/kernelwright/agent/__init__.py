"""The agent loop: an LLM writes kernels, the judge rules on every candidate, the search keeps the best.

Stages, one module each: `providers` (transport, retries, record/replay), `prompting` (jinja2 templates
in `kernelwright/prompts/`), `parsing` (the candidate file out of a reply), `search` (strategies and
stop conditions), `budget`, `taxonomy` (why candidates fail), `loop` (one session), `suite_run`.
"""

from __future__ import annotations

from kernelwright.agent.config import AgentConfig, build_agent_config
from kernelwright.agent.loop import Session, SessionResult
from kernelwright.agent.parsing import ParseResult, extract_candidate
from kernelwright.agent.search import SearchState, Stop, Strategy

__all__ = [
    "AgentConfig",
    "ParseResult",
    "SearchState",
    "Session",
    "SessionResult",
    "Stop",
    "Strategy",
    "build_agent_config",
    "extract_candidate",
]
