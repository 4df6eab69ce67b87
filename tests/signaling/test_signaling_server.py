"""signaling.server with real python-socketio clients against a real aiohttp server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from swarmcast.protocol import signaling_schema as schema
from swarmcast.protocol import tokens
from swarmcast.signaling.config import SignalingConfig
from tests.signaling.signaling_fixtures import (
    SECRET,
    Client,
    FakeClock,
    RunningServer,
    connect,
    running_server,
)

SDP_OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"}
SDP_ANSWER = {"type": "answer", "sdp": "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\n"}


@pytest.fixture
async def server() -> AsyncIterator[RunningServer]:
    async with running_server() as running:
        yield running


@pytest.fixture
async def clients() -> AsyncIterator[list[Client]]:
    opened: list[Client] = []
    yield opened
    await asyncio.gather(*(client.close() for client in opened))


async def neighbour_map(server: RunningServer) -> dict[str, set[str]]:
    """peer id -> neighbour ids, from the server's operator snapshot (the ground truth)."""
    snapshot = await server.signaling.snapshot()
    return {
        peer["peer_id"]: set(peer["neighbours"])
        for swarm in snapshot["swarms"]
        for peer in swarm["peer_list"]
    }


async def open_client(server: RunningServer, clients: list[Client], **kwargs: Any) -> Client:
    client = await connect(server, **kwargs)
    clients.append(client)
    return client


async def neighbour_pair(server: RunningServer, clients: list[Client]) -> tuple[Client, Client]:
    """Two members of one swarm, linked: the first has heard of the second."""
    first = await open_client(server, clients)
    await first.join()
    second = await open_client(server, clients)
    await second.join()
    await first.next_neighbours()
    return first, second


def with_bad_mac(token: str) -> str:
    """The token with the first character of its MAC changed. (Its last three replaced by a
    fixed "abc" left a token with a random MAC intact one time in 65,536.)"""
    payload, mac = token.split(".")
    return f"{payload}.{'B' if mac[0] == 'A' else 'A'}{mac[1:]}"


@pytest.mark.parametrize(
    ("make_auth", "code"),
    [
        (lambda s: None, "missing-token"),
        (lambda s: {"token": "garbage"}, "token-malformed"),
        (lambda s: {"token": with_bad_mac(s.token())}, "token-bad-mac"),
        (lambda s: {"token": tokens.mint(b"x" * 32, "demo", time.time())}, "token-bad-mac"),
        (
            lambda s: {"token": tokens.mint(SECRET, "demo", time.time() - 100, ttl_seconds=10)},
            "token-expired",
        ),
    ],
)
async def test_connect_refused_with_reason(
    server: RunningServer, clients: list[Client], make_auth: Any, code: str
) -> None:
    client = await open_client(server, clients, auth=make_auth(server))
    assert not client.sio.connected
    assert client.connect_error["message"] == code
    assert client.connect_error["data"]["code"] == code
    assert server.signaling.connection_count == 0


async def test_join_returns_random_peer_id_and_neighbours(
    server: RunningServer, clients: list[Client]
) -> None:
    first = await open_client(server, clients)
    ack = await first.join(upload_budget_bps=2_000_000)
    assert ack["ok"] and ack["swarm"] == "demo/720p" and ack["neighbours"] == []
    assert ack["peer_id"] != first.sio.get_sid(schema.NAMESPACE)
    assert ack["ice_servers"] == [] and ack["max_neighbours"] == 5

    second = await open_client(server, clients)
    ack2 = await second.join()
    assert ack2["neighbours"] == [{"peer_id": first.peer_id, "initiator": True, "seeder": False}]
    event = await first.next_neighbours()
    assert event == {
        "swarm": "demo/720p",
        "add": [{"peer_id": second.peer_id, "initiator": False, "seeder": False}],
        "remove": [],
    }


