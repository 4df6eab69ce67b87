"""Reachability- and capacity-aware matching (issue 12): `path` reports and `unreachable`
reports over real socket.io steer later matches away from members that reached nobody directly;
the pure hints rank a known-direct pair first and use beacons' measured upload over the join's
announcement."""

from __future__ import annotations

from types import MappingProxyType

from swarmcast.signaling.config import SignalingConfig
from swarmcast.signaling.match_hints import FAILED, MatchHints, relayed_members
from swarmcast.signaling.swarm_matcher import PeerInfo, SwarmView, pair, plan_join
from tests.signaling.signaling_fixtures import connect, running_server


def peer(peer_id: str, joined_at: float, budget: int = 0) -> PeerInfo:
    return PeerInfo(peer_id, "net", joined_at, max_neighbours=4, upload_budget_bps=budget)


def test_relayed_members_need_two_relays_and_no_direct_link() -> None:
    paths = {
        pair("s", "a"): "relay",
        pair("s", "b"): "relay",
        pair("m", "a"): "relay",
        pair("a", "b"): "direct",
    }
    assert relayed_members(paths) == {"s"}  # m: one relay only; a: one direct link
    assert relayed_members({**paths, pair("s", "c"): "direct"}) == frozenset()


def test_failed_pairs_count_as_relayed() -> None:
    paths = {pair("s", "a"): FAILED, pair("s", "b"): "relay", pair("a", "b"): "direct"}
    assert relayed_members(paths) == {"s"}
    hints = MatchHints(paths=paths)
    assert hints.reach_tier("a", "c") == 1 and hints.reach_tier("c", "d") == 1
    assert MatchHints(paths={pair("a", "c"): FAILED}).reach_tier("c", "a") == 0


def test_hints_rank_direct_pairs_and_measured_upload_first() -> None:
    peers = {p.peer_id: p for p in (peer("old", 1), peer("mid", 2), peer("new", 3))}
    newcomer = PeerInfo("me", "net", 10, max_neighbours=1)
    plain = SwarmView(peers=MappingProxyType(peers))
    assert [link.b for link in plan_join(plain, newcomer, 10).added_links] == ["old"]  # age
    hints = MatchHints(relayed=frozenset({"old"}), paths={pair("me", "new"): "direct"})
    hinted = SwarmView(peers=MappingProxyType(peers), hints=hints)
    assert [link.b for link in plan_join(hinted, newcomer, 10).added_links] == ["new"]
    # Announced 5 Mbit/s but its beacons measure 0.2: the one that measured 3 Mbit/s wins.
    peers = {"old": peer("old", 1, 5_000_000), "mid": peer("mid", 2, 0)}
    measured = MatchHints(upload={"old": 200_000, "mid": 3_000_000})
    view = SwarmView(peers=MappingProxyType(peers), hints=measured)
    assert [link.b for link in plan_join(view, newcomer, 10).added_links] == ["mid"]


async def test_path_reports_steer_the_next_join_away_from_a_relayed_member() -> None:
    async with running_server(SignalingConfig(max_neighbours=3)) as server:
        clients = [await connect(server) for _ in range(4)]
        try:
            relayed, a, b, late = clients
            for client in (relayed, a, b):
                await client.join()
            for client in (relayed, a, b):
                while len(client.neighbours) < 2:
                    await client.next_neighbours()
            for client in (a, b):
                ack = await client.call("path", {"peer_id": relayed.peer_id, "path": "relay"})
                assert ack == {"ok": True}
            assert (await a.call("path", {"peer_id": b.peer_id, "path": "direct"}))["ok"]
            # Without the reports the oldest member (`relayed`) would be the first pick.
            ack = await late.join(max_neighbours=1)
            assert ack["ok"] and late.neighbours <= {a.peer_id, b.peer_id}
            assert len(late.neighbours) == 1
            refused = await late.call("path", {"peer_id": relayed.peer_id, "path": "direct"})
            assert refused["error"]["code"] == "not-neighbour"
            bad = await a.call("path", {"peer_id": b.peer_id, "path": "srflx"})
            assert bad["error"]["code"] == "bad-request"
        finally:
            for client in clients:
                await client.close()


async def test_unreachable_reports_steer_the_next_join_away_from_the_member() -> None:
    async with running_server(SignalingConfig(max_neighbours=3)) as server:
        clients = [await connect(server) for _ in range(4)]
        try:
            lonely, a, b, late = clients
            for client in (lonely, a, b):
                await client.join()
            for client in (lonely, a, b):
                while len(client.neighbours) < 2:
                    await client.next_neighbours()
            for client in (a, b):  # their links to `lonely` never opened, not even over TURN
                ack = await client.call(
                    "report", {"peer_id": lonely.peer_id, "reason": "unreachable"}
                )
                assert ack == {"ok": True}
            # `lonely` now has free slots and is the oldest member: without the failures it
            # would be the late joiner's first pick.
            ack = await late.join(max_neighbours=1)
            assert ack["ok"] and late.neighbours <= {a.peer_id, b.peer_id}
            assert len(late.neighbours) == 1
        finally:
            for client in clients:
                await client.close()
