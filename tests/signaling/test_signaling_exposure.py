"""Topology exposure and connection caps (issue 9, finding 6) against the real server:
`/api/swarms` only for the operator, swarms only for renditions that exist (or a few per
stream), per-token / per-address / per-prefix connection caps, idle connections closed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from swarmcast.server.origin_app import create_app
from swarmcast.server.origin_config import OriginConfig
from swarmcast.signaling.attach import SIGNALING_KEY
from swarmcast.signaling.cli import build_app
from swarmcast.signaling.config import SignalingConfig
from tests.signaling.signaling_fixtures import (
    SECRET,
    RunningServer,
    connect,
    running_server,
    serve_app,
)

ADMIN = "operator-admin-token-0123456789"
MASTER = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\n360p/index.m3u8\n"


def via(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def test_api_swarms_is_off_by_default_and_needs_the_operator_token() -> None:
    async with (
        running_server() as server,
        aiohttp.ClientSession() as http,
        http.get(f"{server.url}/api/swarms") as response,
    ):
        assert response.status == 404, "no admin token configured: not served at all"
    async with running_server(SignalingConfig(admin_token=ADMIN)) as server:
        client = await connect(server)
        try:
            await client.join(upload_budget_bps=10_000_000)
            async with aiohttp.ClientSession() as http:
                for headers in ({}, {"Authorization": "Bearer wrong-token-000000000000"}):
                    async with http.get(f"{server.url}/api/swarms", headers=headers) as response:
                        assert response.status == 401
                        assert "Access-Control-Allow-Origin" not in response.headers
                auth = {"Authorization": f"Bearer {ADMIN}", "Origin": "http://evil.example"}
                async with http.get(f"{server.url}/api/swarms", headers=auth) as response:
                    assert response.headers["Cache-Control"] == "no-store"
                    assert "Access-Control-Allow-Origin" not in response.headers
                    body = await response.json()
                async with http.get(f"{server.url}/api/swarms?peers=0", headers=auth) as response:
                    brief = await response.json()
            assert body["peers"] == 1 and body["connections"] == 1
            (swarm,) = body["swarms"]
            assert swarm["stream"] == "demo" and swarm["rendition"] == "720p"
            assert swarm["peer_list"][0]["peer_id"] == client.peer_id
            assert swarm["peer_list"][0]["upload_budget_bps"] == 10_000_000
            assert "peer_list" not in brief["swarms"][0]
        finally:
            await client.close()


async def test_standalone_signaling_makes_swarms_only_for_the_origins_renditions(
    tmp_path: Path,
) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "master.m3u8").write_text(MASTER)
    origin, origin_url = await serve_app(create_app(OriginConfig(streams_dir=tmp_path)))
    signaling_app = build_app(SignalingConfig(), SECRET, origin_url=origin_url)
    signaling, url = await serve_app(signaling_app)
    server = RunningServer(url, signaling_app[SIGNALING_KEY], signaling_app)
    client = await connect(server)
    try:
        codes = []
        for rendition in ("720p", "nope", "360p"):
            ack = await client.join(rendition)
            codes.append("ok" if ack["ok"] else ack["error"]["code"])
        assert codes == ["unknown-rendition", "unknown-rendition", "ok"]
        stranger = await connect(server, server.token(stream="ghost"))
        try:
            ack = await stranger.join("360p", stream="ghost")
            assert ack["error"]["code"] == "unknown-rendition", "no such stream"
        finally:
            await stranger.close()
    finally:
        await client.close()
        await signaling.cleanup()
        await origin.cleanup()


async def test_without_a_rendition_list_a_stream_gets_a_few_swarms_only() -> None:
    async with running_server(SignalingConfig(max_swarms_per_stream=3)) as server:
        clients = [await connect(server) for _ in range(4)]
        try:
            codes = []
            for i, client in enumerate(clients):
                ack = await client.join(f"fake{i}")
                codes.append("ok" if ack["ok"] else ack["error"]["code"])
            assert codes == ["ok", "ok", "ok", "unknown-rendition"]
        finally:
            await asyncio.gather(*(c.close() for c in clients))


async def test_connection_caps_per_token_address_and_prefix() -> None:
    config = SignalingConfig(
        trusted_proxies=("127.0.0.1",),
        max_connections_per_token=2,
        max_connections_per_address=3,
        max_connections_per_prefix=5,
    )
    async with running_server(config) as server:
        opened = []
        try:
            token = server.token()
            same_token = [
                await connect(server, token, headers=via(f"198.51.100.{i}")) for i in (1, 2, 3)
            ]
            opened += same_token
            assert [c.connect_error is None for c in same_token] == [True, True, False]
            assert same_token[2].connect_error["message"] == "too-many-connections"
            one_address = [await connect(server, headers=via("203.0.113.7")) for _ in range(4)]
            opened += one_address
            assert [c.connect_error is None for c in one_address] == [True, True, True, False]
            neighbours = [await connect(server, headers=via(f"203.0.113.{i}")) for i in (8, 9, 10)]
            opened += neighbours
            assert [c.connect_error is None for c in neighbours] == [True, True, False]
            # A closed connection frees its slots.
            await one_address[0].close()
            await one_address[0].wait_disconnected()
            while server.signaling.connection_count > 7:
                await asyncio.sleep(0.01)
            again = await connect(server, headers=via("203.0.113.10"))
            opened.append(again)
            assert again.connect_error is None
        finally:
            await asyncio.gather(*(c.close() for c in opened))


async def test_one_address_cannot_fill_its_networks_share_of_a_swarm() -> None:
    config = SignalingConfig(
        trusted_proxies=("127.0.0.1",), max_peers_per_prefix=6, max_peers_per_address=3
    )
    async with running_server(config) as server:
        idle = [await connect(server, headers=via("203.0.113.66")) for _ in range(6)]
        honest = [await connect(server, headers=via(f"203.0.113.{i}")) for i in range(1, 4)]
        try:
            codes = []
            for client in idle:
                ack = await client.join()
                codes.append("ok" if ack["ok"] else ack["error"]["code"])
            assert codes == ["ok"] * 3 + ["prefix-full"] * 3
            acks = [await c.join() for c in honest]
            assert all(ack["ok"] for ack in acks), "the network's honest viewers get in"
        finally:
            await asyncio.gather(*(c.close() for c in [*idle, *honest]))


async def test_connections_in_no_swarm_are_closed_after_the_join_timeout() -> None:
    async with running_server(SignalingConfig(join_timeout_s=1.0)) as server:
        idle = await connect(server)
        viewer = await connect(server)
        try:
            assert (await viewer.join())["ok"]
            await idle.wait_disconnected()
            assert viewer.sio.connected, "a viewer in a swarm stays"
            assert (await viewer.call("leave")) == {"ok": True}
            await viewer.wait_disconnected()
        finally:
            await asyncio.gather(idle.close(), viewer.close())


async def test_swarm_size_is_public_and_reveals_only_a_count() -> None:
    async with running_server() as server:
        clients = [await connect(server) for _ in range(3)]
        try:
            for client in clients:
                await client.join("360p")
            async with aiohttp.ClientSession() as http:
                url = f"{server.url}/api/swarm-size"
                async with http.get(url, params={"swarm": "demo/360p"}) as response:
                    assert await response.json() == {"swarm": "demo/360p", "peers": 3}
                    # The shim reads it from the player page's origin.
                    assert response.headers["Access-Control-Allow-Origin"] == "*"
                async with http.get(url, params={"swarm": "demo/none"}) as response:
                    assert (await response.json())["peers"] == 0
                async with http.get(url, params={"swarm": "../x"}) as response:
                    assert response.status == 400
        finally:
            await asyncio.gather(*(c.close() for c in clients))


async def test_shared_address_networks_have_no_per_address_caps() -> None:
    config = SignalingConfig(
        trusted_proxies=("127.0.0.1",),
        shared_address_networks=("10.77.0.0/16",),
        max_peers_per_address=2,
        max_connections_per_address=2,
    )
    async with running_server(config) as server:
        office = [await connect(server, headers=via("10.77.3.2")) for _ in range(4)]
        elsewhere = [await connect(server, headers=via("203.0.113.9")) for _ in range(3)]
        try:
            assert all(c.connect_error is None for c in office)
            assert all([(await c.join())["ok"] for c in office]), "one address, many viewers"
            assert [c.connect_error is None for c in elsewhere] == [True, True, False]
        finally:
            await asyncio.gather(*(c.close() for c in [*office, *elsewhere]))
