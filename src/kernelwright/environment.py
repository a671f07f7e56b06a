"""What the verdict says about where it was produced."""

from __future__ import annotations

import ctypes
import functools
import importlib.util
import os
import platform
import subprocess
import sys

from kernelwright.verdict import Environment


@functools.cache
def cuda_available() -> bool:
    """What `torch.cuda.is_available()` says, found without importing torch when torch is not loaded.

    The judge decides CPU or GPU before it starts its workers, and importing torch first would put
    ~3 s (2-core CPU) in front of both workers' start instead of beside it. The answer is the same
    question torch asks: a CUDA build of torch, and the driver API counting at least one device
    (CUDA_VISIBLE_DEVICES honoured by the driver).
    """
    from kernelwright.settings import force_cpu

    if force_cpu():
        return False
    if "torch" in sys.modules:
        return bool(sys.modules["torch"].cuda.is_available())
    return _cuda_probe()


@functools.cache
def _cuda_probe() -> bool:
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.origin:
        return False
    lib = os.path.join(os.path.dirname(spec.origin), "lib")
    try:
        if not any(name.startswith("libtorch_cuda") for name in os.listdir(lib)):
            return False  # a CPU build: torch.cuda.is_available() is False whatever the host has
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    count = ctypes.c_int(0)
    return cuda.cuInit(0) == 0 and cuda.cuDeviceGetCount(ctypes.byref(count)) == 0 and count.value > 0


@functools.cache
def _driver() -> str | None:
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else None
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return None


def current(sandbox: list[str] | None = None) -> Environment:
    import torch
    import triton

    cuda = cuda_available()
    return Environment(
        device=torch.cuda.get_device_name(0) if cuda else "cpu",
        interpreter=not cuda,
        torch=torch.__version__.split("+")[0],
        triton=triton.__version__,
        python=".".join(platform.python_version_tuple()[:2]),
        cuda=torch.version.cuda if cuda else None,
        driver=_driver() if cuda else None,
        gpu_count=torch.cuda.device_count() if cuda else 0,
        sandbox=sandbox or [],
    )
