"""What the verdict says about where it was produced."""

from __future__ import annotations

import functools
import platform
import subprocess

from kernelwright.verdict import Environment


@functools.cache
def cuda_available() -> bool:
    from kernelwright.settings import force_cpu

    if force_cpu():
        return False
    import torch

    return bool(torch.cuda.is_available())


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
