"""Framed, authenticated messages between the parent and a worker over inherited pipes.

Frame: 4-byte big-endian header length, 8-byte payload length, a 32-byte HMAC-SHA256 over the
lengths and the header, a 32-byte HMAC-SHA256 over header and payload, the header (a marshal-encoded
dict), payload bytes. The reader checks the first MAC before it reads a byte of the payload: a
candidate that finds the result descriptor cannot make the judge buffer gigabytes of garbage (the
red team's 1 GiB unauthenticated frame cost the judge 3.4 GB of memory before this). The key is sent by the parent on the control pipe before any
candidate code is imported, so bytes a candidate writes to a descriptor it finds cannot pass as a
result (THREATS #3): a forged or garbled frame fails authentication and the parent calls it tampering.

Every function the sending side uses is captured when the channel is built, before the candidate is
imported, and they are C functions (`marshal.dumps`, `_hashlib.hmac_digest`, `os.write`): rebinding
`json.dumps`, `hmac.new` or `Channel.send` afterwards changes nothing this channel sends, and cannot
reveal the key. The parent decodes a header only after its MAC checks out.

Nothing here unpickles: tensors travel packed (`dump_tensors`): a JSON tree whose tensors are
(dtype from a fixed list, shape, offset) entries, then their raw bytes. The parent builds plain dense
tensors over the payload itself, so a tensor subclass or any other object cannot arrive (THREATS #12).
This replaced `torch.save`/`torch.load(weights_only=True)`, which cost 0.6 s and 0.4 s per 128 MiB
output on this 2-core box and ~1 ms per small timed-call message (issue 14's transfer costs).
"""

from __future__ import annotations

import hmac
import json
import marshal
import math
import os
import select
import struct
import time
from _hashlib import hmac_digest, hmac_new
from typing import Any

from kernelwright.errors import KernelwrightError, WorkerProtocolError

_PREFIX = struct.Struct(">IQ32s32s")
_LENGTHS = struct.Struct(">IQ")
MAX_HEADER = 1 << 20
MAX_PAYLOAD = 1 << 34


class Timeout(KernelwrightError):
    """No complete message before the deadline."""


class Closed(KernelwrightError):
    """The other end closed the pipe (the worker exited or crashed)."""


def _mac(key: bytes, header: bytes, payload: bytes | bytearray) -> bytes:
    """HMAC-SHA256 over header, NUL, payload; fed in pieces, so a 128 MiB payload is never copied
    to be hashed (each copy cost ~0.14 s per 128 MiB here)."""
    h = hmac_new(key, header + b"\0", "sha256")
    h.update(payload)
    return h.digest()


def _head_mac(key: bytes, hlen: int, plen: int, header: bytes) -> bytes:
    return hmac_digest(key, b"head\0" + _LENGTHS.pack(hlen, plen) + header, "sha256")


