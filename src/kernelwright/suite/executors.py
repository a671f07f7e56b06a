"""Where judgements run: the local thread pool (default) or a Ray cluster.

``make_judge_fn(name, address)`` returns a ``Judge`` -- ``(Item, JudgeConfig) -> Verdict`` -- that
``kernelwright.suite.runner.run_items`` and the agent loop's judging pool call from their worker threads.
Every executor calls the same ``kernelwright.judge.judge``, so a verdict does not depend on where it
was produced, only on the machine it ran on (recorded in ``verdict.environment``).
"""

from __future__ import annotations

from kernelwright.errors import BadInput
from kernelwright.suite.executor_base import ExecutorError
from kernelwright.suite.runner import Judge, local_judge

EXECUTORS = ("local", "ray")

__all__ = ["EXECUTORS", "ExecutorError", "make_judge_fn"]


def make_judge_fn(name: str, address: str | None = None, **options: object) -> Judge:
    """The judge function for executor ``name``; ``address`` is the Ray cluster (None: start a local one).

    Ray is imported only here, so the local path never pays for it; ``options`` go to ``RayJudge``
    (``num_cpus``, ``max_retries``).
    """
    if name == "local":
        if address:
            raise BadInput("--ray-address only applies to --executor ray")
        return local_judge
    if name == "ray":
        from kernelwright.suite.ray_executor import RayJudge

        return RayJudge(address, **options)  # type: ignore[arg-type]
    raise BadInput(f"unknown executor {name!r} (available: {', '.join(EXECUTORS)})")
