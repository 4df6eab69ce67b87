"""The I/O-free RTMP pieces: AMF0, the chunk stream, the server connection, FLV, config."""

from __future__ import annotations

import contextlib
import itertools
import os
import struct
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swarmcast.segmenter import rtmp_amf
from swarmcast.segmenter.rtmp_chunks import (
    MSG_AUDIO,
    MSG_COMMAND_AMF0,
    MSG_DATA_AMF0,
    MSG_SET_CHUNK_SIZE,
    MSG_VIDEO,
    ChunkReader,
    ChunkStreamError,
    ChunkWriter,
    RtmpMessage,
)
from swarmcast.segmenter.rtmp_config import RtmpConfig
from swarmcast.segmenter.rtmp_flv import FlvPipe, flv_header, flv_tag
from swarmcast.segmenter.rtmp_protocol import (
    HANDSHAKE_SIZE,
    ConnectRequested,
    MediaKind,
    MediaReceived,
    PublishRequested,
    RtmpEvent,
    RtmpProtocolError,
    RtmpServerConnection,
    State,
    UnpublishRequested,
)

# -- AMF0 ---------------------------------------------------------------------------------------


def test_amf_round_trip() -> None:
    values: list[rtmp_amf.AmfValue] = [
        "connect",
        1.0,
        {"app": "live", "nested": {"x": True, "y": None}, "list": [1.0, "two"]},
        None,
        False,
        "é" * 3,
    ]
    assert rtmp_amf.decode_all(rtmp_amf.encode(*values)) == values


def test_amf_long_string_and_ecma_array() -> None:
    long_text = "x" * 70_000
    assert rtmp_amf.decode_all(rtmp_amf.encode(long_text)) == [long_text]
    # ECMA array (what onMetaData uses): marker 8, advisory count, properties, end marker.
    ecma = b"\x08\x00\x00\x00\x01" + b"\x00\x05width" + rtmp_amf.encode(640.0) + b"\x00\x00\x09"
    assert rtmp_amf.decode_all(ecma) == [{"width": 640.0}]


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x3f",  # truncated number
        b"\x02\x00\x05ab",  # truncated string
        b"\x03\x00\x01a\x00",  # object without end marker
        b"\x02\x00\x02\xff\xfe",  # invalid UTF-8
        b"\x0d",  # unsupported marker
        b"\x0a\xff\xff\xff\xff",  # absurd strict-array length
        b"\x03" * 40,  # nesting far too deep
    ],
)
def test_amf_rejects_malformed(data: bytes) -> None:
    with pytest.raises(rtmp_amf.AmfDecodeError):
        rtmp_amf.decode_all(data)


@given(st.binary(max_size=200))
@settings(max_examples=300, deadline=None)
def test_amf_garbage_never_escapes_as_another_error(data: bytes) -> None:
    with contextlib.suppress(rtmp_amf.AmfDecodeError):
        rtmp_amf.decode_all(data)


# -- chunk stream -------------------------------------------------------------------------------


def test_chunks_round_trip_across_chunk_sizes() -> None:
    writer = ChunkWriter()
    writer.chunk_size = 100
    payload = os.urandom(1000)
    wire = writer.encode(6, MSG_VIDEO, payload, stream_id=1, timestamp=1234)
    reader = ChunkReader()
    reader.set_chunk_size(100)
    messages = [m for i in range(len(wire)) for m in reader.feed(wire[i : i + 1])]
    assert messages == [RtmpMessage(MSG_VIDEO, 1, 1234, payload)]


def test_chunks_extended_timestamp_on_every_chunk() -> None:
    writer = ChunkWriter()
    payload = os.urandom(300)  # three chunks of 128
    wire = writer.encode(4, MSG_AUDIO, payload, stream_id=1, timestamp=0x01234567)
    assert ChunkReader().feed(wire) == [RtmpMessage(MSG_AUDIO, 1, 0x01234567, payload)]


