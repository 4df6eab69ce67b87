"""PeerLink's own bookkeeping, without a connection (no ICE: nothing leaves the process)."""

from __future__ import annotations

import asyncio
from typing import Any

from swarmcast.peer.channel_window import ChannelWindowConfig
from swarmcast.peer.peer_link import PeerLink
from swarmcast.protocol import wire


class Handlers:
    def __init__(self) -> None:
        self.messages: list[wire.Message] = []

    def link_open(self, link: PeerLink) -> None:
        pass

    def link_message(self, link: PeerLink, message: wire.Message) -> None:
        self.messages.append(message)

    def link_closed(self, link: PeerLink, reason: str) -> None:
        pass

    def link_violation(self, link: PeerLink, reason: str) -> None:
        pass


async def _no_signal(kind: str, data: dict[str, Any]) -> None:
    pass


async def test_frames_are_counted_by_type_both_ways() -> None:
    handlers = Handlers()
    link = PeerLink(
        "p1", initiator=False, ice_servers=(), send_signal=_no_signal, handlers=handlers,
    )  # fmt: skip
    try:
        link.send(wire.HaveDelta(4))
        link.send(wire.HaveDelta(5))
        link.send(wire.Piece(1, 4, 0, b"x" * 100))
        link._on_message(wire.encode(wire.Request(1, 4, 0, 2)))
        link._on_message(wire.encode(wire.HavePieces.from_pieces(6, [0, 1])))
        assert link.frames_sent == {"HAVE_DELTA": 2, "PIECE": 1}
        assert link.frames_received == {"REQUEST": 1, "HAVE_PIECES": 1}
        assert len(handlers.messages) == 2
        assert link.queued_pieces() == 1
    finally:
        await link.close("test over")


class _Channel:
    """The part of an open RTCDataChannel the writer uses; nothing drains it."""

    readyState = "open"

    def __init__(self) -> None:
        self.bufferedAmount = 0
        self.frames: list[bytes] = []

    def send(self, frame: bytes) -> None:
        self.frames.append(frame)
        self.bufferedAmount += len(frame)


async def test_writer_samples_the_channel_before_adding_to_it() -> None:
    """`on_flush` (the uplink meter's sample point, peer/uplink_meter.py) runs before a frame
    joins an empty queue, before the writer hands a batch of frames to the channel and when its
    buffer falls below the low mark, so the bytes waiting it sees (queued PIECEs and the
    channel's buffer) only grow after it; every byte handed over is counted."""
    seen: list[tuple[int, int]] = []
    link = PeerLink(
        "p1", initiator=False, ice_servers=(), send_signal=_no_signal, handlers=Handlers(),
        window=ChannelWindowConfig(min_bytes=1 << 20),
        on_flush=lambda k: seen.append(k.channel_count()),
    )  # fmt: skip
    channel = _Channel()
    link._channel = channel  # type: ignore[assignment]
    link._opened = True
    writer = asyncio.ensure_future(link._writer())
    try:
        link.send(wire.HaveDelta(4))
        link.send(wire.Piece(1, 4, 0, b"x" * 1000))
        piece = len(wire.encode(wire.Piece(1, 4, 0, b"x" * 1000)))
        await _until_sent(channel, 2)
        assert seen == [(0, 0), (piece, piece)]  # before the queue grew, before the batch
        two = len(b"".join(channel.frames))
        assert link.channel_count() == (two, two)
        link.send(wire.HaveDelta(5))
        await _until_sent(channel, 3)
        assert seen[2:] == [(two, two), (two, two)]  # the queue was empty: a new sample
        link._on_low()
        assert len(seen) == 5
    finally:
        writer.cancel()
        await link.close("test over")


async def _until_sent(channel: _Channel, count: int) -> None:
    for _ in range(100):
        if len(channel.frames) >= count:
            return
        await asyncio.sleep(0)  # let the writer task run (no timer involved)
    raise AssertionError(f"{len(channel.frames)} frames sent, {count} expected")


async def test_the_channel_holds_a_window_and_a_cancel_drops_the_rest() -> None:
    """A slow link's channel is handed only its window (peer/channel_window.py: two pieces at
    first); the other PIECEs wait in the link's queue, count as the uplink meter's backlog, and
    a CANCEL drops them: only what the channel took still goes out."""
    link = PeerLink(
        "p1", initiator=False, ice_servers=(), send_signal=_no_signal, handlers=Handlers()
    )
    channel = _Channel()  # nothing drains it: a link slower than the sender
    link._channel = channel  # type: ignore[assignment]
    writer = asyncio.ensure_future(link._writer())
    piece = b"x" * 16_384
    try:
        for index in range(10):
            link.send(wire.Piece(7, 4, index, piece))
        link.send(wire.Piece(8, 5, 0, piece))
        await _until_sent(channel, 2)
        for _ in range(10):
            await asyncio.sleep(0)
        assert len(channel.frames) == 2  # 2 x 16,396 bytes reach the 32 KiB mark
        frame = len(channel.frames[0])
        assert link.channel_count() == (11 * frame, 11 * frame)  # nothing left the channel
        link.purge(7)
        assert link.queued_pieces() == 1
        assert link.channel_count() == (3 * frame, 3 * frame)
        channel.bufferedAmount = 0  # the channel drains: request 8's piece follows, not 7's
        link._on_low()
        await _until_sent(channel, 3)
        assert wire.decode(channel.frames[2]) == wire.Piece(8, 5, 0, piece)
        assert link.pieces_sent == 3
    finally:
        writer.cancel()
        await link.close("test over")
