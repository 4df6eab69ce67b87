"""Repackaging a publish as an FLV byte stream, and the pipe that carries it to PyAV.

RTMP audio/video/script messages are FLV tag bodies already, so a publish becomes an FLV file
by prefixing each with an 11-byte tag header. `FlvPipe` carries those bytes from the asyncio
RTMP server thread to the decoder thread, where PyAV reads it as a file object. It is bounded:
above `high_water` bytes the writer is told to pause reading from the socket (TCP backpressure
reaches the publisher), and the reader wakes it once it drains below `low_water`.
"""

from __future__ import annotations

import collections
import struct
import threading
from collections.abc import Callable

FLV_HEADER_FLAG_AUDIO = 0x04
FLV_HEADER_FLAG_VIDEO = 0x01


def flv_header(*, audio: bool, video: bool) -> bytes:
    """FLV file header plus PreviousTagSize0. The flags tell FFmpeg which streams to expect."""
    flags = (FLV_HEADER_FLAG_AUDIO if audio else 0) | (FLV_HEADER_FLAG_VIDEO if video else 0)
    return b"FLV\x01" + bytes([flags]) + struct.pack(">I", 9) + struct.pack(">I", 0)


def flv_tag(tag_type: int, timestamp: int, body: bytes) -> bytes:
    """One FLV tag: header (type, size, timestamp + extension byte, stream id 0), body, size."""
    timestamp &= 0xFFFFFFFF
    header = (
        bytes([tag_type])
        + struct.pack(">I", len(body))[1:]
        + struct.pack(">I", timestamp & 0xFFFFFF)[1:]
        + bytes([timestamp >> 24])
        + b"\x00\x00\x00"
    )
    return header + body + struct.pack(">I", len(header) + len(body))


class FlvPipe:
    """A bounded byte FIFO from one writer thread to one blocking reader thread.

    `read()` blocks until data, end of stream, or `cancel()`; it returns b"" for the latter two,
    which PyAV takes as end of file. The writer never blocks: `write()` returns False once the
    buffer is above `high_water`, and `on_drained` is called (from the reader's thread) when it
    falls below `low_water` again.
    """

    def __init__(
        self,
        *,
        high_water: int = 8 * 1024 * 1024,
        low_water: int = 2 * 1024 * 1024,
        on_drained: Callable[[], None] | None = None,
        poll_interval: float = 0.25,
    ) -> None:
        self.high_water = high_water
        self.low_water = low_water
        self.on_drained = on_drained
        self.poll_interval = poll_interval
        self._chunks: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._eof = False
        self._cancelled = False
        self._paused = False
        self._cond = threading.Condition()
        self.interrupt: threading.Event | None = None
        """Set by the reader's owner (e.g. the source's `stop`): a waiting read returns b""."""

    @property
    def buffered(self) -> int:
        return self._buffered

    @property
    def finished(self) -> bool:
        """True once the writer ended the stream or the reader cancelled it."""
        return self._eof or self._cancelled

    def write(self, data: bytes) -> bool:
        """Append bytes; False means "above high water: pause until `on_drained`"."""
        with self._cond:
            if self._eof or self._cancelled:
                return True  # nobody will read it; do not stall the writer either
            if data:
                self._chunks.append(data)
                self._buffered += len(data)
                self._cond.notify_all()
            self._paused = self._buffered > self.high_water
            return not self._paused

    def end(self) -> None:
        """The writer is done (publisher left); the reader sees EOF after the buffered bytes."""
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def cancel(self) -> None:
        """Stop now: pending and future reads return b"", buffered bytes are dropped."""
        with self._cond:
            self._cancelled = True
            self._chunks.clear()
            self._buffered = 0
            self._cond.notify_all()
        self._notify_drained()

    def read(self, size: int = -1) -> bytes:
        """Blocking read of up to `size` bytes (all buffered bytes if negative)."""
        drained = False
        with self._cond:
            while not self._chunks and not self._eof and not self._cancelled:
                if self.interrupt is not None and self.interrupt.is_set():
                    return b""
                self._cond.wait(self.poll_interval)
            if self._cancelled or not self._chunks:
                return b""
            out = bytearray()
            while self._chunks and (size < 0 or len(out) < size):
                chunk = self._chunks.popleft()
                room = len(chunk) if size < 0 else size - len(out)
                if len(chunk) > room:
                    self._chunks.appendleft(chunk[room:])
                    chunk = chunk[:room]
                out += chunk
            self._buffered -= len(out)
            if self._paused and self._buffered < self.low_water:
                self._paused = False
                drained = True
        if drained:
            self._notify_drained()
        return bytes(out)

    def _notify_drained(self) -> None:
        if self.on_drained is not None:
            self.on_drained()
