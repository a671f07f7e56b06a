"""Tamper evidence inside the candidate worker (THREATS #2, #11, #18).

Python does not audit `torch.Tensor.clone = f` or `torch.allclose = f`, so the worker snapshots the
namespaces a cheat would patch before the candidate is imported and compares after import and after
every call. Only replaced or deleted entries count: modules legitimately gain attributes when a
submodule is imported lazily (`torch._inductor`), but nothing legitimate rebinds `torch.allclose`.

`GuardedEnviron` stands in for `os.environ`: the worker's environment is already scrubbed, and a read
of a secret-looking variable (…KEY, …TOKEN, …SECRET, …PASSWORD) is reported as a sandbox violation,
so the attempt is visible even though it finds nothing. The guards raise an audit event for the
policy to judge and report; they hold nothing of the harness's (red team: cheat_rt_policy_kill_switch
found the policy, and cheat_rt_hmac_forge_done the channel, in closures the guard used to hold).
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

from kernelwright.sandbox.policy import ENVIRON_EVENT

SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)", re.IGNORECASE)


def _watched() -> list[tuple[str, Any]]:
    import json
    import time

    import torch
    import torch.nn.functional as F  # noqa: N812
    import torch.testing
    import triton
    import triton.runtime.jit
    import triton.testing

    import kernelwright.sandbox.channel as channel
    import kernelwright.sandbox.policy as policy
    import kernelwright.worker.clock as clock
    import kernelwright.worker.common as common
    import kernelwright.worker.launches as launches
    import kernelwright.worker.protocol as protocol
    import kernelwright.worker.strict as strict

    objs: list[tuple[str, Any]] = [
        ("time", time),
        ("torch", torch),
        ("torch._C", torch._C),  # torch.save's writer stand-in (sandbox/policy.py audit_native_writes)
        ("torch.cuda", torch.cuda),
        ("torch.testing", torch.testing),
        ("torch.nn.functional", F),
        ("torch.Tensor", torch.Tensor),
        ("torch.nn.Module", torch.nn.Module),
        ("triton", triton),
        ("triton.testing", triton.testing),
        ("triton.runtime.jit", triton.runtime.jit),
        ("triton.runtime.jit.JITFunction", triton.runtime.jit.JITFunction),
        ("kernelwright.worker.clock", clock),
        ("kernelwright.worker.common", common),
        ("kernelwright.worker.launches", launches),
        ("os", os),
        ("json", json),
        ("kernelwright.sandbox.channel", channel),
        ("kernelwright.sandbox.channel.Channel", channel.Channel),
        ("kernelwright.sandbox.policy.AuditPolicy", policy.AuditPolicy),
        ("kernelwright.sandbox.policy", policy),
        # The op log is bound before the candidate is imported; its module globals (the op tables,
        # the dispatch mode) are read at call time (red team: cheat_rt_ledger_closure rebound them).
        ("kernelwright.worker.strict", strict),
        *(
            (f"kernelwright.worker.strict.{name}", obj)
            for name, obj in vars(strict).items()
            if isinstance(obj, type) and obj.__module__ == strict.__name__
        ),
        *(
            (f"kernelwright.worker.launches.{name}", obj)
            for name, obj in vars(launches).items()
            if isinstance(obj, type) and obj.__module__ == launches.__name__
        ),
        # The harness encodes every message through these classes after the candidate is imported.
        ("kernelwright.worker.protocol", protocol),
        *((f"kernelwright.worker.protocol.{cls.__name__}", cls) for cls in protocol.ALL_CLASSES),
    ]
    try:  # the op classes the trace sorts by (worker/op_classes.py, where present)
        import kernelwright.worker.op_classes as op_classes

        objs.append(("kernelwright.worker.op_classes", op_classes))
    except ImportError:  # pragma: no cover
        pass
    try:
        from triton.runtime.interpreter import InterpretedFunction

        objs.append(("triton.runtime.interpreter.InterpretedFunction", InterpretedFunction))
    except ImportError:  # pragma: no cover
        pass
    if torch.cuda.is_available():
        objs.append(("torch.cuda.Event", torch.cuda.Event))
    return objs


class Integrity:
    def __init__(self) -> None:
        self.snapshot = {name: dict(vars(obj)) for name, obj in _watched()}
        self._objects = dict(_watched())
        self.reported: set[str] = set()

    def changes(self) -> list[str]:
        """Newly replaced or deleted entries, each reported once."""
        found: list[str] = []
        for name, before in self.snapshot.items():
            obj = self._objects[name]
            now = vars(obj)
            # On classes a new attribute shadows an inherited method (torch.Tensor.clone lives on
            # the C base class), so additions count there; modules gain submodules legitimately.
            if isinstance(obj, type):
                for attr in now.keys() - before.keys():
                    if attr in _CACHE_ATTRS:
                        continue
                    key = f"{name}.{attr}"
                    if key not in self.reported:
                        self.reported.add(key)
                        found.append(key)
            for attr, value in before.items():
                if attr in ("__dict__", "__weakref__", "environ", "environb"):
                    continue
                if now.get(attr, _MISSING) is not value:
                    key = f"{name}.{attr}"
                    if key not in self.reported:
                        self.reported.add(key)
                        found.append(key)
        return found


_MISSING = object()
# Attributes Python and torch add to classes themselves (copyreg's pickling cache, abc caches).
_CACHE_ATTRS = frozenset({"__slotnames__", "_abc_impl", "__annotations__", "__orig_bases__"})


def _secret(key: object) -> str | None:
    name = key.decode(errors="replace") if isinstance(key, bytes) else key
    return name if isinstance(name, str) and SECRET_NAME.search(name) else None


def _check(key: object) -> None:
    name = _secret(key)
    if name:
        _audit(ENVIRON_EVENT, name)


_audit = sys.audit  # bound at import: this module's globals are in the integrity snapshot


class GuardedEnviron(os._Environ):  # type: ignore[name-defined,misc]
    """os.environ / os.environb with reads of secret-looking names reported (the values are gone already)."""

    def __init__(self, base: Any) -> None:
        super().__init__(base._data, base.encodekey, base.decodekey, base.encodevalue, base.decodevalue)

    def __getitem__(self, key: Any) -> Any:
        _check(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        _check(key)
        return super().__contains__(key)


class GuardedRawEnviron(dict):  # type: ignore[type-arg]
    """Stands in for `posix.environ`, the interpreter's raw bytes dict, with the same reporting."""

    def __getitem__(self, key: Any) -> Any:
        _check(key)
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        _check(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        _check(key)
        return super().__contains__(key)


def guard_environment() -> None:
    """Route every environment mapping a candidate can reach through a reporting guard (THREATS #18).

    The reports come from the audit policy (`ENVIRON_EVENT`), which must be installed for them.
    """
    import posix

    os.environ = GuardedEnviron(os.environ)  # noqa: B003 - same data, reads reported
    os.environb = GuardedEnviron(os.environb)
    posix.environ = GuardedRawEnviron(posix.environ)
