"""Warm workers between judgements: pre-started candidate workers, per-problem reference workers.

Why (issue #14): a worker's start is an interpreter, torch and Triton and a jail; on a 2-core CPU that
is seconds of every verdict, twice. A pool pays it ahead of time (or once per problem):

- **Candidate workers are pre-started and used once.** A spare has imported torch and Triton and
  waits for its job; no candidate has run in it and none will after its own: it is closed (its uid's
  processes swept, its tmpfs gone) when its judgement ends, like a worker started on demand.
- **Reference workers are kept per problem.** One that ended its last judgement cleanly is reused
  for the next candidate of the *same* problem source, device, cache setting and compile mode: its
  problem is loaded, its torch.compile baseline built. It runs only problem code and never sees a
  candidate's code or tensors (THREATS #9, #23), so reusing it gives a candidate nothing to reach.

`judge()` takes the pool of `use_pool(...)` if one is active, else makes a one-shot pool that still
starts the candidate worker *while* the reference works. Suites, the agent loop and the MCP server
hold a pool for their lifetime. Everything here is thread-safe (suite jobs are threads).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kernelwright.judge.config import JudgeConfig
from kernelwright.judge.workers import (
    CANDIDATE_FILE,
    INPUT_INSIDE,
    PROBLEM_FILE,
    lock_reference_cache,
    private_dir,
    start_candidate,
    start_reference,
)
from kernelwright.sandbox.launch import Worker
from kernelwright.verdict import sha256_text
from kernelwright.worker.protocol import QuitCmd, post

CandidateKey = tuple[bool, int | None]  # (cuda, memory limit)
ReferenceKey = tuple[str, bool, bool, str | None, int | None]  # (problem sha, cuda, cache, mode, memory)


@dataclass(eq=False)
class CandidateSlot:
    """One candidate worker and the host directory it owns (`in/` is bound read-only inside)."""

    key: CandidateKey
    home: Path
    worker: Worker
    used: bool = False

    @classmethod
    def start(cls, key: CandidateKey) -> CandidateSlot:
        home = Path(tempfile.mkdtemp(prefix="kw-cand-"))
        try:
            return cls(key, home, start_candidate(home, key[0], key[1]))
        except BaseException:
            shutil.rmtree(home, ignore_errors=True)
            raise

    def load(self, problem_source: str, candidate_source: str) -> tuple[str, str, str]:
        """Write the job's files; (problem path, candidate path, private dir) as the worker sees them."""
        self.used = True
        inputs = self.home / "in"
        (inputs / PROBLEM_FILE).write_text(problem_source, encoding="utf-8")
        (inputs / CANDIDATE_FILE).write_text(candidate_source, encoding="utf-8")
        w = self.worker
        return (
            w.path_inside(inputs / PROBLEM_FILE),
            w.path_inside(inputs / CANDIDATE_FILE),
            private_dir(w, self.home),
        )

    def alive(self) -> bool:
        return self.worker.proc.poll() is None

    def close(self) -> None:
        try:
            self.worker.close(grace=2.0)
        finally:
            shutil.rmtree(self.home, ignore_errors=True)


@dataclass(eq=False)
class ReferenceSlot:
    """One reference worker for one problem; `warm` once it has served a judgement."""

    key: ReferenceKey
    home: Path
    worker: Worker
    warm: bool = False
    problem_inside: str = field(default="")

    cache_lock: int | None = None  # held while this worker owns the problem's compile cache

    @classmethod
    def start(cls, key: ReferenceKey, problem_source: str, config: JudgeConfig) -> ReferenceSlot:
        home = Path(tempfile.mkdtemp(prefix="kw-ref-"))
        lock = lock_reference_cache(problem_source) if config.reference_cache else None
        try:
            worker = start_reference(home, problem_source, config, key[1], lock)
        except BaseException:
            shutil.rmtree(home, ignore_errors=True)
            _close_fd(lock)
            raise
        inside = worker.path_inside(home / "in" / PROBLEM_FILE)
        return cls(key, home, worker, problem_inside=inside, cache_lock=lock)

    def alive(self) -> bool:
        return self.worker.proc.poll() is None

    def close(self, quit: bool = True) -> None:
        try:
            if quit and self.alive():
                with contextlib.suppress(Exception):
                    post(self.worker.send, QuitCmd())
            self.worker.close(grace=2.0 if quit else 0.0)
        finally:
            shutil.rmtree(self.home, ignore_errors=True)
            _close_fd(self.cache_lock)  # after the worker is gone: its files are its last writes
            self.cache_lock = None


def _close_fd(fd: int | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)


def reference_key(problem_source: str, config: JudgeConfig, cuda: bool) -> ReferenceKey:
    return (
        sha256_text(problem_source),
        cuda,
        config.reference_cache,
        config.compile_mode,
        config.memory_limit_mb,
    )


