"""PeerLink's own bookkeeping, without a connection (no ICE: nothing leaves the process)."""

from __future__ import annotations

import asyncio
from typing import Any

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
        high_water=1 << 20, low_water=1 << 18,
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
    """`on_flush` (the uplink meter's sample point, peer/uplink_meter.py) runs before the writer
    hands a batch of frames to the channel and when its buffer falls below the low mark, so the
    buffered bytes it sees only grow after it; every byte handed over is counted."""
    seen: list[tuple[int, int]] = []
    link = PeerLink(
        "p1", initiator=False, ice_servers=(), send_signal=_no_signal, handlers=Handlers(),
        high_water=1 << 20, low_water=1 << 18, on_flush=lambda k: seen.append(k.channel_count()),
    )  # fmt: skip
    channel = _Channel()
    link._channel = channel  # type: ignore[assignment]
    writer = asyncio.ensure_future(link._writer())
    try:
        link.send(wire.HaveDelta(4))
        link.send(wire.Piece(1, 4, 0, b"x" * 1000))
        await _until_sent(channel, 2)
        assert seen == [(0, 0)]  # one sample for the batch, before it
        two = len(b"".join(channel.frames))
        assert link.channel_count() == (two, two)
        link.send(wire.HaveDelta(5))
        await _until_sent(channel, 3)
        assert seen == [(0, 0), (two, two)]  # the writer waited for frames: a new sample
        link._on_low()
        assert len(seen) == 3
    finally:
        writer.cancel()
        await link.close("test over")


async def _until_sent(channel: _Channel, count: int) -> None:
    for _ in range(100):
        if len(channel.frames) >= count:
            return
        await asyncio.sleep(0)  # let the writer task run (no timer involved)
    raise AssertionError(f"{len(channel.frames)} frames sent, {count} expected")
