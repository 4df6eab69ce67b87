"""swarmcast.peer.signaling_client and its ordering core swarmcast.peer.neighbour_view
(docs/protocol.md §4.3): `neighbours` events that overtake a join ack are applied after it,
stale swarms are ignored. The pure core is driven event by event; the client runs against a
real signaling server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from aiohttp import web

from swarmcast.peer.neighbour_view import NeighbourView
from swarmcast.peer.signaling_client import SignalingClient
from swarmcast.protocol import signaling_schema as schema
from swarmcast.signaling.attach import attach_signaling
from swarmcast.signaling.config import SignalingConfig
from swarmcast.signaling.server import SignalingServer
from swarmcast.signaling.swarm_store import InMemorySwarmStore, SwarmStore
from tests.signaling.signaling_fixtures import EVENT_TIMEOUT_S, SECRET, RunningServer, serve_app

SWARM = "demo/720p"
OTHER_SWARM = "demo/360p"


def entry(peer_id: str, initiator: bool = False) -> schema.NeighbourEntry:
    return schema.NeighbourEntry(peer_id, initiator, False)


def ack(swarm: str, *peer_ids: str) -> schema.JoinAck:
    return schema.JoinAck("me-peer-0", swarm, tuple(entry(p, True) for p in peer_ids), (), 5)


def update(
    swarm: str, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()
) -> schema.NeighboursUpdate:
    return schema.NeighboursUpdate(swarm, tuple(entry(p) for p in add), remove)


# --- the pure core --------------------------------------------------------------------------


def test_events_before_the_ack_apply_after_its_list() -> None:
    view = NeighbourView()
    view.join_started()
    # A later arrival splits our link to B before our ack is out: remove B, add C.
    assert view.event(update(SWARM, add=("peer-c",), remove=("peer-b",))) is None
    assert view.event(update(SWARM, add=("peer-d",))) is None
    joined = view.join_acked(ack(SWARM, "peer-a", "peer-b"))
    assert [n.peer_id for n in joined.neighbours] == ["peer-a", "peer-c", "peer-d"]
    assert set(view.neighbours) == {"peer-a", "peer-c", "peer-d"}
    # The consumer gets the converged set from the ack, not the buffered events again.
    assert not view.joining


def test_events_after_the_ack_are_applied_and_passed_on() -> None:
    view = NeighbourView()
    view.join_started()
    view.join_acked(ack(SWARM, "peer-a"))
    removal = update(SWARM, remove=("peer-a",))
    assert view.event(removal) is removal
    assert dict(view.neighbours) == {}


def test_stale_swarm_events_are_ignored_before_and_after_a_switch() -> None:
    view = NeighbourView()
    assert view.event(update(SWARM, add=("peer-x",))) is None  # not joined yet: stale
    view.join_started()
    view.join_acked(ack(SWARM, "peer-a"))
    view.join_started()  # rendition switch
    view.event(update(SWARM, remove=("peer-a",)))  # old swarm, overtaking the new ack
    view.event(update(OTHER_SWARM, add=("peer-n",)))
    view.join_acked(ack(OTHER_SWARM, "peer-m"))
    assert view.swarm == OTHER_SWARM
    assert set(view.neighbours) == {"peer-m", "peer-n"}
    assert view.event(update(SWARM, add=("peer-z",))) is None
    assert set(view.neighbours) == {"peer-m", "peer-n"}


def test_a_removed_and_re_added_id_takes_the_new_entry() -> None:
    view = NeighbourView()
    view.join_started()
    view.join_acked(ack(SWARM, "peer-a"))
    rebuilt = schema.NeighboursUpdate(SWARM, (entry("peer-a", initiator=False),), ("peer-a",))
    assert view.event(rebuilt) is rebuilt
    assert view.neighbours["peer-a"].initiator is False


def test_a_failed_join_releases_the_buffer_for_the_current_swarm() -> None:
    view = NeighbourView()
    view.join_started()
    view.join_acked(ack(SWARM, "peer-a"))
    view.join_started()
    kept = update(SWARM, add=("peer-b",))
    view.event(kept)
    view.event(update(OTHER_SWARM, add=("peer-n",)))
    assert view.join_failed() == [kept]
    assert view.swarm == SWARM
    assert set(view.neighbours) == {"peer-a", "peer-b"}


def test_reset_forgets_everything() -> None:
    view = NeighbourView()
    view.join_started()
    view.join_acked(ack(SWARM, "peer-a"))
    view.reset()
    assert view.swarm is None and dict(view.neighbours) == {}
    assert view.event(update(SWARM, add=("peer-b",))) is None


# --- real clients, real server --------------------------------------------------------------


class CountingView(NeighbourView):
    """Counts events that overtook their join ack, so a test knows it raced."""

    overtaken = 0

    def event(self, update: schema.NeighboursUpdate) -> schema.NeighboursUpdate | None:
        if self.joining:
            self.overtaken += 1
        return super().event(update)


class Viewer:
    """A consumer like peer.peer_node: links from the join's neighbours, then from events."""

    def __init__(self) -> None:
        self.client = SignalingClient(self._on_neighbours, self._on_signal, self._on_disconnect)
        self.client.view = self.view = CountingView()
        self.links: set[str] = set()
        self.peer_id = ""
        self.stale_deliveries: list[schema.NeighboursUpdate] = []
        self.changed = asyncio.Event()

    async def _on_neighbours(self, update: schema.NeighboursUpdate) -> None:
        if update.swarm != self.client.swarm:
            self.stale_deliveries.append(update)
        self.links -= set(update.remove)
        self.links |= {n.peer_id for n in update.add}
        self.changed.set()

    async def _on_signal(self, relayed: schema.RelayedSignal) -> None:
        pass

    async def _on_disconnect(self, reason: str) -> None:
        pass

    async def join(self, rendition: str) -> None:
        joined = await self.client.join(
            "demo", rendition, seeder=False, upload_budget_bps=0, max_neighbours=None
        )
        self.peer_id = joined.peer_id
        # A new swarm: links of the old one go, as the peer and the shim do on a switch.
        self.links = {n.peer_id for n in joined.neighbours}
        self.changed.set()

    async def converge(self, truth: set[str]) -> None:
        """Wait (event-driven) until our links are the server's; fail after a deadline."""

        async def settled() -> None:
            while self.links != truth or set(self.client.neighbours) != truth:
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(settled(), EVENT_TIMEOUT_S)