async def test_join_ack_counts_the_crowd_arriving(clients: list[Client]) -> None:
    """`swarm_size` and `recent_joins` (docs/protocol.md §4.2): members that joined within
    `recent_join_window_s` count, older ones do not; the ack parses on the client side."""
    clock = FakeClock()
    async with running_server(SignalingConfig(recent_join_window_s=4.0), clock=clock) as server:
        acks = []
        for gap in (0.0, 10.0, 1.0, 1.0, 1.0):  # one early member, then four within 3 s
            clock.advance(gap)
            client = await open_client(server, clients)
            acks.append(schema.parse_join_ack(await client.join()))
        figures = [(a.arrivals.swarm_size, a.arrivals.recent_joins) for a in acks if a.arrivals]
        assert figures == [(1, 0), (2, 0), (3, 1), (4, 2), (5, 3)]
        # Joining the swarm it is in again: the same figures, from now.
        clock.advance(10.0)
        again = schema.parse_join_ack(await clients[-1].join())
        assert again.arrivals == schema.JoinArrivals(swarm_size=5, recent_joins=0)


async def test_offer_answer_and_candidates_relayed_in_order(
    server: RunningServer, clients: list[Client]
) -> None:
    first, second = await neighbour_pair(server, clients)

    assert await second.call(
        "signal", {"to": first.peer_id, "kind": "offer", "data": SDP_OFFER}
    ) == {"ok": True}
    for i in range(20):  # emitted without waiting: must still arrive in order
        await second.sio.emit(
            "signal",
            {"to": first.peer_id, "kind": "candidate", "data": {"candidate": f"c{i}"}},
            namespace=schema.NAMESPACE,
        )
    offer = await first.next("signal")
    assert offer == {"from": second.peer_id, "kind": "offer", "data": SDP_OFFER}
    candidates = [(await first.next("signal"))["data"]["candidate"] for _ in range(20)]
    assert candidates == [f"c{i}" for i in range(20)]

    ack = await first.call("signal", {"to": second.peer_id, "kind": "answer", "data": SDP_ANSWER})
    assert ack == {"ok": True}
    assert await second.next("signal") == {
        "from": first.peer_id,
        "kind": "answer",
        "data": SDP_ANSWER,
    }


async def test_signal_to_non_neighbour_is_refused(
    server: RunningServer, clients: list[Client]
) -> None:
    other_swarm = await open_client(server, clients)
    await other_swarm.join(rendition="360p")
    me = await open_client(server, clients)
    before = await me.call(
        "signal", {"to": other_swarm.peer_id, "kind": "offer", "data": SDP_OFFER}
    )
    assert before["error"]["code"] == "not-joined"
    await me.join(rendition="720p")
    for target in (other_swarm.peer_id, "NoSuchPeer123", me.peer_id):
        ack = await me.call("signal", {"to": target, "kind": "offer", "data": SDP_OFFER})
        assert ack == {
            "ok": False,
            "error": {"code": "not-neighbour", "message": ack["error"]["message"]},
        }
    assert other_swarm.queue("signal").empty()


async def test_malformed_events_get_typed_errors(
    server: RunningServer, clients: list[Client]
) -> None:
    client = await open_client(server, clients)
    cases: list[tuple[str, Any, str]] = [
        ("join", {"stream": "demo"}, "bad-request"),
        ("join", "demo/720p", "bad-request"),
        (
            "join",
            {"stream": "other", "rendition": "720p", "capabilities": {}},
            "token-wrong-stream",
        ),
        ("signal", {"to": "x", "kind": "offer"}, "bad-request"),
        ("report", {"peer_id": "AbCdEfGh12", "reason": "bad-piece"}, "not-joined"),
        ("no-such-event", {"x": 1}, "unknown-event"),
        ("leave", {"unexpected": True}, "bad-request"),
    ]
    for event, data, code in cases:
        ack = await client.call(event, data)
        assert ack["ok"] is False and ack["error"]["code"] == code, (event, ack)
    assert (await client.call("leave")) == {"ok": True}
    assert (await client.join())["ok"]


