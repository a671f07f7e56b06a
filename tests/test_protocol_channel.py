"""The result channel refuses an unauthenticated frame before reading its payload (red team hole 6)."""

from __future__ import annotations

import os
import struct

import pytest

from kernelwright.errors import WorkerProtocolError
from kernelwright.sandbox.channel import Channel

KEY = b"k" * 32


def test_a_good_frame_round_trips() -> None:
    r, w = os.pipe()
    Channel(None, w, KEY).send("case", b"payload", index=3)
    assert Channel(r, None, KEY).recv() == ({"kind": "case", "index": 3}, b"payload")


def test_a_forged_header_is_refused_before_its_huge_payload_is_read() -> None:
    r, w = os.pipe()
    # claims 1 GiB of payload but sends none: the reader must fail on the header's MAC, not wait
    # for (or buffer) the gigabyte a flood would bring
    os.write(w, struct.pack(">IQ32s32s", 5, 1 << 30, b"\0" * 32, b"\0" * 32) + b"hello")
    with pytest.raises(WorkerProtocolError, match="header"):
        Channel(r, None, KEY).recv(deadline=None)


def test_a_payload_swapped_under_a_good_header_is_refused() -> None:
    r, w = os.pipe()
    sender_r, sender_w = os.pipe()
    Channel(None, sender_w, KEY).send("case", b"AAAA", index=1)
    frame = bytearray(os.read(sender_r, 1 << 16))
    frame[-4:] = b"BBBB"
    os.write(w, bytes(frame))
    with pytest.raises(WorkerProtocolError, match="authentication"):
        Channel(r, None, KEY).recv()
