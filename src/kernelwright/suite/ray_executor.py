"""The Ray executor: one Ray task per judgement, on as many GPUs and machines as the cluster has.

Each task asks for one GPU when the cluster has any (Ray then sets ``CUDA_VISIBLE_DEVICES`` to the
task's card, which the judge's sandbox passes on) and one CPU otherwise (Triton interpreter). The task
runs :func:`kernelwright.suite.executor_base.judge_payload` -- the same ``judge()`` as the local pool -- and
returns the verdict as a JSON dict, validated back into a ``Verdict`` here in the driver.

A worker or node that dies is retried by Ray (``max_retries``); when the retries run out the
judgement becomes an ``ExecutorError``, which ``run_items`` reports as an error row. Nothing is
silently lost.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from kernelwright.errors import BadInput
from kernelwright.judge import JudgeConfig
from kernelwright.settings import force_cpu
from kernelwright.suite.executor_base import ExecutorError, judge_payload, make_payload, raise_judge_error
from kernelwright.suite.runner import Item
from kernelwright.verdict import Verdict

DEFAULT_RETRIES = 2


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise BadInput("--executor ray needs Ray on this machine: pip install 'ray[default]'") from exc
    return ray


class RayJudge:
    """A ``Judge`` backed by Ray; thread-safe, so ``run_items`` may call it from many threads.

    ``address`` is passed to ``ray.init`` (``"auto"``, ``"ray://head:10001"``, ``"head:6379"``); None
    starts a private local cluster with ``num_cpus`` CPUs, shut down by :meth:`close` or at exit. When
    Ray is already initialised in this process (a test, the agent loop) that runtime is reused and left
    running. ``task`` is the worker-side function; tests swap it to inject worker deaths.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        num_cpus: int | None = None,
        max_retries: int = DEFAULT_RETRIES,
        task: Callable[[dict[str, Any]], dict[str, Any]] = judge_payload,
        per_gpu: int = 1,
    ) -> None:
        ray = _ray()
        self.max_retries = max_retries
        # Judgements packed onto one GPU: their correctness work shares it, their timing queues for
        # it (judge/gpu_lock.py, a lock per GPU of the node, which Ray names in CUDA_VISIBLE_DEVICES).
        self.per_gpu = max(1, per_gpu)
        self._owns_runtime = False
        self._lock = threading.Lock()
        if not ray.is_initialized():
            self._init(ray, address, num_cpus)
        self.gpus = int(ray.cluster_resources().get("GPU", 0))
        self.cpus = int(ray.cluster_resources().get("CPU", 0))
        self._remote = ray.remote(task)

    def _init(self, ray: Any, address: str | None, num_cpus: int | None) -> None:
        common: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING}
        try:
            if address:
                ray.init(address=address, **common)
            else:
                ray.init(num_cpus=num_cpus or os.cpu_count() or 1, include_dashboard=False, **common)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            where = address or "a local cluster"
            raise BadInput(
                f"cannot start Ray on {where}: {str(exc).splitlines()[0] if str(exc) else exc}"
            ) from exc
        self._owns_runtime = True
        atexit.register(self.close)

    def resources(self, config: JudgeConfig) -> dict[str, float]:
        """A GPU (or 1/per_gpu of one) per judgement when the job may use CUDA and the cluster has GPUs,
        else one CPU."""
        wants_gpu = config.device == "cuda" or (config.device == "auto" and not force_cpu())
        if wants_gpu and self.gpus > 0:
            return {"num_gpus": 1 / self.per_gpu}
        if config.device == "cuda":
            raise BadInput("--device cuda, but the Ray cluster has no GPU resources (see docs/SCALING.md)")
        return {"num_cpus": 1}

    @property
    def parallelism(self) -> int:
        """Judgements the cluster can run at once: how many the driver keeps in flight by default."""
        return max(1, self.gpus * self.per_gpu if self.gpus > 0 and not force_cpu() else self.cpus)

    def __call__(self, item: Item, config: JudgeConfig) -> Verdict:
        ray = _ray()
        payload = make_payload(item, config)
        ref = self._remote.options(
            **self.resources(config), max_retries=self.max_retries, retry_exceptions=False
        ).remote(payload)
        try:
            result = ray.get(ref)
        except ray.exceptions.RayTaskError as exc:  # a bug raised in the task itself: not retried
            cause = getattr(exc, "cause", None) or exc
            detail = f"{type(cause).__name__}: {cause}".splitlines()[0][:300]
            raise ExecutorError(f"ray: judging {item.key} raised in the worker: {detail}") from exc
        except ray.exceptions.RayError as exc:  # worker or node died, object lost: retried, then reported
            raise ExecutorError(self._describe(item, exc)) from exc
        if "error" in result:
            raise_judge_error(result)
        return Verdict.model_validate(result["verdict"])

    def _describe(self, item: Item, exc: BaseException) -> str:
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        what = type(exc).__name__
        detail = lines[-1] if lines else ""
        return (
            f"ray: judging {item.key} was lost ({what}) after {self.max_retries} "
            f"retr{'y' if self.max_retries == 1 else 'ies'}: {detail}"[:400]
        )

    def close(self) -> None:
        """Shut down the local cluster this judge started, or disconnect from the remote one it joined.

        A no-op for a runtime that was already initialised when the judge was made.
        """
        with self._lock:
            if not self._owns_runtime:
                return
            self._owns_runtime = False
        ray = _ray()
        if ray.is_initialized():
            ray.shutdown()
