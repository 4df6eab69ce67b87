"""Server side of one RTMP publishing connection, without I/O (aioquic-style core).

Feed received bytes to `receive_data()`; it returns events (`ConnectRequested`,
`PublishRequested`, `MediaReceived`, `UnpublishRequested`) and queues replies that
`data_to_send()` hands out. The owner decides on connect and publish requests by calling
`accept_*` / `reject_*`: the stream key is checked there, before any media is accepted. Media
that arrives before an accepted publish is dropped. Violations raise `RtmpProtocolError`; the
owner then closes the socket.

Handshake: the plain (unsigned) RTMP handshake, as FFmpeg's own listener does it. S1 carries a
zero version, which makes FP9-style clients (librtmp/OBS) skip digest validation.
"""

from __future__ import annotations

import enum
import os
import struct
from dataclasses import dataclass

from swarmcast.segmenter import rtmp_amf
from swarmcast.segmenter.rtmp_chunks import (
    MAX_MESSAGE_SIZE,
    MSG_ABORT,
    MSG_AUDIO,
    MSG_COMMAND_AMF0,
    MSG_COMMAND_AMF3,
    MSG_DATA_AMF0,
    MSG_DATA_AMF3,
    MSG_SET_CHUNK_SIZE,
    MSG_SET_PEER_BANDWIDTH,
    MSG_USER_CONTROL,
    MSG_VIDEO,
    MSG_WINDOW_ACK_SIZE,
    UNAUTHENTICATED_MESSAGE_SIZE,
    ChunkReader,
    ChunkStreamError,
    ChunkWriter,
    RtmpMessage,
)

HANDSHAKE_SIZE = 1536
RTMP_VERSION = 3
_MSG_ACKNOWLEDGEMENT = 3
_USER_CONTROL_STREAM_BEGIN = 0
_CONTROL_CHUNK_STREAM = 2
_COMMAND_CHUNK_STREAM = 3
_MEDIA_STREAM_ID = 1  # the one message stream createStream hands out
_MAX_CREATE_STREAM = 8  # publishers call createStream once; more is a misbehaving client
_SET_DATA_FRAME = rtmp_amf.encode("@setDataFrame")


class RtmpProtocolError(ValueError):
    """The peer violated the protocol; close the connection."""


class MediaKind(enum.IntEnum):
    """RTMP message type ids of media messages; equal to FLV tag types."""

    AUDIO = MSG_AUDIO
    VIDEO = MSG_VIDEO
    SCRIPT = MSG_DATA_AMF0


@dataclass(frozen=True, slots=True)
class ConnectRequested:
    """`connect` command: the client names the application (`live` in `rtmp://h/live/key`)."""

    app: str
    tc_url: str


@dataclass(frozen=True, slots=True)
class PublishRequested:
    """`publish` command: the stream name is the stream key."""

    stream_key: str
    publish_type: str


@dataclass(frozen=True, slots=True)
class MediaReceived:
    """An audio, video or script-data (metadata) message of the accepted publish."""

    kind: MediaKind
    timestamp: int
    """Milliseconds on the publisher's clock."""
    payload: bytes
    """Exactly an FLV tag body (for SCRIPT: `onMetaData` + its array, `@setDataFrame` removed)."""


@dataclass(frozen=True, slots=True)
class UnpublishRequested:
    """The publisher says it is done (`FCUnpublish` / `deleteStream` / `closeStream`)."""


RtmpEvent = ConnectRequested | PublishRequested | MediaReceived | UnpublishRequested


class State(enum.Enum):
    HANDSHAKE_C0C1 = "awaiting C0+C1"
    HANDSHAKE_C2 = "awaiting C2"
    AWAIT_CONNECT = "awaiting connect"
    CONNECT_PENDING = "connect being decided"
    CONNECTED = "connected"
    PUBLISH_PENDING = "publish being decided"
    PUBLISHING = "publishing"
    CLOSED = "closed"


