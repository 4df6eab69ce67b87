"""Signaling server policies over real socket.io clients: bans from reports, per-prefix caps,
join rate limits, TURN credentials and seeder networks (split from test_signaling_server.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import time

from swarmcast.protocol import signaling_schema as schema
from swarmcast.signaling.config import SignalingConfig
from tests.signaling.signaling_fixtures import FakeClock, connect, running_server


async def test_two_reporters_from_two_networks_ban_a_peer() -> None:
    clock = FakeClock()
    config = SignalingConfig(max_neighbours=3, trusted_proxies=("127.0.0.1",))
    async with running_server(config, clock=clock) as server:

        def via(address: str) -> dict[str, str]:
            return {"X-Forwarded-For": address}

        liar = await connect(server, server.token(sub="liar"), headers=via("192.0.2.9"))
        honest = [
            await connect(server, server.token(sub=f"honest-{i}"), headers=via(f"198.51.{i}.1"))
            for i in range(3)
        ]
        everyone = [liar, *honest]
        try:
            for client in honest:
                await client.join()
            clock.advance(60)  # full standing: they have watched for a minute
            await liar.join()
            honest.sort(key=lambda c: c.peer_id not in liar.neighbours)
            assert all(c.peer_id in liar.neighbours for c in honest[:2])
            first = await honest[0].call(
                "report", {"peer_id": liar.peer_id, "reason": "bad-piece", "seq": 7}
            )
            assert first == {"ok": True}
            assert liar.sio.connected
            # The reporter is unlinked at once; a repeated report of an ex-neighbour is refused.
            again = await honest[0].call("report", {"peer_id": liar.peer_id, "reason": "bad-piece"})
            assert again["error"]["code"] == "not-neighbour"
            second = await honest[1].call(
                "report", {"peer_id": liar.peer_id, "reason": "bad-piece"}
            )
            assert second == {"ok": True}
            assert (await liar.next("error"))["code"] == "banned"
            await liar.wait_disconnected()
            snapshot = await server.signaling.snapshot()
            assert snapshot["bans"] == 1 and snapshot["swarms"][0]["peers"] == 3
            # The banned identity is refused from another network too.
            back = await connect(server, server.token(sub="liar"), headers=via("203.0.113.50"))
            everyone.append(back)
            assert back.connect_error["message"] == "banned"
        finally:
            await asyncio.gather(*(c.close() for c in everyone))


async def test_unreachable_reports_never_ban() -> None:
    async with running_server(SignalingConfig(max_neighbours=3)) as server:
        target = await connect(server)
        others = [await connect(server) for _ in range(3)]
        try:
            await target.join()
            for client in others:
                await client.join()
            for client in others:
                if target.peer_id in client.neighbours:
                    ack = await client.call(
                        "report", {"peer_id": target.peer_id, "reason": "unreachable"}
                    )
                    assert ack == {"ok": True}
            assert target.sio.connected and (await server.signaling.snapshot())["bans"] == 0
        finally:
            await asyncio.gather(*(c.close() for c in [target, *others]))


async def test_prefix_cap_and_forwarded_for_from_trusted_proxy() -> None:
    config = SignalingConfig(max_peers_per_prefix=2, trusted_proxies=("127.0.0.1",))
    async with running_server(config) as server:
        lan = [
            await connect(server, headers={"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(3)
        ]
        wan = await connect(server, headers={"X-Forwarded-For": "203.0.113.9"})
        try:
            assert (await lan[0].join())["ok"] and (await lan[1].join())["ok"]
            refused = await lan[2].join()
            assert refused["error"]["code"] == "prefix-full"
            assert (await lan[2].join("360p"))["ok"], "the cap is per swarm"
            assert (await wan.join())["ok"]
            snapshot = await server.signaling.snapshot()
            prefixes = {s["swarm"]: s["prefixes"] for s in snapshot["swarms"]}
            assert prefixes["demo/720p"] == {"198.51.100.0/24": 2, "203.0.113.0/24": 1}
        finally:
            await asyncio.gather(*(c.close() for c in [*lan, wan]))


async def test_join_rate_limit() -> None:
    # A refill slower than any machine, so the burst alone decides.
    async with running_server(SignalingConfig(join_rate=0.001, join_burst=5)) as server:
        client = await connect(server)
        try:
            codes = []
            for i in range(8):
                ack = await client.join("720p" if i % 2 else "360p")
                codes.append("ok" if ack["ok"] else ack["error"]["code"])
            assert codes == ["ok"] * 5 + ["rate-limited"] * 3
            assert (await client.next("error"))["code"] == "rate-limited"
            assert (await client.call("leave")) == {"ok": True}, "other events still pass"
        finally:
            await client.close()


async def test_ice_servers_with_turn_credentials() -> None:
    config = dataclasses.replace(
        SignalingConfig(),
        ice_servers=(schema.IceServer(("stun:127.0.0.1:3478",)),),
        turn_urls=("turn:127.0.0.1:3478",),
        turn_secret="coturn-secret",
    )
    async with running_server(config) as server:
        client = await connect(server)
        try:
            ack = await client.join()
            stun, turn = ack["ice_servers"]
            assert stun == {"urls": ["stun:127.0.0.1:3478"]}
            expiry, user = turn["username"].split(":")
            assert user == client.peer_id and int(expiry) > time.time()
            assert turn["urls"] == ["turn:127.0.0.1:3478"] and turn["credential"]
        finally:
            await client.close()


async def test_seeder_claims_only_from_seeder_networks() -> None:
    config = SignalingConfig(seeder_networks=("10.9.0.0/16",), trusted_proxies=("127.0.0.1",))
    async with running_server(config) as server:
        edge = await connect(server, headers={"X-Forwarded-For": "10.9.1.1"})
        pretender = await connect(server, headers={"X-Forwarded-For": "203.0.113.1"})
        try:
            assert (await edge.join(seeder=True))["max_neighbours"] == 32
            ack = await pretender.join(seeder=True, max_neighbours=64)
            assert ack["max_neighbours"] == 5
            assert ack["neighbours"] == [
                {"peer_id": edge.peer_id, "initiator": True, "seeder": True}
            ]
            (swarm,) = (await server.signaling.snapshot())["swarms"]
            assert swarm["seeders"] == 1
        finally:
            await asyncio.gather(edge.close(), pretender.close())
