"""A hostile neighbour on a real origin + signaling + aiortc: a HAVE_DELTA flood with ever-new
sequence numbers, HAVE_PIECES, REQUEST and CANCEL floods, and undecodable frames. The honest peer
keeps its playlist polls bounded and its per-neighbour memory bounded, drops and reports the
violator, and refuses its next offer (docs/protocol.md §5.1)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from peer_fixtures import RENDITION, STREAM, Origin, live_origin

from swarmcast.peer.peer_config import PeerConfig
from swarmcast.peer.peer_link import PeerLink
from swarmcast.peer.peer_node import PeerNode
from swarmcast.protocol import signaling_schema as schema
from swarmcast.protocol import wire

pytestmark = [pytest.mark.netns, pytest.mark.slow]

FLOOD_FRAMES = 20_000


@pytest.fixture
async def origin(tmp_path: Path) -> AsyncIterator[Origin]:
    async with live_origin(tmp_path) as running:
        yield running


class HostileNode(PeerNode):
    """Says HELLO like an honest peer, then floods (or sends frames no decoder takes)."""

    def __init__(self, config: PeerConfig, mode: str) -> None:
        super().__init__(config)
        self.mode = mode
        self.flood_done = asyncio.Event()

    def link_open(self, link: PeerLink) -> None:
        super().link_open(link)
        self._spawn(self._attack(link))

    async def _attack(self, link: PeerLink) -> None:
        channel = link._channel
        assert channel is not None
        base = self._highest_known + 10
        for i in range(FLOOD_FRAMES):
            if channel.readyState != "open":
                break
            channel.send(self._frame(base, i))
            if i % 200 == 0:
                await asyncio.sleep(0)  # let the SCTP writer run
        self.flood_done.set()

    def _frame(self, base: int, i: int) -> bytes:
        match self.mode:
            case "flood":
                return wire.encode(wire.HaveDelta(base + i))
            case "pieces":  # inside the window: only the rate stops it
                return wire.encode(wire.HavePieces.from_pieces(max(base - 10, 0), [0]))
            case "requests":  # for a segment it does not hold: each one costs a REJECT
                return wire.encode(wire.Request(i, base, 0, 1))
            case "cancels":
                return wire.encode(wire.Cancel(i))
        return b"\x01\xee" + i.to_bytes(4, "big")  # unknown frame type

    async def _rejoin(self) -> None:
        """Stays away once signaling lets go of it (only the first identity is under test)."""


async def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("mode", ["flood", "pieces", "requests", "cancels", "garbage"])
async def test_hostile_neighbour_is_dropped_reported_and_refused(origin: Origin, mode: str) -> None:
    config = PeerConfig(origin.url, STREAM, rendition=RENDITION)
    honest = PeerNode(config)
    await honest.start()
    hostile = HostileNode(config, mode)
    try:
        await hostile.start()
        started = honest.now()
        polls_before = honest.feed.polls
        await wait_for(lambda: hostile.peer_id in honest.dropped_peers, 30, "the drop")
        # Signaling took the report: it unlinks the pair, so the hostile side loses us.
        await wait_for(lambda: honest.peer_id not in hostile.signaling.neighbours, 10, "unlink")
        await wait_for(lambda: hostile.peer_id not in honest.links, 10, "the link to close")
        elapsed = honest.now() - started
        polls = honest.feed.polls - polls_before
        # Regular polls (every target duration / 2 = 1 s) plus at most one early poll per
        # 0.5 s: never one per announced number.
        assert polls <= elapsed / config.playlist_poke_min_s + 2, (polls, elapsed)
        assert honest.guard.held(hostile.peer_id) <= 4 + 64 + 1
        assert honest.dropped_peers.count(hostile.peer_id) == 1
        if mode != "garbage":
            assert honest.guard.refused_frames >= honest.guard.config.max_violations
        # Its next offer is refused (signaling would no longer relay it; the peer does not
        # depend on that).
        offer = schema.RelayedSignal(hostile.peer_id, "offer", {"type": "offer", "sdp": "x"})
        await honest._on_signal(offer)
        assert hostile.peer_id not in honest.links
        await honest._add_neighbour(
            schema.NeighbourEntry(hostile.peer_id, initiator=True, seeder=False)
        )
        assert hostile.peer_id not in honest.links
        print(f"{mode}: dropped after {elapsed:.2f} s, {polls} playlist polls meanwhile")
    finally:
        await asyncio.gather(hostile.stop(), honest.stop(), return_exceptions=True)
