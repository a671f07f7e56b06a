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


# -- packed tensors (dump_tensors / load_tensors): the only way tensors cross the channel ------------


def test_a_tree_of_tensors_round_trips_bit_for_bit() -> None:
    import torch

    from kernelwright.sandbox.channel import dump_tensors, load_tensors

    x = torch.randn(5, 7)
    tree = {
        "outputs": [
            x.t(),  # not contiguous: packed as its values, in row-major order of its shape
            torch.tensor(3.5, dtype=torch.bfloat16),  # 0-dim
            torch.empty(0, 4, dtype=torch.int64),  # empty
            torch.tensor([-0.0, float("nan"), float("inf")], dtype=torch.float16),
            torch.tensor([True, False]),
        ],
        "inputs": [None, {"sha256": "ab", "shape": [2, 3], "numel": 6}, (1, 2.5, "s")],
    }
    got = load_tensors(bytes(dump_tensors(tree)))  # bytes too (the channel hands out bytearrays)
    outs = got["outputs"]
    assert torch.equal(outs[0], x.t()) and outs[0].is_contiguous()
    assert outs[1].shape == () and outs[1].dtype == torch.bfloat16 and float(outs[1]) == 3.5
    assert outs[2].shape == (0, 4) and outs[2].dtype == torch.int64
    raw = outs[3].view(torch.int16).tolist()
    assert (
        raw
        == torch.tensor([-0.0, float("nan"), float("inf")], dtype=torch.float16).view(torch.int16).tolist()
    )
    assert outs[4].tolist() == [True, False]
    assert got["inputs"] == [None, {"sha256": "ab", "shape": [2, 3], "numel": 6}, [1, 2.5, "s"]]
    assert all(type(t) is torch.Tensor for t in outs)


def test_a_tensor_subclass_arrives_as_a_plain_tensor_of_its_values() -> None:
    import torch

    from kernelwright.sandbox.channel import dump_tensors, load_tensors

    class Lazy(torch.Tensor):  # THREATS #12: a subclass that would compute on comparison
        pass

    sub = torch.arange(4.0).as_subclass(Lazy)
    (got,) = load_tensors(dump_tensors([sub]))
    assert type(got) is torch.Tensor and got.tolist() == [0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    "head",
    [
        {"tree": {"__t": 0}, "tensors": [["object", [1], 0]]},  # a dtype outside the list
        {"tree": {"__t": 0}, "tensors": [["float32", [1 << 40], 0]]},  # runs past the payload
        {"tree": {"__t": 0}, "tensors": [["float32", [-1], 0]]},  # negative size
        {"tree": {"__t": 0}, "tensors": [["float32", [1], -64]]},  # negative offset
        {"tree": {"__t": 3}, "tensors": []},  # a tensor that is not there
        {"tree": {"__class__": "os.system"}, "tensors": []},  # any other node
        {"tensors": []},  # no tree
    ],
)
def test_a_malformed_packed_payload_is_refused(head: dict) -> None:
    import json

    from kernelwright.sandbox.channel import load_tensors

    body = json.dumps(head).encode()
    payload = len(body).to_bytes(8, "big") + body + b"\0" * 256
    with pytest.raises(ValueError):
        load_tensors(payload)


def test_a_torch_save_payload_is_not_loaded() -> None:
    import io

    import torch

    from kernelwright.sandbox.channel import load_tensors

    buf = io.BytesIO()
    torch.save({"outputs": [torch.ones(3)]}, buf)  # the old format: a pickle is never unpickled now
    with pytest.raises(ValueError):
        load_tensors(buf.getvalue())


def test_a_payload_larger_than_the_pipe_arrives_whole_and_a_timeout_mid_payload_resumes() -> None:
    import threading
    import time

    from kernelwright.sandbox.channel import Timeout

    body = os.urandom(3 << 20)  # several pipe buffers
    r, w = os.pipe()
    captured = bytearray()

    def capture() -> None:  # the frame exactly as the sender writes it
        while chunk := os.read(r, 1 << 20):
            captured.extend(chunk)

    reader = threading.Thread(target=capture)
    reader.start()
    Channel(None, w, KEY).send("case", body, index=7)
    os.close(w)
    reader.join()
    frame = bytes(captured)

    wire_r, wire_w = os.pipe()
    rx = Channel(wire_r, None, KEY)
    half = len(frame) // 2
    first = threading.Thread(target=lambda: os.write(wire_w, frame[:half]))
    first.start()
    with pytest.raises(Timeout):  # header checked out, half the payload there, then nothing
        rx.recv(deadline=time.monotonic() + 1.0)
    first.join()
    rest = threading.Thread(target=lambda: os.write(wire_w, frame[half:]))
    rest.start()
    header, payload = rx.recv(deadline=time.monotonic() + 10)
    rest.join()
    assert header == {"kind": "case", "index": 7} and payload == body