def _chunk(fmt: int, csid: int, header: bytes, body: bytes) -> bytes:
    return bytes([(fmt << 6) | csid]) + header + body


def test_chunks_compressed_headers_inherit_fields() -> None:
    """Type 1, 2 and 3 headers reuse the previous header of the chunk stream (deltas add up)."""
    full = struct.pack(">I", 100)[1:] + struct.pack(">I", 3)[1:] + bytes([MSG_AUDIO])
    full += struct.pack("<I", 1)
    type1 = struct.pack(">I", 20)[1:] + struct.pack(">I", 2)[1:] + bytes([MSG_AUDIO])
    type2 = struct.pack(">I", 30)[1:]
    wire = (
        _chunk(0, 4, full, b"abc")
        + _chunk(1, 4, type1, b"de")
        + _chunk(2, 4, type2, b"fg")
        + _chunk(3, 4, b"", b"hi")  # a new message repeating the last delta (30)
    )
    assert ChunkReader().feed(wire) == [
        RtmpMessage(MSG_AUDIO, 1, 100, b"abc"),
        RtmpMessage(MSG_AUDIO, 1, 120, b"de"),
        RtmpMessage(MSG_AUDIO, 1, 150, b"fg"),
        RtmpMessage(MSG_AUDIO, 1, 180, b"hi"),
    ]


def test_chunks_two_byte_and_three_byte_chunk_stream_ids() -> None:
    header = b"\x00\x00\x00" + b"\x00\x00\x01" + bytes([MSG_AUDIO]) + b"\x01\x00\x00\x00"
    wire = b"\x00\x06" + header + b"A" + b"\x01\x10\x02" + header + b"B"
    reader = ChunkReader()
    assert [m.payload for m in reader.feed(wire)] == [b"A", b"B"]


def test_chunks_set_chunk_size_applies_to_the_next_chunk() -> None:
    writer = ChunkWriter()
    wire = writer.encode(2, MSG_SET_CHUNK_SIZE, struct.pack(">I", 4096))
    writer.chunk_size = 4096
    payload = os.urandom(3000)
    wire += writer.encode(6, MSG_VIDEO, payload, stream_id=1)
    messages = ChunkReader().feed(wire)
    assert messages[-1].payload == payload


@pytest.mark.parametrize(
    "wire",
    [
        b"\x44" + b"\x00" * 7,  # type 1 header on a never-seen chunk stream
        b"\x04\x00\x00\x00\xff\xff\xff\x09\x01\x00\x00\x00",  # 16 MiB message: over the limit
        # A second full header while a message is half received.
        b"\x04"
        + b"\x00" * 3
        + b"\x00\x01\x00\x09\x01\x00\x00\x00"
        + b"x" * 128
        + b"\x04"
        + b"\x00" * 11,
    ],
)
def test_chunks_reject_framing_violations(wire: bytes) -> None:
    with pytest.raises(ChunkStreamError):
        ChunkReader().feed(wire)


def test_chunks_bad_chunk_size_is_refused() -> None:
    with pytest.raises(ChunkStreamError):
        ChunkReader().set_chunk_size(0)


@given(
    payloads=st.lists(st.binary(min_size=0, max_size=700), min_size=1, max_size=6),
    chunk_size=st.integers(1, 300),
    cuts=st.lists(st.integers(0, 5000), max_size=20),
)
@settings(max_examples=200, deadline=None)
def test_chunks_any_split_yields_the_same_messages(
    payloads: list[bytes], chunk_size: int, cuts: list[int]
) -> None:
    writer = ChunkWriter()
    writer.chunk_size = chunk_size
    wire = b"".join(
        writer.encode(3 + i % 3, MSG_VIDEO, p, stream_id=1, timestamp=i * 40)
        for i, p in enumerate(payloads)
    )
    reader = ChunkReader()
    reader.set_chunk_size(chunk_size)
    points = sorted({min(c, len(wire)) for c in cuts} | {0, len(wire)})
    got = [m for a, b in itertools.pairwise(points) for m in reader.feed(wire[a:b])]
    assert [m.payload for m in got] == payloads
    assert [m.timestamp for m in got] == [i * 40 for i in range(len(payloads))]