class Channel:
    def __init__(self, read_fd: int | None, write_fd: int | None, key: bytes = b""):
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.key = key
        self._buf = bytearray()
        # a frame whose header checked out and whose payload is still arriving (after a Timeout)
        self._pending: tuple[bytes, bytes, bytearray, int] | None = None
        # Captured now, before any untrusted import (see the module docstring).
        self._dumps = marshal.dumps
        self._digest = hmac_digest
        self._hmac_new = hmac_new
        self._write = os.write
        self._pack = _PREFIX.pack
        self._lengths = _LENGTHS.pack

    # -- writing ---------------------------------------------------------------------------------
    def send(self, kind: str, payload: bytes | bytearray = b"", **fields: Any) -> None:
        assert self.write_fd is not None
        header = self._dumps({"kind": kind, **fields})
        head = self._digest(self.key, b"head\0" + self._lengths(len(header), len(payload)) + header, "sha256")
        h = self._hmac_new(self.key, header + b"\0", "sha256")
        h.update(payload)
        # prefix and header, then the payload as it is: no frame-sized copy
        for part in (self._pack(len(header), len(payload), head, h.digest()) + header, payload):
            view = memoryview(part)
            while view:
                n = self._write(self.write_fd, view)
                view = view[n:]

    # -- reading ---------------------------------------------------------------------------------
    def _fill(self, n: int, deadline: float | None) -> None:
        """Buffer at least n bytes. A timeout keeps what arrived: the next recv resumes mid-frame."""
        assert self.read_fd is not None
        while len(self._buf) < n:
            if not self._wait(deadline):
                continue
            chunk = os.read(self.read_fd, max(n - len(self._buf), 1 << 20))
            if not chunk:
                raise Closed
            self._buf += chunk

    def _wait(self, deadline: float | None) -> bool:
        """False when nothing is readable yet (poll again); Timeout past the deadline."""
        assert self.read_fd is not None
        if deadline is None:
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            raise Timeout
        ready, _, _ = select.select([self.read_fd], [], [], min(left, 1.0))
        return bool(ready)

    def recv(self, deadline: float | None = None) -> tuple[dict[str, Any], bytearray]:
        if self._pending is None:
            self._fill(_PREFIX.size, deadline)
            hlen, plen, head, mac = _PREFIX.unpack(bytes(self._buf[: _PREFIX.size]))
            if hlen > MAX_HEADER or plen > MAX_PAYLOAD:
                raise WorkerProtocolError(f"frame sizes out of range (header {hlen}, payload {plen})")
            self._fill(_PREFIX.size + hlen, deadline)
            header = bytes(self._buf[_PREFIX.size : _PREFIX.size + hlen])
            if not hmac.compare_digest(head, _head_mac(self.key, hlen, plen, header)):
                raise WorkerProtocolError("a message header on the result channel failed authentication")
            # The payload is read straight into its own buffer (no growing self._buf, no copy out of
            # it): 1.4 s of copies per H200 verdict before. Only what is already buffered is copied.
            start = _PREFIX.size + hlen
            have = min(plen, len(self._buf) - start)
            payload = bytearray(plen)
            payload[:have] = self._buf[start : start + have]
            del self._buf[: start + have]
            self._pending = (header, mac, payload, have)
        header, mac, payload, got = self._pending
        assert self.read_fd is not None
        with memoryview(payload) as view:
            while got < len(payload):
                try:
                    ready = self._wait(deadline)
                except Timeout:
                    self._pending = (header, mac, payload, got)  # the next recv resumes mid-payload
                    raise
                if not ready:
                    continue
                n = os.readv(self.read_fd, [view[got : got + (1 << 20)]])
                if not n:
                    raise Closed
                got += n
        self._pending = None
        if not hmac.compare_digest(mac, _mac(self.key, header, payload)):
            raise WorkerProtocolError("a message on the result channel failed authentication")
        try:
            msg = marshal.loads(header)  # authenticated above: only our own workers' bytes get here
        except (ValueError, EOFError, TypeError) as exc:
            raise WorkerProtocolError("a message header does not decode") from exc
        if not isinstance(msg, dict) or "kind" not in msg:
            raise WorkerProtocolError("a message header has no kind")
        return msg, payload


_ALIGN = 64  # every tensor's bytes start on a 64-byte boundary of the payload
_DTYPE_NAMES = (
    "float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool",
    "complex64", "complex128", "float8_e4m3fn", "float8_e5m2", "uint16", "uint32", "uint64",
)  # fmt: skip
_MAX_DEPTH = 32


def _dtypes() -> dict[str, Any]:
    import torch

    return {n: getattr(torch, n) for n in _DTYPE_NAMES if isinstance(getattr(torch, n, None), torch.dtype)}