class RoundTripUnlockStore(InMemorySwarmStore):
    """The in-memory store, but releasing a swarm lock takes a round trip, as with a shared
    store (RedisSwarmStore's unlock is a Redis call): the next join's `neighbours` events then
    leave before the previous join's ack, the race §4.3's rule is for."""

    @asynccontextmanager
    async def _round_trip_lock(self, swarm: str) -> AsyncIterator[None]:
        async with super().locked(swarm):
            yield
        await asyncio.sleep(0.005)

    def locked(self, swarm: str) -> AbstractAsyncContextManager[None]:
        return self._round_trip_lock(swarm)


@asynccontextmanager
async def signaling_server(
    config: SignalingConfig, store: SwarmStore
) -> AsyncIterator[RunningServer]:
    """A real aiohttp server on a free loopback port with signaling on the given store."""
    app = web.Application()
    signaling: SignalingServer = attach_signaling(app, config, SECRET, store=store)
    runner, url = await serve_app(app)
    try:
        yield RunningServer(url, signaling, app)
    finally:
        await runner.cleanup()


async def server_links(server: RunningServer) -> dict[str, set[str]]:
    snapshot = await server.signaling.snapshot()
    return {
        peer["peer_id"]: set(peer["neighbours"])
        for swarm in snapshot["swarms"]
        for peer in swarm["peer_list"]
    }


@pytest.mark.parametrize("round_trip_unlock", [False, True], ids=["local-store", "round-trip"])
async def test_concurrent_joins_and_switches_converge_to_the_server_view(
    round_trip_unlock: bool,
) -> None:
    """24 clients join at once with K = 3 (joins split links), then half switch rendition at
    once: each client ends with exactly the server's set, and never sees a stale swarm."""
    store = RoundTripUnlockStore() if round_trip_unlock else InMemorySwarmStore()
    async with signaling_server(
        SignalingConfig(
            # 24 clients from one loopback address: lift the per-address caps.
            max_neighbours=3,
            max_connections_per_address=24,
            max_peers_per_address=24,
        ),
        store,
    ) as server:
        viewers = [Viewer() for _ in range(24)]
        try:
            await asyncio.gather(*(v.client.connect(server.url, server.token()) for v in viewers))
            await asyncio.gather(*(v.join("720p") for v in viewers))
            await asyncio.gather(*(v.join("360p") for v in viewers[::2]))
            truth = await server_links(server)
            assert len(truth) == len(viewers)
            for viewer in viewers:
                await viewer.converge(truth[viewer.peer_id])
            for viewer in viewers:
                assert viewer.stale_deliveries == []
                for other in viewer.links:  # symmetry: A lists B iff B lists A
                    assert viewer.peer_id in truth[other]
            by_id = {v.peer_id: v for v in viewers}
            assert all(a in by_id[b].links for a, v in by_id.items() for b in v.links)
            assert {v.client.swarm for v in viewers[::2]} == {OTHER_SWARM}
            assert {v.client.swarm for v in viewers[1::2]} == {SWARM}
            assert sum(len(links) for links in truth.values()) > 0
            if round_trip_unlock:  # the race did happen: without the rule this test fails
                assert sum(v.view.overtaken for v in viewers) > 0
        finally:
            await asyncio.gather(*(v.client.close() for v in viewers))