async def test_spoofed_reserved_events_change_nothing(
    server: RunningServer, clients: list[Client]
) -> None:
    first, second = await neighbour_pair(server, clients)
    # A raw client can send events named like Socket.IO's reserved ones.
    sio = second.sio
    await sio._send_packet(  # type: ignore[attr-defined]
        sio.packet_class(2, data=["disconnect", "forged"], namespace=schema.NAMESPACE)
    )
    await sio._send_packet(  # type: ignore[attr-defined]
        sio.packet_class(2, data=["connect", {}, {"token": "x"}], namespace=schema.NAMESPACE)
    )
    ack = await second.call("signal", {"to": first.peer_id, "kind": "offer", "data": SDP_OFFER})
    assert ack == {"ok": True}
    assert (await first.next("signal"))["from"] == second.peer_id


@pytest.fixture
async def strict_server() -> AsyncIterator[RunningServer]:
    """Low limits, so that even a slowed-down flood (a loaded CI machine) trips them."""
    config = SignalingConfig(event_rate=5.0, event_burst=20.0, max_refusals=50)
    async with running_server(config) as running:
        yield running


async def test_flood_and_garbage_from_one_client_do_not_disturb_others(
    strict_server: RunningServer, clients: list[Client]
) -> None:
    server = strict_server
    first, second = await neighbour_pair(server, clients)
    attacker = await open_client(server, clients)
    await attacker.join()

    async def flood() -> None:
        for i in range(1500):
            if not attacker.sio.connected:
                return
            payload: Any = {"to": first.peer_id, "kind": "offer", "data": SDP_OFFER}
            if i % 3 == 1:
                payload = {"garbage": ["x"] * 50}
            await attacker.sio.emit(
                "signal" if i % 5 else "bogus", payload, namespace=schema.NAMESPACE
            )

    flooding = asyncio.create_task(flood())
    for i in range(10):  # the honest pair keeps working while the flood runs
        data = {"candidate": f"honest-{i}"}
        ack = await second.call("signal", {"to": first.peer_id, "kind": "candidate", "data": data})
        assert ack == {"ok": True}
        received = await first.next("signal")
        while received["from"] != second.peer_id:  # the attacker may be first's neighbour
            received = await first.next("signal")
        assert received["data"]["candidate"] == f"honest-{i}"
    await flooding
    error = await attacker.next("error")
    assert error["code"] == "rate-limited"
    # The flood exceeded 50 refusals in a row: the server closed the attacker.
    await attacker.wait_disconnected()
    assert (await first.call("leave")) == {"ok": True}


async def test_oversized_packet_closes_only_that_connection(
    server: RunningServer, clients: list[Client]
) -> None:
    honest = await open_client(server, clients)
    await honest.join()
    big = await open_client(server, clients)
    await big.join()
    await big.sio.emit(
        "signal", {"blob": "x" * (schema.MAX_PACKET_BYTES + 10)}, namespace=schema.NAMESPACE
    )
    await big.wait_disconnected()
    assert (await honest.call("leave")) == {"ok": True}


async def test_neighbours_replaced_on_leave_and_disconnect() -> None:
    config = SignalingConfig(max_neighbours=2)
    async with running_server(config) as server:
        clients = [await connect(server) for _ in range(5)]
        try:
            for client in clients:
                await client.join()
            victim = clients[2]
            links = await neighbour_map(server)
            orphans = [c for c in clients if c.peer_id in links[victim.peer_id]]
            assert orphans
            assert (await victim.call("leave")) == {"ok": True}
            for orphan in orphans:
                event = await orphan.next_neighbours()
                while victim.peer_id not in event["remove"]:
                    event = await orphan.next_neighbours()
            links = await neighbour_map(server)
            assert len(links) == 4 and all(victim.peer_id not in n for n in links.values())
            assert sum(len(n) for n in links.values()) // 2 >= 3  # orphans were re-linked
            # A disconnect has the same effect as a leave.
            leaver = clients[0]
            watchers = [c for c in clients if c.peer_id in links[leaver.peer_id]]
            await leaver.close()
            for watcher in watchers:
                event = await watcher.next_neighbours()
                while leaver.peer_id not in event["remove"]:
                    event = await watcher.next_neighbours()
            assert leaver.peer_id not in await neighbour_map(server)
        finally:
            await asyncio.gather(*(c.close() for c in clients))


