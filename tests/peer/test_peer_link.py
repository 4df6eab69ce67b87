"""PeerLink's own bookkeeping, without a connection (no ICE: nothing leaves the process)."""

from __future__ import annotations

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
