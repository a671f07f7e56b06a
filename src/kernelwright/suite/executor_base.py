"""What every remote executor shares: the self-contained job payload and its worker-side runner.

A job carries the problem and candidate *sources*, not paths, because a worker on another node does
not see the driver's files. The worker writes them into a private temporary folder under the same
file names and calls the very ``judge()`` the local pool calls, so verdicts are identical.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from kernelwright.errors import KernelwrightError
from kernelwright.judge import JudgeConfig, read_candidate
from kernelwright.settings import forwarded_settings
from kernelwright.suite.runner import Item


class ExecutorError(KernelwrightError):
    """A judgement was lost to the executor (dead worker or node), not decided by the judge.

    A ``KernelwrightError`` so that ``run_items`` reports it as an error row and the batch goes on.
    """


def make_payload(item: Item, config: JudgeConfig) -> dict[str, Any]:
    """Everything a worker anywhere needs to judge ``item``; raises BadInput for an unreadable candidate."""
    cand_path, source = read_candidate(item.candidate)
    return {
        "problem_source": item.problem.source,
        "problem_name": item.problem.path.name,
        "problem_id": item.problem.id,
        "problem_path": str(item.problem.path),
        "candidate_source": source,
        "candidate_name": cand_path.name,
        "candidate_path": str(cand_path),
        "config": config.model_dump(mode="json"),
        "env": forwarded_settings(),
    }


def judge_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Worker side: judge one payload; returns ``{"verdict": dict}`` or ``{"error": message, "error_type": name}``.

    Judge errors (an unusable problem) come back as data, not as exceptions: an exception would be
    indistinguishable from an executor failure, and those are retried.
    """
    from kernelwright.judge import judge
    from kernelwright.problem import load_problem

    os.environ.update(payload.get("env", {}))
    with tempfile.TemporaryDirectory(prefix="kw-remote-") as tmp:
        problem = Path(tmp) / "problem" / payload["problem_name"]
        candidate = Path(tmp) / "candidate" / payload["candidate_name"]
        try:
            for path, text in (
                (problem, payload["problem_source"]),
                (candidate, payload["candidate_source"]),
            ):
                path.parent.mkdir()
                path.write_text(text, encoding="utf-8")
            spec = load_problem(problem, payload["problem_id"])
            verdict = judge(spec, candidate, JudgeConfig.model_validate(payload["config"]))
        except KernelwrightError as exc:  # said with the driver's paths, as the local pool says it
            message = str(exc).replace(str(problem.resolve()), payload["problem_path"])
            return {
                "error": message.replace(str(candidate), payload["candidate_path"]),
                "error_type": type(exc).__name__,
            }
    body = verdict.to_json_dict()
    body["candidate"] = payload["candidate_path"]  # the driver's path, as the local pool reports it
    return {"verdict": body}


def raise_judge_error(result: dict[str, Any]) -> None:
    """Re-raise a worker's judge error in the driver as the same class the local pool raises."""
    from kernelwright import errors

    cls = getattr(errors, str(result.get("error_type")), None)
    if not (isinstance(cls, type) and issubclass(cls, KernelwrightError)):
        cls = KernelwrightError
    raise cls(result["error"])