async def test_rendition_switch_moves_the_peer(
    server: RunningServer, clients: list[Client]
) -> None:
    stay = await open_client(server, clients)
    await stay.join("720p")
    mover = await open_client(server, clients)
    await mover.join("720p")
    await stay.next_neighbours()
    target = await open_client(server, clients)
    await target.join("360p")
    ack = await mover.join("360p")
    assert ack["swarm"] == "demo/360p"
    assert [n["peer_id"] for n in ack["neighbours"]] == [target.peer_id]
    removal = await stay.next_neighbours()
    assert removal["remove"] == [mover.peer_id] and removal["swarm"] == "demo/720p"
    again = await mover.join("360p")  # joining the same swarm again changes nothing
    assert (
        again["peer_id"] == ack["peer_id"] and again["neighbours"][0]["peer_id"] == target.peer_id
    )
    snapshot = await server.signaling.snapshot(include_peers=False)
    assert {s["swarm"]: s["peers"] for s in snapshot["swarms"]} == {"demo/360p": 2, "demo/720p": 1}


async def test_untrusted_forwarded_for_is_ignored(
    server: RunningServer, clients: list[Client]
) -> None:
    client = await open_client(server, clients, headers={"X-Forwarded-For": "203.0.113.9"})
    await client.join()
    snapshot = await server.signaling.snapshot()
    assert snapshot["swarms"][0]["prefixes"] == {"127.0.0.0/24": 1}


class TrackingClient:
    """A client applying §4.3's ordering rule: `neighbours` events that arrive while a join
    is pending are applied after its ack; events for another swarm are ignored."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.swarm: str | None = None
        self.neighbours: set[str] = set()
        self.pending: list[dict[str, Any]] | None = None
        self.changed = asyncio.Event()
        client.sio.on("neighbours", self._on_event, namespace=schema.NAMESPACE)

    def _apply(self, event: dict[str, Any]) -> None:
        if event["swarm"] == self.swarm:
            self.neighbours -= set(event["remove"])
            self.neighbours |= {n["peer_id"] for n in event["add"]}
            self.changed.set()

    def _on_event(self, event: dict[str, Any]) -> None:
        if self.pending is not None:
            self.pending.append(event)
        else:
            self._apply(event)

    async def join(self, rendition: str) -> None:
        self.pending = []
        ack = await self.client.join(rendition)
        assert ack["ok"], ack
        self.swarm, self.neighbours = ack["swarm"], {n["peer_id"] for n in ack["neighbours"]}
        buffered, self.pending = self.pending, None
        for event in buffered:
            self._apply(event)

    async def converge(self, truth: set[str]) -> None:
        while self.neighbours != truth:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 10)


async def test_concurrent_joins_converge_with_the_ordering_rule() -> None:
    """Joins racing each other (and link splits) reach each client in an order the rule
    turns into exactly the server's view."""
    async with running_server(
        SignalingConfig(
            # 24 clients from one loopback address: lift the per-address caps.
            max_neighbours=3,
            max_connections_per_address=24,
            max_peers_per_address=24,
        )
    ) as server:
        raw = [await connect(server) for _ in range(24)]
        clients = [TrackingClient(c) for c in raw]
        try:
            await asyncio.gather(*(c.join("720p") for c in clients))
            # Half switch rendition at once while the rest stay: more races.
            await asyncio.gather(*(c.join("360p") for c in clients[::2]))
            truth = await neighbour_map(server)
            for tracking in clients:
                await tracking.converge(truth[tracking.client.peer_id])
            assert all(len(n) <= 3 for n in truth.values())
        finally:
            await asyncio.gather(*(c.close() for c in raw))
