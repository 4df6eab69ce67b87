"""The RTMP chunk stream: splitting messages into chunks and reassembling them (I/O-free).

RTMP multiplexes messages over "chunk streams"; each chunk carries a compressed header that
inherits fields from the previous chunk of the same chunk stream (Adobe RTMP 1.0, section 5.3).
`ChunkReader` turns received bytes into whole `RtmpMessage`s; `ChunkWriter` does the reverse.
Limits on message size and on bytes held in partial messages keep a hostile peer from making
the reader buffer without bound.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

DEFAULT_CHUNK_SIZE = 128  # until a Set Chunk Size message says otherwise
MAX_CHUNK_SIZE = 0xFFFFFF  # larger chunk sizes behave like "whole messages"; clamp
MAX_MESSAGE_SIZE = 8 * 1024 * 1024  # one video frame; 8 MiB is far beyond any sane bitrate
UNAUTHENTICATED_MESSAGE_SIZE = 64 * 1024  # commands before the publish is accepted are tiny
_EXTENDED_TIMESTAMP = 0xFFFFFF

# Message type ids (section 5.4 and 7.1).
MSG_SET_CHUNK_SIZE = 1
MSG_ABORT = 2
MSG_ACKNOWLEDGEMENT = 3
MSG_USER_CONTROL = 4
MSG_WINDOW_ACK_SIZE = 5
MSG_SET_PEER_BANDWIDTH = 6
MSG_AUDIO = 8
MSG_VIDEO = 9
MSG_DATA_AMF3 = 15
MSG_COMMAND_AMF3 = 17
MSG_DATA_AMF0 = 18
MSG_COMMAND_AMF0 = 20
MSG_AGGREGATE = 22


class ChunkStreamError(ValueError):
    """The peer broke the chunk stream framing or exceeded a limit."""


@dataclass(frozen=True)
class RtmpMessage:
    """One reassembled RTMP message."""

    type_id: int
    stream_id: int
    timestamp: int  # milliseconds, 32-bit wrapping as on the wire
    payload: bytes


@dataclass
class _ChunkStreamState:
    """What a chunk stream's next compressed header inherits."""

    timestamp: int = 0
    timestamp_delta: int = 0
    length: int = 0
    type_id: int = 0
    stream_id: int = 0
    extended: bool = False  # the last header carried an extended timestamp
    partial: bytearray = field(default_factory=bytearray)