class WorkerPool:
    """`spares` pre-started candidate workers per (device, memory limit); up to `references` idle
    reference workers, least recently used closed first. `WorkerPool()` keeps nothing."""

    def __init__(self, spares: int = 0, references: int = 0) -> None:
        self.spares = max(0, spares)
        self.references = max(0, references)
        self._lock = threading.Lock()
        self._candidates: dict[CandidateKey, list[CandidateSlot]] = {}
        self._idle_refs: list[ReferenceSlot] = []  # oldest first
        self._closed = False
        self.stats = dict.fromkeys(
            ("candidates_started", "spares_used", "references_started", "references_reused"), 0
        )

    def _count(self, what: str) -> None:
        with self._lock:
            self.stats[what] += 1

    def idle(self) -> dict[str, int]:
        """Warm workers waiting now: idle references and pre-started candidate workers."""
        with self._lock:
            return {
                "references": len(self._idle_refs),
                "candidates": sum(len(v) for v in self._candidates.values()),
            }

    # -- candidates ----------------------------------------------------------------------------
    def candidate(self, cuda: bool, memory_limit_mb: int | None) -> CandidateSlot:
        """A started worker for one candidate (pre-started when there is a spare); the caller closes
        it, or hands it back unused with `unused()`."""
        key = (cuda, memory_limit_mb)
        slot = None
        with self._lock:
            spares = self._candidates.setdefault(key, [])
            while spares and slot is None:
                s = spares.pop(0)
                if s.alive():
                    slot = s
                    self.stats["spares_used"] += 1
                else:
                    s.close()
        if slot is None:
            slot = CandidateSlot.start(key)
            self._count("candidates_started")
        self._refill(key)
        return slot

    def unused(self, slot: CandidateSlot) -> None:
        """A slot whose judgement ended before its job was sent: a spare again (it saw nothing)."""
        if slot.used or not slot.alive():
            slot.close()
            return
        with self._lock:
            keep = not self._closed and len(self._candidates.setdefault(slot.key, [])) < self.spares
            if keep:
                self._candidates[slot.key].append(slot)
        if not keep:
            slot.close()

    def _refill(self, key: CandidateKey) -> None:
        while True:
            with self._lock:
                if self._closed or len(self._candidates.setdefault(key, [])) >= self.spares:
                    return
            slot = CandidateSlot.start(key)
            self._count("candidates_started")
            with self._lock:
                if self._closed:
                    break
                self._candidates[key].append(slot)
        slot.close()

    # -- references ----------------------------------------------------------------------------
    def reference(self, problem_source: str, config: JudgeConfig, cuda: bool) -> ReferenceSlot:
        """An idle warm reference worker of this problem, or a new one (then its job is sent)."""
        from kernelwright.worker.protocol import ReferenceJob

        key = reference_key(problem_source, config, cuda)
        with self._lock:
            for i, s in enumerate(self._idle_refs):
                if s.key == key:
                    del self._idle_refs[i]
                    if s.alive():
                        self.stats["references_reused"] += 1
                        return s
                    s.close(quit=False)
                    break
        slot = ReferenceSlot.start(key, problem_source, config)
        self._count("references_started")
        post(
            slot.worker.send, ReferenceJob(problem_path=slot.problem_inside, device="cuda" if cuda else "cpu")
        )
        return slot

    def give_back(self, slot: ReferenceSlot, clean: bool) -> None:
        """After a judgement: kept warm when it ended cleanly and there is room, else closed."""
        evicted: list[ReferenceSlot] = []
        keep = clean and slot.alive()
        with self._lock:
            keep = keep and not self._closed and self.references > 0
            if keep:
                slot.warm = True
                self._idle_refs.append(slot)
                while len(self._idle_refs) > self.references:
                    evicted.append(self._idle_refs.pop(0))
        for s in evicted if keep else [slot]:
            s.close(quit=clean)

    # -- lifetime ------------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._closed = True
            slots: list[CandidateSlot | ReferenceSlot] = [s for v in self._candidates.values() for s in v]
            slots += self._idle_refs
            self._candidates, self._idle_refs = {}, []
        for s in slots:
            with contextlib.suppress(Exception):
                s.close()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_active: list[WorkerPool] = []  # the pool `judge()` uses; a stack, so nested use_pool() works
_active_lock = threading.Lock()


@contextlib.contextmanager
def use_pool(pool: WorkerPool | None = None, *, spares: int = 1, references: int = 4) -> Iterator[WorkerPool]:
    """Judge with warm workers inside the block (all threads); the pool is closed at its end."""
    pool = pool or WorkerPool(spares=spares, references=references)
    with _active_lock:
        _active.append(pool)
    try:
        yield pool
    finally:
        with _active_lock:
            _active.remove(pool)
        pool.close()


def active_pool() -> WorkerPool | None:
    with _active_lock:
        return _active[-1] if _active else None


__all__ = ["INPUT_INSIDE", "CandidateSlot", "ReferenceSlot", "WorkerPool", "active_pool", "use_pool"]