_DECISION_PENDING = (State.CONNECT_PENDING, State.PUBLISH_PENDING)


class RtmpServerConnection:
    """One client connection's protocol state; see the module docstring."""

    def __init__(self, *, chunk_size: int = 4096, window_ack_size: int = 2_500_000) -> None:
        self.state = State.HANDSHAKE_C0C1
        self.app = ""
        self.stream_key = ""
        self._inbox = bytearray()
        self._outbox = bytearray()
        self._reader = ChunkReader()
        # Until a publish is accepted nobody has shown a key: keep what they can make us hold
        # small (a connect command is a few hundred bytes).
        self._reader.max_message_size = UNAUTHENTICATED_MESSAGE_SIZE
        self._writer = ChunkWriter()
        self._chunk_size = chunk_size
        self._window_ack_size = window_ack_size
        self._peer_window = 0  # the client's Window Acknowledgement Size; 0 = no acks wanted
        self._received = 0
        self._acknowledged = 0
        self._connect_transaction = 0.0
        self._object_encoding = 0.0
        self._publish_transaction = 0.0
        self._publish_stream_id = _MEDIA_STREAM_ID
        self._streams_created = 0
        self._deferred: list[RtmpMessage] = []

    # -- public API --------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> list[RtmpEvent]:
        """Process received bytes; raises `RtmpProtocolError` on a violation."""
        if self.state is State.CLOSED:
            return []
        self._received += len(data)
        self._inbox += data
        if self.state is State.HANDSHAKE_C0C1:
            if len(self._inbox) < 1 + HANDSHAKE_SIZE:
                if self._inbox and self._inbox[0] != RTMP_VERSION:
                    raise RtmpProtocolError(f"not RTMP (first byte 0x{self._inbox[0]:02x})")
                return []
            if self._inbox[0] != RTMP_VERSION:
                raise RtmpProtocolError(f"unsupported RTMP version {self._inbox[0]}")
            client_c1 = bytes(self._inbox[1 : 1 + HANDSHAKE_SIZE])
            del self._inbox[: 1 + HANDSHAKE_SIZE]
            # S1: time, zero version, random; S2 echoes C1 (time, time2, C1's random).
            server_s1 = b"\x00" * 8 + os.urandom(HANDSHAKE_SIZE - 8)
            self._outbox += bytes([RTMP_VERSION]) + server_s1 + client_c1
            self.state = State.HANDSHAKE_C2
        if self.state is State.HANDSHAKE_C2:
            if len(self._inbox) < HANDSHAKE_SIZE:
                return []
            del self._inbox[:HANDSHAKE_SIZE]  # C2 echoes S1; nothing in it is worth checking
            self.state = State.AWAIT_CONNECT
        chunk_bytes = bytes(self._inbox)
        self._inbox.clear()
        try:
            self._deferred += self._reader.feed(chunk_bytes)
        except ChunkStreamError as exc:
            raise RtmpProtocolError(str(exc)) from exc
        self._maybe_acknowledge()
        return self._process_deferred()

    def data_to_send(self) -> bytes:
        data = bytes(self._outbox)
        self._outbox.clear()
        return data

    def accept_connect(self) -> list[RtmpEvent]:
        """Answer the pending `connect`; returns events of messages that arrived meanwhile."""
        self._expect(State.CONNECT_PENDING)
        self._send_control(MSG_WINDOW_ACK_SIZE, struct.pack(">I", self._window_ack_size))
        self._send_control(MSG_SET_PEER_BANDWIDTH, struct.pack(">IB", self._window_ack_size, 2))
        self._send_control(MSG_SET_CHUNK_SIZE, struct.pack(">I", self._chunk_size))
        self._writer.chunk_size = self._chunk_size
        self._send_command(
            "_result",
            self._connect_transaction,
            {"fmsVer": "FMS/3,0,1,123", "capabilities": 31.0},
            {
                "level": "status",
                "code": "NetConnection.Connect.Success",
                "description": "Connection succeeded.",
                "objectEncoding": self._object_encoding,
            },
        )
        self.state = State.CONNECTED
        return self._process_deferred()

    def reject_connect(self, description: str) -> None:
        self._expect(State.CONNECT_PENDING)
        self._send_command(
            "_error",
            self._connect_transaction,
            None,
            {
                "level": "error",
                "code": "NetConnection.Connect.Rejected",
                "description": description,
            },
        )
        self.state = State.CLOSED

    def accept_publish(self) -> list[RtmpEvent]:
        """Start the pending publish; returns events of messages that arrived meanwhile."""
        self._expect(State.PUBLISH_PENDING)
        self._send_control(
            MSG_USER_CONTROL,
            struct.pack(">HI", _USER_CONTROL_STREAM_BEGIN, self._publish_stream_id),
        )
        self._send_status("status", "NetStream.Publish.Start", "Publishing.")
        self._reader.max_message_size = MAX_MESSAGE_SIZE
        self.state = State.PUBLISHING
        return self._process_deferred()

    def reject_publish(self, code: str, description: str) -> None:
        """Refuse the publish (e.g. `NetStream.Publish.BadName`); the caller closes afterwards."""
        self._expect(State.PUBLISH_PENDING)
        self._send_status("error", code, description)
        self.state = State.CLOSED

    # -- message handling --------------------------------------------------------------------

    def _expect(self, state: State) -> None:
        if self.state is not state:
            raise RuntimeError(f"not possible in state {self.state.value}")

    def _process_deferred(self) -> list[RtmpEvent]:
        """Handle queued messages until a decision is pending (connect/publish) or none is left.

        Clients may pipeline commands behind `connect`/`publish`; they must be seen in the
        state the decision produces, so they wait here instead of being handled early.
        """
        events: list[RtmpEvent] = []
        try:
            while self._deferred and self.state not in _DECISION_PENDING:
                self._handle_message(self._deferred.pop(0), events)
        except rtmp_amf.AmfDecodeError as exc:
            raise RtmpProtocolError(str(exc)) from exc
        if self.state is State.CLOSED:
            self._deferred.clear()
        return events

    def _handle_message(self, message: RtmpMessage, events: list[RtmpEvent]) -> None:
        if self.state is State.CLOSED:
            return
        type_id = message.type_id
        if type_id == MSG_SET_CHUNK_SIZE:
            return  # already applied by the chunk reader
        if type_id == MSG_ABORT:
            if len(message.payload) >= 4:
                self._reader.abort(struct.unpack_from(">I", message.payload)[0])
            return
        if type_id == MSG_WINDOW_ACK_SIZE:
            if len(message.payload) >= 4:
                self._peer_window = struct.unpack_from(">I", message.payload)[0]
            return
        if type_id in (MSG_COMMAND_AMF0, MSG_COMMAND_AMF3):
            body = message.payload
            if type_id == MSG_COMMAND_AMF3 and body[:1] == b"\x00":
                body = body[1:]  # AMF3 command messages start with an AMF0-switch byte
            self._handle_command(message.stream_id, rtmp_amf.decode_all(body), events)
            return
        if self.state is not State.PUBLISHING or message.stream_id != self._publish_stream_id:
            return  # control we do not need, or media before/outside the accepted publish
        if type_id in (MSG_AUDIO, MSG_VIDEO):
            if message.payload:
                events.append(MediaReceived(MediaKind(type_id), message.timestamp, message.payload))
        elif type_id in (MSG_DATA_AMF0, MSG_DATA_AMF3):
            body = message.payload
            if type_id == MSG_DATA_AMF3 and body[:1] == b"\x00":
                body = body[1:]
            if body.startswith(_SET_DATA_FRAME):
                body = body[len(_SET_DATA_FRAME) :]
            if body:
                events.append(MediaReceived(MediaKind.SCRIPT, message.timestamp, body))

    def _handle_command(
        self, stream_id: int, values: list[rtmp_amf.AmfValue], events: list[RtmpEvent]
    ) -> None:
        if not values or not isinstance(values[0], str):
            raise RtmpProtocolError("command message without a name")
        name = values[0]
        transaction = values[1] if len(values) > 1 and isinstance(values[1], float) else 0.0
        args = values[3:]  # values[2] is the command object (usually null)
        if name == "connect":
            if self.state is not State.AWAIT_CONNECT:
                raise RtmpProtocolError("connect sent twice")
            command_object = values[2] if len(values) > 2 else None
            if not isinstance(command_object, dict):
                raise RtmpProtocolError("connect without a command object")
            app, tc_url = command_object.get("app"), command_object.get("tcUrl", "")
            encoding = command_object.get("objectEncoding", 0.0)
            self.app = app if isinstance(app, str) else ""
            self._object_encoding = encoding if isinstance(encoding, float) else 0.0
            self._connect_transaction = transaction
            self.state = State.CONNECT_PENDING
            events.append(ConnectRequested(self.app, tc_url if isinstance(tc_url, str) else ""))
            return
        if self.state is State.AWAIT_CONNECT:
            raise RtmpProtocolError(f"{name!r} before connect")
        if name in ("releaseStream", "FCPublish"):
            if transaction:
                self._send_command("_result", transaction, None)
        elif name == "createStream":
            self._streams_created += 1
            if self._streams_created > _MAX_CREATE_STREAM:
                raise RtmpProtocolError("too many createStream calls")
            self._send_command("_result", transaction, None, float(_MEDIA_STREAM_ID))
        elif name == "publish":
            if self.state is not State.CONNECTED:
                raise RtmpProtocolError(f"publish while {self.state.value}")
            key = args[0] if args else None
            if not isinstance(key, str) or not key:
                raise RtmpProtocolError("publish without a stream name")
            publish_type = args[1] if len(args) > 1 and isinstance(args[1], str) else "live"
            self.stream_key = key
            self._publish_transaction = transaction
            self._publish_stream_id = stream_id or _MEDIA_STREAM_ID
            self.state = State.PUBLISH_PENDING
            events.append(PublishRequested(key, publish_type))
        elif name in ("FCUnpublish", "deleteStream", "closeStream"):
            if self.state is State.PUBLISHING:
                self.state = State.CONNECTED
                events.append(UnpublishRequested())
        elif name in ("play", "play2"):
            # An ingest point, not a player endpoint: say so rather than leave the client hanging.
            self._send_status("error", "NetStream.Play.Failed", "playback is served over HTTP")
            self.state = State.CLOSED
        elif transaction:
            # Unknown calls with a transaction get an error reply so clients do not wait.
            self._send_command("_error", transaction, None, {"level": "error", "code": name})

    # -- sending -----------------------------------------------------------------------------

    def _send_control(self, type_id: int, payload: bytes) -> None:
        self._outbox += self._writer.encode(_CONTROL_CHUNK_STREAM, type_id, payload)

    def _send_command(self, name: str, transaction: float, *values: rtmp_amf.AmfValue) -> None:
        payload = rtmp_amf.encode(name, transaction, *values)
        self._outbox += self._writer.encode(_COMMAND_CHUNK_STREAM, MSG_COMMAND_AMF0, payload)

    def _send_status(self, level: str, code: str, description: str) -> None:
        info: rtmp_amf.AmfValue = {"level": level, "code": code, "description": description}
        payload = rtmp_amf.encode("onStatus", 0.0, None, info)
        self._outbox += self._writer.encode(
            _COMMAND_CHUNK_STREAM, MSG_COMMAND_AMF0, payload, stream_id=self._publish_stream_id
        )

    def _maybe_acknowledge(self) -> None:
        """Acknowledge every window of received bytes, as the client asked (section 5.4.3)."""
        if self._peer_window and self._received - self._acknowledged >= self._peer_window:
            self._acknowledged = self._received
            self._send_control(_MSG_ACKNOWLEDGEMENT, struct.pack(">I", self._received & 0xFFFFFFFF))