# -- server connection ----------------------------------------------------------------------------


class ScriptedClient:
    """Just enough of an RTMP publisher to drive `RtmpServerConnection` in memory."""

    def __init__(self, server: RtmpServerConnection) -> None:
        self.server = server
        self.writer = ChunkWriter()
        self.reader = ChunkReader()
        self.replies: list[RtmpMessage] = []
        self._handshake_left = 1 + 2 * HANDSHAKE_SIZE

    def send(self, data: bytes) -> list[RtmpEvent]:
        events = self.server.receive_data(data)
        self.collect()
        return events

    def collect(self) -> None:
        data = self.server.data_to_send()
        if self._handshake_left:
            skipped = min(self._handshake_left, len(data))
            self._handshake_left -= skipped
            data = data[skipped:]
        for message in self.reader.feed(data):
            self.replies.append(message)

    def handshake(self) -> None:
        c1 = os.urandom(HANDSHAKE_SIZE)
        assert self.send(b"\x03" + c1) == []
        assert self.server.state is State.HANDSHAKE_C2
        self.send(os.urandom(HANDSHAKE_SIZE))
        assert self.server.state is State.AWAIT_CONNECT

    def command(self, *values: rtmp_amf.AmfValue, stream_id: int = 0) -> bytes:
        return self.writer.encode(
            3, MSG_COMMAND_AMF0, rtmp_amf.encode(*values), stream_id=stream_id
        )

    def connect(self, app: str = "live") -> bytes:
        return self.command("connect", 1.0, {"app": app, "tcUrl": f"rtmp://h/{app}"})

    def statuses(self) -> list[tuple[str, str]]:
        """(command name, info code) of every reply so far."""
        out = []
        for message in self.replies:
            if message.type_id != MSG_COMMAND_AMF0:
                continue
            values = rtmp_amf.decode_all(message.payload)
            info = values[3] if len(values) > 3 and isinstance(values[3], dict) else {}
            out.append((str(values[0]), str(info.get("code", ""))))
        return out


def _publishing_client(key: str = "secret") -> ScriptedClient:
    client = ScriptedClient(RtmpServerConnection())
    client.handshake()
    events = client.send(client.connect())
    assert events == [ConnectRequested("live", "rtmp://h/live")]
    client.server.accept_connect()
    client.collect()
    wire = client.command("releaseStream", 2.0, None, key)
    wire += client.command("FCPublish", 3.0, None, key)
    wire += client.command("createStream", 4.0, None)
    wire += client.command("publish", 5.0, None, key, "live", stream_id=1)
    assert client.send(wire) == [PublishRequested(key, "live")]
    return client


def test_connection_accepts_a_publish_and_passes_media() -> None:
    client = _publishing_client()
    client.server.accept_publish()
    client.collect()
    codes = client.statuses()
    assert ("_result", "NetConnection.Connect.Success") in codes
    assert ("onStatus", "NetStream.Publish.Start") in codes
    created = [
        rtmp_amf.decode_all(m.payload)
        for m in client.replies
        if m.type_id == MSG_COMMAND_AMF0 and rtmp_amf.decode_all(m.payload)[1] == 4.0
    ]
    assert created == [["_result", 4.0, None, 1.0]]

    meta = rtmp_amf.encode("@setDataFrame", "onMetaData", {"width": 640.0})
    wire = client.writer.encode(4, MSG_DATA_AMF0, meta, stream_id=1)
    wire += client.writer.encode(6, MSG_VIDEO, b"\x17\x00video", stream_id=1, timestamp=40)
    wire += client.writer.encode(4, MSG_AUDIO, b"\xaf\x01audio", stream_id=1, timestamp=42)
    events = client.send(wire)
    assert events == [
        MediaReceived(MediaKind.SCRIPT, 0, rtmp_amf.encode("onMetaData", {"width": 640.0})),
        MediaReceived(MediaKind.VIDEO, 40, b"\x17\x00video"),
        MediaReceived(MediaKind.AUDIO, 42, b"\xaf\x01audio"),
    ]
    assert client.send(client.command("FCUnpublish", 6.0, None, "secret")) == [UnpublishRequested()]


