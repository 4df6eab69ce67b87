"""The Python peer's beacons (docs/protocol.md §4.7): built from its stats, accepted by a real
signaling server, counted in the stream's figures, and the ack's control is returned."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

from swarmcast.peer.beacons import beacon_payload
from swarmcast.peer.operator_control import OperatorControl
from swarmcast.peer.peer_node import PeerNode
from swarmcast.peer.signaling_client import SignalingClient
from swarmcast.peer.sim_playhead import SimulatedPlayhead
from swarmcast.peer.uplink_meter import UplinkMeter
from swarmcast.protocol.beacon_schema import parse_beacon
from swarmcast.signaling.config import SignalingConfig
from tests.signaling.signaling_fixtures import running_server


def _node(
    stats: dict[str, Any],
    playhead: SimulatedPlayhead | None,
    budget_bps: int = 0,
    link_log: dict[str, float | None] | None = None,
    pair_log: dict[str, str] | None = None,
    links: dict[str, Any] | None = None,
) -> PeerNode:
    store = SimpleNamespace(complete_seqs=lambda: list(range(40)))
    operator = OperatorControl("viewer-1", budget_bps=budget_bps)
    fake = SimpleNamespace(
        stats=lambda: stats,
        playhead=playhead,
        rendition="360p",
        store=store,
        operator=operator,
        uplink=UplinkMeter(),
        now=lambda: stats["elapsed_s"],
        link_log=link_log or {},
        pair_log=pair_log or {},
        links=links or {},
    )
    return cast(PeerNode, fake)


STATS = {
    "elapsed_s": 30.0,
    "startup_s": 1.5,
    "stalls": 1,
    "bytes_from_http": 1000,
    "bytes_from_peers": 3000,
    "bytes_uploaded": 500,
    "verification_failures": 0,
    "peers_connected": 2,
}


def test_payload_is_a_valid_beacon() -> None:
    playhead = SimulatedPlayhead(0.0, started=True, stalls=1, stalled_s=0.5, startup_s=1.5)
    beacon = parse_beacon(beacon_payload(_node(STATS, playhead), 7))
    assert (beacon.seq, beacon.p2p, beacon.ttff_ms, beacon.stall_ms) == (7, "on", 1500, 500)
    assert beacon.watch_ms == 28_000
    assert (beacon.http_bytes, beacon.p2p_bytes, beacon.peers) == (1000, 3000, 2)
    assert beacon.have == tuple(range(24, 40))  # the newest 16
    assert beacon.upload_capacity_bps is None  # no cap, no budget, nothing measured yet
    seeder = parse_beacon(beacon_payload(_node({**STATS, "startup_s": None}, None), 1))
    assert seeder.ttff_ms is None and seeder.watch_ms == 0
    budgeted = parse_beacon(beacon_payload(_node(STATS, None, budget_bps=5_000_000), 2))
    assert budgeted.upload_capacity_bps == 5_000_000


def test_connection_attempts_successes_and_pair_types_are_counted() -> None:
    """Three neighbours tried, two opened: one over host candidates (logged at open), one whose
    pair was selected after its channel opened (read from the live link)."""
    live = SimpleNamespace(candidate_pair=lambda: "relay/srflx")
    node = _node(
        STATS,
        None,
        link_log={"a": 1.2, "b": 2.5, "c": None},
        pair_log={"a": "host/host"},
        links={"b": live, "c": SimpleNamespace(candidate_pair=lambda: None)},
    )
    beacon = parse_beacon(beacon_payload(node, 3))
    assert (beacon.conn_attempts, beacon.conn_successes) == (3, 2)
    assert beacon.pairs == {"host": 1, "srflx": 0, "prflx": 0, "relay": 1}


def test_capacity_is_the_cap_the_budget_or_the_backlogged_measurement() -> None:
    operator = OperatorControl("viewer-1")
    assert operator.upload_capacity_bps(None) is None
    assert operator.upload_capacity_bps(1_600_000) == 1_600_000
    capped = OperatorControl("viewer-1", rate_bytes_per_s=50_000)
    assert capped.upload_capacity_bps(1_600_000) == 400_000
    budgeted = OperatorControl("viewer-1", budget_bps=5_000_000)
    assert budgeted.upload_capacity_bps(1_600_000) == 5_000_000
    leech = OperatorControl("viewer-1", rate_bytes_per_s=50_000, slots=0)
    assert leech.upload_capacity_bps(1_600_000) == 0


def test_beacon_capacity_of_an_idle_peer_is_unknown_not_its_demand() -> None:
    """A peer that uploaded 500 B in 30 s (STATS) reports no capacity until its channels were
    backlogged; then the rate they drained at."""
    node = _node(STATS, None)
    for i in range(20):  # one 16 KiB piece every 0.5 s, gone before the next
        node.uplink.observe(i * 0.5, [("a", i * 16_384, 0)])
    assert parse_beacon(beacon_payload(node, 1)).upload_capacity_bps is None
    sent = 19 * 16_384
    node.uplink.observe(10.0, [("a", sent, 0)])  # before 200 KiB are handed to the channel
    for i in range(11):  # 2 s with 200 KiB waiting, 250 kB/s leaving
        node.uplink.observe(10 + i * 0.2, [("a", sent + 204_800 + i * 50_000, 204_800)])
    assert parse_beacon(beacon_payload(node, 2)).upload_capacity_bps == 2_000_000


async def test_signaling_accepts_it_and_returns_the_control() -> None:
    async with running_server(SignalingConfig()) as server:
        client = SignalingClient(_ignore, _ignore, _ignore)
        await client.connect(server.url, server.token())
        try:
            await server.signaling.plane.set_control("demo", {"ramp_percent": 30})
            payload = beacon_payload(_node(STATS, None), 1)
            control = await asyncio.wait_for(client.beacon(payload), 10)
            assert control.ramp_percent == 30
            summary = (await server.signaling.plane.summaries())["demo"]
            assert summary["totals"]["p2p_bytes"] == 3000
        finally:
            await client.close()


async def _ignore(*args: object) -> None:
    return None