class ChunkReader:
    """Reassembles messages from the bytes after the handshake."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._streams: dict[int, _ChunkStreamState] = {}
        self._chunk_size = DEFAULT_CHUNK_SIZE
        self._partial_bytes = 0
        self.max_message_size = MAX_MESSAGE_SIZE
        """Larger messages are a `ChunkStreamError`; unfinished ones may hold twice this."""

    def set_chunk_size(self, size: int) -> None:
        """Apply the peer's Set Chunk Size message (section 5.4.1)."""
        if size < 1 or size > 0x7FFFFFFF:
            raise ChunkStreamError(f"invalid chunk size {size}")
        self._chunk_size = min(size, MAX_CHUNK_SIZE)

    def abort(self, chunk_stream_id: int) -> None:
        """Drop a partially received message (Abort message, section 5.4.2)."""
        state = self._streams.get(chunk_stream_id)
        if state is not None:
            self._partial_bytes -= len(state.partial)
            state.partial = bytearray()

    def feed(self, data: bytes) -> list[RtmpMessage]:
        """Add received bytes; return the messages they complete, in order."""
        self._buffer += data
        messages: list[RtmpMessage] = []
        offset = 0
        while True:
            parsed = self._parse_chunk(offset)
            if parsed is None:
                break
            offset, message = parsed
            if message is not None:
                messages.append(message)
                # Set Chunk Size changes how the very next chunk is framed: apply it now.
                if message.type_id == MSG_SET_CHUNK_SIZE:
                    if len(message.payload) < 4:
                        raise ChunkStreamError("short Set Chunk Size message")
                    self.set_chunk_size(struct.unpack_from(">I", message.payload)[0] & 0x7FFFFFFF)
        del self._buffer[:offset]
        return messages

    def _parse_chunk(self, offset: int) -> tuple[int, RtmpMessage | None] | None:
        """Parse one chunk at `offset`; None when more bytes are needed."""
        buf = self._buffer
        if offset >= len(buf):
            return None
        first = buf[offset]
        fmt = first >> 6
        pos = offset + 1
        chunk_stream_id = first & 0x3F
        if chunk_stream_id == 0:
            if pos + 1 > len(buf):
                return None
            chunk_stream_id = buf[pos] + 64
            pos += 1
        elif chunk_stream_id == 1:
            if pos + 2 > len(buf):
                return None
            chunk_stream_id = buf[pos] + buf[pos + 1] * 256 + 64
            pos += 2

        header_size = (11, 7, 3, 0)[fmt]
        if pos + header_size > len(buf):
            return None
        state = self._streams.get(chunk_stream_id)
        if state is None:
            if fmt != 0:
                raise ChunkStreamError(f"chunk stream {chunk_stream_id} starts with a short header")
            if len(self._streams) >= 256:
                raise ChunkStreamError("too many chunk streams")
            state = _ChunkStreamState()
        continuing = fmt == 3 and len(state.partial) > 0

        timestamp_field = 0
        length = state.length
        type_id = state.type_id
        stream_id = state.stream_id
        if fmt <= 2:
            timestamp_field = int.from_bytes(buf[pos : pos + 3], "big")
        if fmt <= 1:
            length = int.from_bytes(buf[pos + 3 : pos + 6], "big")
            type_id = buf[pos + 6]
        if fmt == 0:
            stream_id = int.from_bytes(buf[pos + 7 : pos + 11], "little")
        pos += header_size

        extended = timestamp_field == _EXTENDED_TIMESTAMP if fmt <= 2 else state.extended
        if extended:
            if pos + 4 > len(buf):
                return None
            extended_value = int.from_bytes(buf[pos : pos + 4], "big")
            pos += 4
            if fmt <= 2:
                timestamp_field = extended_value

        if fmt != 3 and state.partial:
            raise ChunkStreamError(f"new message header inside a message on {chunk_stream_id}")
        if length > self.max_message_size:
            raise ChunkStreamError(f"message of {length} bytes exceeds the limit")

        remaining = length - len(state.partial)
        take = min(remaining, self._chunk_size)
        if pos + take > len(buf):
            return None

        # The chunk is complete: only now commit its header to the state.
        self._streams[chunk_stream_id] = state
        if not continuing:
            if fmt == 0:
                state.timestamp = timestamp_field
                state.timestamp_delta = timestamp_field
            elif fmt in (1, 2):
                state.timestamp_delta = timestamp_field
                state.timestamp = (state.timestamp + timestamp_field) & 0xFFFFFFFF
            else:  # a new message with the previous header repeated
                state.timestamp = (state.timestamp + state.timestamp_delta) & 0xFFFFFFFF
            state.length = length
            state.type_id = type_id
            state.stream_id = stream_id
        state.extended = extended

        state.partial += buf[pos : pos + take]
        self._partial_bytes += take
        pos += take
        if self._partial_bytes > 2 * self.max_message_size:
            raise ChunkStreamError("too many bytes in unfinished messages")
        if len(state.partial) < state.length:
            return pos, None
        payload = bytes(state.partial)
        self._partial_bytes -= len(state.partial)
        state.partial = bytearray()
        return pos, RtmpMessage(state.type_id, state.stream_id, state.timestamp, payload)


class ChunkWriter:
    """Frames outgoing messages; always full (type 0) headers, which every peer accepts."""

    def __init__(self) -> None:
        self.chunk_size = DEFAULT_CHUNK_SIZE

    def encode(
        self,
        chunk_stream_id: int,
        type_id: int,
        payload: bytes,
        *,
        stream_id: int = 0,
        timestamp: int = 0,
    ) -> bytes:
        if not 2 <= chunk_stream_id <= 63:
            raise ValueError("only one-byte chunk stream ids are used for sending")
        extended = timestamp >= _EXTENDED_TIMESTAMP
        header = (
            bytes([chunk_stream_id])
            + struct.pack(">I", _EXTENDED_TIMESTAMP if extended else timestamp)[1:]
        )
        header += struct.pack(">I", len(payload))[1:] + bytes([type_id])
        header += struct.pack("<I", stream_id)
        extended_bytes = struct.pack(">I", timestamp) if extended else b""
        out = bytearray(header + extended_bytes)
        continuation = bytes([0xC0 | chunk_stream_id]) + extended_bytes
        for start in range(0, max(len(payload), 1), self.chunk_size):
            if start:
                out += continuation
            out += payload[start : start + self.chunk_size]
        return bytes(out)