def test_connection_refusal_sends_an_error_status_and_takes_no_media() -> None:
    client = _publishing_client("wrong")
    client.server.reject_publish("NetStream.Publish.Denied", "invalid stream key")
    client.collect()
    assert client.statuses()[-1] == ("onStatus", "NetStream.Publish.Denied")
    assert client.server.state is State.CLOSED
    media = client.writer.encode(6, MSG_VIDEO, b"\x17\x00video", stream_id=1)
    assert client.send(media) == []


def test_connection_wrong_app_is_rejected_at_connect() -> None:
    client = ScriptedClient(RtmpServerConnection())
    client.handshake()
    assert client.send(client.connect("other")) == [ConnectRequested("other", "rtmp://h/other")]
    client.server.reject_connect("unknown application")
    client.collect()
    assert client.statuses() == [("_error", "NetConnection.Connect.Rejected")]
    assert client.server.state is State.CLOSED


def test_connection_defers_commands_pipelined_behind_connect() -> None:
    """A client that does not wait for connect's reply still gets every command handled."""
    client = ScriptedClient(RtmpServerConnection())
    client.handshake()
    wire = client.connect() + client.command("createStream", 2.0, None)
    wire += client.command("publish", 3.0, None, "k", "live", stream_id=1)
    wire += client.writer.encode(6, MSG_VIDEO, b"\x17\x00early", stream_id=1)
    assert client.send(wire) == [ConnectRequested("live", "rtmp://h/live")]
    assert client.server.accept_connect() == [PublishRequested("k", "live")]
    assert client.server.accept_publish() == [MediaReceived(MediaKind.VIDEO, 0, b"\x17\x00early")]


def test_connection_ignores_media_before_publish() -> None:
    client = ScriptedClient(RtmpServerConnection())
    client.handshake()
    client.send(client.connect())
    client.server.accept_connect()
    assert client.send(client.writer.encode(6, MSG_VIDEO, b"\x17\x00x", stream_id=1)) == []


@pytest.mark.parametrize(
    "first_bytes",
    [b"GET / HTTP/1.1\r\n", b"\x16\x03\x01\x02\x00", b"\x06" + b"\x00" * 1536],
)
def test_connection_rejects_non_rtmp_bytes(first_bytes: bytes) -> None:
    with pytest.raises(RtmpProtocolError):
        RtmpServerConnection().receive_data(first_bytes)


def test_connection_rejects_commands_before_connect_and_garbage_chunks() -> None:
    client = ScriptedClient(RtmpServerConnection())
    client.handshake()
    with pytest.raises(RtmpProtocolError):
        client.send(client.command("publish", 1.0, None, "k"))
    client = ScriptedClient(RtmpServerConnection())
    client.handshake()
    with pytest.raises(RtmpProtocolError):
        client.send(client.writer.encode(3, MSG_COMMAND_AMF0, b"\x02\x00\x09trunc"))


@given(st.binary(min_size=1, max_size=600))
@settings(max_examples=300, deadline=None)
def test_connection_garbage_after_handshake_is_a_clean_protocol_error(garbage: bytes) -> None:
    client = ScriptedClient(RtmpServerConnection())
    client.handshake()
    with contextlib.suppress(RtmpProtocolError):
        client.send(garbage)


