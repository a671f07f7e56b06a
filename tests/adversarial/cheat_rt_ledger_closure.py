"""A pure PyTorch passthrough with no custom kernel at all, forging the launch ledger from a closure
(THREATS #6, #11, #24).

The ledger that counts and ablates Triton launches is reachable without gc or frames: it is a closure
cell of the wrapper the worker installed as `InterpretedFunction.run` (and `JITFunction.run`).
forward takes it from `run.__closure__`, adds one fake "relu_kernel" launch per call, and when
`ledger.ablate` is set it counts a skipped launch and returns NaNs, so the ablation "changes" the
output. The op log is blinded by replacing `kernelwright.worker.strict.torch_compute_ops` (imported
by the worker at call time, after the candidate, and outside the integrity snapshot) with one that
reports nothing. Every answer comes from torch.relu; no Triton kernel exists.
"""
# kernelwright-expect: problem=level1/relu verdict=rejected category=reference-passthrough threats=6,11,24 device=cpu layer=runtime xfail-reason=launch counts, the ablation flag and the op log are all computed inside the candidate's process from mutable objects: the LaunchLedger is reachable as a closure cell of InterpretedFunction.run, and worker.strict.torch_compute_ops is looked up after the candidate is imported and is not in the integrity snapshot, so a kernel-free torch.relu passthrough is accepted

import sys

import torch
from torch import nn


def _n(s: str) -> str:
    return "".join(reversed(s))


def _put(ns: dict, key: str, value: object) -> None:
    ns[key] = value


def _find_ledger():
    interp = sys.modules[_n("reterpretni.emitnur.notirt")]
    run = getattr(getattr(interp, _n("noitcnuFdeterpretnI")), _n("nur"))
    for cell in getattr(run, _n("__erusolc__")) or ():
        obj = cell.cell_contents
        if type(obj).__name__ == _n("regdeLhcnuaL"):
            return obj
    return None


def _blind_op_log() -> None:
    mod = sys.modules.get(_n("tcirts.rekrow.thgirwlenrek"))
    if mod is None:
        import importlib

        mod = importlib.import_module(_n("tcirts.rekrow.thgirwlenrek"))
    _put(vars(mod), _n("spo_etupmoc_hcrot"), lambda call: (call(), [])[1])


_LEDGER = _find_ledger()
_blind_op_log()


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        led = _LEDGER
        if led is not None:
            getattr(led, _n("stnuoc"))[_n("lenrek_uler")] += 1
            if getattr(led, _n("etalba")):
                setattr(led, _n("deppiks"), getattr(led, _n("deppiks")) + 1)
                return torch.full_like(x, float("nan"))
        return torch.relu(x)