def _up(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


def dump_tensors(obj: Any) -> bytearray:
    """Pack a tree of dicts (str keys), lists, tuples, scalars, None and tensors into one payload.

    Layout: 8-byte big-endian length of a JSON head {"tree": ..., "tensors": [[dtype, shape, offset]]},
    the head, padding to _ALIGN, then each tensor's raw bytes (aligned). A CUDA tensor is copied from
    the device straight into the payload: no intermediate host copy."""
    import torch

    tensors: list[torch.Tensor] = []

    def enc(o: Any, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise ValueError("tensor tree nested too deep")
        if isinstance(o, torch.Tensor):
            tensors.append(o)
            return {"__t": len(tensors) - 1}
        if isinstance(o, dict):
            return {"__d": [[str(k), enc(v, depth + 1)] for k, v in o.items()]}
        if isinstance(o, list | tuple):
            return [enc(v, depth + 1) for v in o]
        if o is None or isinstance(o, bool | int | float | str):
            return o
        raise TypeError(f"cannot pack a {type(o).__name__}")

    tree = enc(obj, 0)
    table, off, flat = [], 0, []
    for t in tensors:
        name = str(t.dtype).removeprefix("torch.")
        if name not in _DTYPE_NAMES:
            raise TypeError(f"cannot pack dtype {name}")
        raw = t.detach().contiguous().reshape(-1).view(torch.uint8) if t.numel() else None
        table.append([name, list(t.shape), off])
        flat.append((off, raw))
        off += _up(raw.numel()) if raw is not None else 0
    head = json.dumps({"tree": tree, "tensors": table}, separators=(",", ":")).encode()
    base = _up(8 + len(head))
    buf = bytearray(base + off)
    buf[:8] = len(head).to_bytes(8, "big")
    buf[8 : 8 + len(head)] = head
    for o, raw in flat:
        if raw is not None:
            torch.frombuffer(buf, dtype=torch.uint8, count=raw.numel(), offset=base + o).copy_(raw)
    return buf


def load_tensors(payload: bytes | bytearray) -> Any:
    """Unpack `dump_tensors`'s payload. Tensors are plain, dense, CPU views of the payload (which must
    therefore be writable: the channel hands out bytearrays). Anything malformed is a ValueError."""
    import torch

    if not isinstance(payload, bytearray):
        payload = bytearray(payload)
    size = len(payload)
    if size < 8:
        raise ValueError("packed tensors: payload too short")
    hlen = int.from_bytes(payload[:8], "big")
    if hlen > size - 8:
        raise ValueError("packed tensors: head longer than the payload")
    try:
        head = json.loads(bytes(payload[8 : 8 + hlen]))
    except (ValueError, RecursionError) as exc:
        raise ValueError("packed tensors: the head is not JSON") from exc
    if not isinstance(head, dict) or not isinstance(head.get("tensors"), list) or "tree" not in head:
        raise ValueError("packed tensors: malformed head")
    base, dtypes, tensors = _up(8 + hlen), _dtypes(), []
    for entry in head["tensors"]:
        if not (isinstance(entry, list) and len(entry) == 3):
            raise ValueError("packed tensors: malformed tensor entry")
        name, shape, off = entry
        if name not in dtypes or not isinstance(shape, list) or len(shape) > 64:
            raise ValueError(f"packed tensors: dtype {name!r} or shape refused")
        if not all(type(d) is int and d >= 0 for d in shape) or type(off) is not int or off < 0:
            raise ValueError("packed tensors: bad shape or offset")
        dtype = dtypes[name]
        numel = math.prod(shape)
        nbytes = numel * dtype.itemsize
        if base + off + nbytes > size:
            raise ValueError("packed tensors: a tensor runs past the payload")
        if numel == 0:
            tensors.append(torch.empty(shape, dtype=dtype))
        else:
            tensors.append(torch.frombuffer(payload, dtype=dtype, count=numel, offset=base + off).view(shape))

    def dec(o: Any, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise ValueError("packed tensors: tree nested too deep")
        if isinstance(o, list):
            return [dec(v, depth + 1) for v in o]
        if isinstance(o, dict):
            if set(o) == {"__t"} and type(o["__t"]) is int and 0 <= o["__t"] < len(tensors):
                return tensors[o["__t"]]
            if set(o) == {"__d"} and isinstance(o["__d"], list):
                return {str(k): dec(v, depth + 1) for k, v in o["__d"]}
            raise ValueError("packed tensors: malformed node")
        return o

    return dec(head["tree"], 0)