def test_connection_limits_message_size_until_the_publish_is_accepted() -> None:
    big = os.urandom(1024 * 1024)
    client = ScriptedClient(RtmpServerConnection())
    client.handshake()
    client.writer.chunk_size = 128
    with pytest.raises(RtmpProtocolError, match="exceeds the limit"):
        client.send(client.writer.encode(6, MSG_VIDEO, big, stream_id=1))

    client = _publishing_client()
    client.server.accept_publish()
    events = client.send(client.writer.encode(6, MSG_VIDEO, big, stream_id=1))
    assert events == [MediaReceived(MediaKind.VIDEO, 0, big)]


def test_connection_acknowledges_each_window() -> None:
    client = _publishing_client()
    client.server.accept_publish()
    client.collect()
    client.send(client.writer.encode(2, 5, struct.pack(">I", 1000)))  # Window Ack Size 1000
    client.send(client.writer.encode(6, MSG_VIDEO, b"\x17" + b"v" * 1200, stream_id=1))
    acks = [m for m in client.replies if m.type_id == 3]
    assert len(acks) == 1
    assert struct.unpack(">I", acks[0].payload)[0] == client.server._received


# -- FLV and the pipe ----------------------------------------------------------------------------


def test_flv_header_and_tag_layout() -> None:
    assert flv_header(audio=True, video=False) == b"FLV\x01\x04\x00\x00\x00\x09\x00\x00\x00\x00"
    tag = flv_tag(9, 0x01020304, b"body")
    assert tag[:11] == b"\x09\x00\x00\x04\x02\x03\x04\x01\x00\x00\x00"
    assert tag[11:15] == b"body"
    assert struct.unpack(">I", tag[15:])[0] == 15


def test_pipe_reads_in_order_with_backpressure() -> None:
    drained = threading.Event()
    pipe = FlvPipe(high_water=10, low_water=4, on_drained=drained.set)
    assert pipe.write(b"abcdef")
    assert not pipe.write(b"ghijkl")  # 12 > high water: pause
    assert pipe.read(3) == b"abc"
    assert not drained.is_set()  # 9 left, not below low water yet
    assert pipe.read(6) == b"defghi"
    assert drained.is_set()
    pipe.end()
    assert pipe.read(100) == b"jkl"
    assert pipe.read(100) == b""  # EOF after the buffered bytes


def test_pipe_cancel_and_interrupt_wake_a_blocked_reader() -> None:
    pipe = FlvPipe(poll_interval=0.05)
    result: list[bytes] = []
    reader = threading.Thread(target=lambda: result.append(pipe.read(10)))
    reader.start()
    pipe.cancel()
    reader.join(timeout=5)
    assert result == [b""]
    assert pipe.write(b"more")  # a cancelled pipe swallows writes without pausing anyone

    pipe = FlvPipe(poll_interval=0.05)
    pipe.interrupt = threading.Event()
    reader = threading.Thread(target=lambda: result.append(pipe.read(10)))
    reader.start()
    pipe.interrupt.set()
    reader.join(timeout=5)
    assert not reader.is_alive()
    assert result == [b"", b""]


# -- config ---------------------------------------------------------------------------------------


def test_config_maps_keys_to_streams_and_hides_them() -> None:
    keys = {"k-demo": "demo", "k-other": "other"}
    config = RtmpConfig(stream_keys=keys)
    keys["k-demo"] = "changed"  # the config keeps its own copy
    assert config.stream_for_key("k-demo") == "demo"
    assert config.stream_for_key("k-other") == "other"
    assert config.stream_for_key("k-dem") is None
    assert config.stream_for_key("") is None
    assert "k-demo" not in repr(config)  # secrets stay out of logs and tracebacks
    assert config.publish_url("KEY") == "rtmp://127.0.0.1:1935/live/KEY"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"stream_keys": {"": "demo"}},
        {"stream_keys": {"k": "bad name"}},
        {"port": 70000},
        {"app": "a/b"},
        {"setup_timeout": 0},
        {"buffer_low_water": 10, "buffer_high_water": 5},
    ],
)
def test_config_validates(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RtmpConfig(**kwargs)  # type: ignore[arg-type]
