"""protocol.wire: vectors shared with the TypeScript codec, round trips, and fuzzing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swarmcast.protocol import wire
from tests.protocol.wire_vectors import VECTORS_PATH, build, message_from_json, message_to_json

VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text())


def test_vector_file_matches_generator() -> None:
    """The committed JSON is what the generator builds: nobody edited one without the other."""
    assert build() == VECTORS


@pytest.mark.parametrize("case", VECTORS["valid"], ids=lambda c: c["name"])
def test_valid_vector(case: dict[str, Any]) -> None:
    frame = bytes.fromhex(case["hex"])
    msg = message_from_json(case["message"])
    assert wire.decode(frame) == msg
    assert wire.encode(msg) == frame
    assert message_to_json(wire.decode(frame)) == case["message"]


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=lambda c: c["name"])
def test_invalid_vector(case: dict[str, Any]) -> None:
    error_class = getattr(wire, case["error"])
    with pytest.raises(error_class) as caught:
        wire.decode(bytes.fromhex(case["hex"]))
    assert type(caught.value) is error_class


def test_every_type_and_error_has_a_vector() -> None:
    assert {c["message"]["type"] for c in VECTORS["valid"]} == set(wire.MESSAGE_NAMES.values())
    named_errors = {c["error"] for c in VECTORS["invalid"]}
    assert named_errors == set(VECTORS["errors"]) - {"WireError"}


def test_max_frame_is_a_full_piece() -> None:
    biggest = wire.Piece(1, 2, 3, b"\x00" * wire.MAX_PIECE_BYTES)
    assert len(wire.encode(biggest)) == wire.MAX_FRAME_SIZE == 65548


def test_decode_accepts_bytearray_and_memoryview() -> None:
    frame = wire.encode(wire.HaveDelta(5))
    assert wire.decode(bytearray(frame)) == wire.HaveDelta(5)
    assert wire.decode(memoryview(frame)) == wire.HaveDelta(5)


def test_decode_refuses_non_bytes_with_wire_error() -> None:
    with pytest.raises(wire.WireError):
        wire.decode("0108")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "build_invalid",
    [
        lambda: wire.Hello(-1, 16384, 1, "a/b"),
        lambda: wire.Hello(0, 16384, 1, "ab"),
        lambda: wire.Hello(0, 512, 1, "a/b"),
        lambda: wire.Have(0, 9, b"\xff"),
        lambda: wire.Have(0, 4097, b"\x00" * 513),
        lambda: wire.HaveDelta(True),
        lambda: wire.HaveDelta(1 << 32),
        lambda: wire.Request(1, 1, 0, 0),
        lambda: wire.Piece(1, 1, 0, b""),
        lambda: wire.Piece(1, 1, 0, b"\x00" * 65537),
        lambda: wire.Reject(1, 2),  # a plain int is not a RejectReason
        lambda: wire.Goodbye(9),
    ],
)
def test_invalid_messages_cannot_be_built(build_invalid: Any) -> None:
    with pytest.raises(wire.FieldOutOfRange):
        build_invalid()


def test_have_helpers() -> None:
    have = wire.Have.from_seqs(10, 12, {9, 10, 15, 21, 22})
    assert have.seqs() == [10, 15, 21]
    assert have.holds(15) and not have.holds(16) and not have.holds(22) and not have.holds(9)


def test_hello_capabilities() -> None:
    hello = wire.Hello(wire.CAP_EDGE_SEEDER | wire.CAP_CAN_UPLOAD, 16384, 4, "demo/720p")
    assert hello.can_upload and hello.edge_seeder
    assert not wire.Hello(0, 16384, 4, "demo/720p").can_upload


u32 = st.integers(0, wire.U32_MAX)
u16 = st.integers(0, wire.U16_MAX)
names = st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)


@st.composite
def haves(draw: st.DrawFn) -> wire.Have:
    count = draw(st.integers(0, wire.MAX_HAVE_COUNT))
    base = draw(st.integers(0, wire.U32_MAX - max(count - 1, 0)))
    seqs = draw(st.sets(st.integers(base, base + max(count - 1, 0)), max_size=64))
    return wire.Have.from_seqs(base, count, seqs)


@st.composite
def requests(draw: st.DrawFn) -> wire.Request:
    first = draw(u16)
    count = draw(st.integers(1, wire.MAX_PIECES_PER_SEGMENT - first))
    return wire.Request(draw(u32), draw(u32), first, count)


messages: st.SearchStrategy[wire.Message] = st.one_of(
    st.builds(
        wire.Hello,
        u32,
        st.integers(wire.MIN_PIECE_SIZE, wire.MAX_PIECE_SIZE),
        st.integers(1, wire.U16_MAX),
        st.builds(lambda s, r: f"{s}/{r}", names, names),
    ),
    haves(),
    st.builds(wire.HaveDelta, u32),
    requests(),
    st.builds(wire.Piece, u32, u32, u16, st.binary(min_size=1, max_size=2048)),
    st.builds(wire.Cancel, u32),
    st.builds(wire.Reject, u32, st.sampled_from(wire.RejectReason)),
    st.just(wire.Choke()),
    st.just(wire.Unchoke()),
    st.builds(wire.Goodbye, st.sampled_from(wire.GoodbyeReason)),
)


@given(messages)
def test_round_trip(msg: wire.Message) -> None:
    frame = wire.encode(msg)
    assert len(frame) <= wire.MAX_FRAME_SIZE
    assert wire.decode(frame) == msg
    assert message_from_json(message_to_json(msg)) == msg


def _decode_or_wire_error(frame: bytes) -> wire.Message | None:
    try:
        return wire.decode(frame)
    except wire.WireError:
        return None


@given(st.binary(max_size=300))
def test_random_bytes_decode_or_raise_wire_error(frame: bytes) -> None:
    msg = _decode_or_wire_error(frame)
    if msg is not None:  # whatever decodes re-encodes to the very same bytes
        assert wire.encode(msg) == frame


@given(st.binary(max_size=40).map(lambda tail: b"\x01" + tail))
def test_version_one_random_bodies(frame: bytes) -> None:
    msg = _decode_or_wire_error(frame)
    if msg is not None:
        assert wire.encode(msg) == frame


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(messages, st.data())
def test_mutated_frames_decode_or_raise_wire_error(msg: wire.Message, data: st.DataObject) -> None:
    frame = bytearray(wire.encode(msg))
    mutation = data.draw(st.sampled_from(["flip", "truncate", "extend", "splice"]))
    if mutation == "flip" and frame:
        index = data.draw(st.integers(0, len(frame) - 1))
        frame[index] ^= data.draw(st.integers(1, 255))
    elif mutation == "truncate":
        del frame[data.draw(st.integers(0, len(frame))) :]
    elif mutation == "extend":
        frame += data.draw(st.binary(min_size=1, max_size=8))
    else:
        index = data.draw(st.integers(0, len(frame)))
        frame[index:index] = data.draw(st.binary(min_size=1, max_size=4))
    decoded = _decode_or_wire_error(bytes(frame))
    if decoded is not None:
        assert wire.encode(decoded) == bytes(frame)
