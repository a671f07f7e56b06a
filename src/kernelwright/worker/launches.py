"""Counting and ablating custom kernel launches inside the candidate worker (THREATS #6, #7).

Installed before the candidate is imported. Every Triton launch goes through `JITFunction.run`
(or `InterpretedFunction.run` under TRITON_INTERPRET=1; autotuners and heuristics call the inner
function's `run`), and every `load_inline`/`load` extension function goes through the module proxy
returned here. The harness can then
- count launches per kernel name (no custom launch at all is reference passthrough),
- see exceptions raised by a launch that the forward swallowed (a try/except fallback that ran),
- run an ablation: Triton launches are skipped and extension functions' results are poisoned with
  NaN; if the forward's output still passes the correctness check, the kernel did not do the work.

Python raises no audit event for class attribute writes, so a candidate *can* restore `run`; the
integrity snapshot (worker/integrity.py) covers these classes and reports that as tampering.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import torch


class LaunchLedger:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.failures: list[str] = []
        self.ablate = False
        self.skipped = 0
        self._returns_none: dict[str, bool] = {}
        # While set (one untimed call, kernel_share.py), every custom launch is bracketed: bracket()
        # records a CUDA event on the launch's stream and returns what records the closing one.
        self.bracket: Any = None
        # While set, called before every custom launch. Correctness calls on a GPU: it delays a launch
        # bound for a stream other than the judge's, so an unjoined side stream loses its race with
        # the stream-ordered output snapshot every time instead of by chance (THREATS #1). Timed calls:
        # it notes that stream, which the clock joins into the judge's before the end event.
        self.before_launch: Any = None
        # Set once the candidate loads native code (load_inline/load): its kernels may go to streams the
        # ledger cannot see, so timed calls synchronise the device before their end event (clock.py).
        self.native = False

    def reset(self) -> None:
        self.counts.clear()
        self.failures.clear()
        self.skipped = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    # -- Triton --------------------------------------------------------------------------------
    def install_triton(self) -> None:
        import triton.runtime.jit as jit

        targets: list[Any] = [jit.JITFunction]
        try:
            from triton.runtime.interpreter import InterpretedFunction

            targets.append(InterpretedFunction)
        except ImportError:  # pragma: no cover - very old Triton
            pass
        for cls in targets:
            original = cls.run
            if getattr(original, "_kw_wrapped", False):
                continue
            cls.run = self._wrap_triton(original)  # type: ignore[method-assign]

    def _wrap_triton(self, original: Any) -> Any:
        ledger = self

        def run(self_fn: Any, *args: Any, grid: Any = None, warmup: bool = False, **kwargs: Any) -> Any:
            if warmup:
                return original(self_fn, *args, grid=grid, warmup=warmup, **kwargs)
            name = str(
                getattr(getattr(self_fn, "fn", None), "__name__", None)
                or getattr(self_fn, "__name__", "kernel")
            )
            ledger.counts[name] += 1
            if ledger.ablate:
                ledger.skipped += 1
                return None
            try:
                return ledger._launch(lambda: original(self_fn, *args, grid=grid, warmup=warmup, **kwargs))
            except BaseException as exc:
                ledger.failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:300]}")
                raise

        run._kw_wrapped = True  # type: ignore[attr-defined]
        return run

    def _launch(self, call: Any) -> Any:
        if self.before_launch is not None:
            self.before_launch()
        if self.bracket is None:
            return call()
        close = self.bracket()
        try:
            return call()
        finally:
            close()

    # -- load_inline / load --------------------------------------------------------------------
    def install_extensions(self) -> None:
        import torch.utils.cpp_extension as ext

        for attr in ("load_inline", "load"):
            original = getattr(ext, attr)
            if getattr(original, "_kw_wrapped", False):
                continue
            setattr(ext, attr, self._wrap_loader(original))

    def _wrap_loader(self, original: Any) -> Any:
        ledger = self

        def loader(*args: Any, **kwargs: Any) -> Any:
            ledger.native = True
            return _ExtensionProxy(original(*args, **kwargs), ledger)

        loader._kw_wrapped = True  # type: ignore[attr-defined]
        return loader

    def call_extension(self, name: str, fn: Any, args: tuple, kwargs: dict) -> Any:
        self.counts[name] += 1
        if self.ablate:
            self.skipped += 1
            if self._returns_none.get(name, False):
                return None  # an in-place function: skipping leaves its (NaN-poisoned) outputs unwritten
            return _poison(fn(*args, **kwargs))
        try:
            result = self._launch(lambda: fn(*args, **kwargs))
        except BaseException as exc:
            self.failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:300]}")
            raise
        self._returns_none[name] = result is None
        return result


class _ExtensionProxy:
    """Stands in for a compiled extension module; every callable attribute is counted."""

    def __init__(self, module: Any, ledger: LaunchLedger) -> None:
        object.__setattr__(self, "_module", module)
        object.__setattr__(self, "_ledger", ledger)

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._module, attr)
        if not callable(value) or attr.startswith("__"):
            return value
        ledger = self._ledger
        name = f"{getattr(self._module, '__name__', 'ext')}.{attr}"

        def call(*args: Any, **kwargs: Any) -> Any:
            return ledger.call_extension(name, value, args, kwargs)

        return call


def _poison(result: Any) -> Any:
    if isinstance(result, torch.Tensor):
        if result.is_floating_point():
            result.fill_(float("nan"))
        elif result.dtype != torch.bool:
            result.fill_(torch.iinfo(result.dtype).max)
        else:
            result.logical_not_()
        return result
    if isinstance(result, list | tuple):
        return type(result)(_poison(r) for r in result)
    return result


def cpu_autotune_benchmarker() -> None:
    """Let `@triton.autotune` run under the interpreter, where Triton has no active driver to time with.

    Every config still runs once (so each one is exercised); the choice among them is by wall clock,
    which is meaningless for speed on the CPU but keeps legitimate autotuned kernels judgeable there.
    """
    import time

    from triton.runtime.autotuner import Autotuner

    def bench(fn: Any, quantiles: Any = None, **_: Any) -> Any:
        t0 = time.perf_counter()
        fn()
        ms = (time.perf_counter() - t0) * 1e3
        return [ms] * len(quantiles) if quantiles else ms

    Autotuner.do_bench = property(lambda self: self._do_bench or bench)  # type: ignore[assignment]


def poison_uninitialised_memory(on: bool) -> None:
    """torch.empty & co. return NaN-filled memory while on (THREATS #10: no answer left in freed memory)."""
    import torch.utils.deterministic

    torch.use_deterministic_algorithms(on, warn_only=True)
    torch.utils.deterministic.fill_uninitialized_memory = on  # type: ignore[attr-defined]
