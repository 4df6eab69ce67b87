"""The operator plane on a real signaling server: `/metrics`, beacons (checked, rate-limited,
aggregated), per-stream control pushed live and enforced at join, and the admin API's auth."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from swarmcast.protocol.beacon_schema import parse_beacon, parse_beacon_ack, parse_control
from swarmcast.server.origin_app import create_app
from swarmcast.server.origin_config import OriginConfig
from swarmcast.server.origin_keys import TOKEN_SECRET_KEY
from swarmcast.signaling.admin_routes import UPLOT_DIR
from swarmcast.signaling.attach import SIGNALING_KEY, attach_signaling
from swarmcast.signaling.config import SignalingConfig
from tests.protocol.beacon_vectors import BEACON
from tests.signaling.signaling_fixtures import Client, RunningServer, connect, running_server

ADMIN = "operator-test-token"
CONFIG = SignalingConfig(admin_token=ADMIN)


def beacon(**changes: Any) -> dict[str, Any]:
    return {**BEACON, **changes}


async def admin(
    server: RunningServer, path: str, body: Any = None, token: str | None = ADMIN
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with aiohttp.ClientSession() as http:
        method = http.post if body is not None else http.get
        async with method(f"{server.url}{path}", json=body, headers=headers) as response:
            return response.status, await response.json()


async def metrics(server: RunningServer) -> dict[str, float]:
    """Samples of `/metrics` as {'name{labels}': value}."""
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


async def test_beacons_are_aggregated_into_metrics_and_the_overview() -> None:
    async with running_server(CONFIG) as server:
        a, b = await connect(server), await connect(server)
        try:
            assert (await a.join("360p"))["ok"]
            ack = await a.call("beacon", beacon(http_bytes=1000, p2p_bytes=3000))
            assert parse_beacon_ack(ack).p2p is True
            await b.call(
                "beacon", beacon(http_bytes=500, p2p_bytes=0, p2p="off", reason="ramp-cohort")
            )
            # A later beacon replaces the viewer's earlier counters (they are cumulative).
            await a.call("beacon", beacon(http_bytes=2000, p2p_bytes=6000, seq=4))
            samples = await metrics(server)
            # Labelled by the swarm signaling placed the viewer in, not by the beacon's claim.
            key = 'swarmcast_viewer_bytes_total{rendition="%s",source="%s",stream="demo"}'
            assert samples[key % ("360p", "http")] == 2000
            assert samples[key % ("-", "http")] == 500  # b never joined
            assert samples[key % ("360p", "p2p")] == 6000
            assert samples["swarmcast_signaling_connections"] == 2
            assert samples['swarmcast_signaling_events_total{event="beacon",result="ok"}'] == 3
            assert samples['swarmcast_signaling_events_total{event="join",result="ok"}'] == 1
            assert samples['swarmcast_viewers_p2p_off{reason="ramp-cohort",stream="demo"}'] == 1
            # Only a P2P member's capacity counts (b is off).
            labels = '{rendition="360p",stream="demo"}'
            assert samples["swarmcast_viewer_upload_capacity_bps" + labels] == 2_000_000
            assert 0 < samples["swarmcast_offload_upload_bound" + labels] <= 1
            status, overview = await admin(server, "/admin/api/overview")
            assert status == 200
            (stream,) = overview["streams"]
            summary = stream["summary"]
            assert summary["viewers"] == 2
            assert summary["totals"]["http_bytes"] == 2500
            assert summary["offload"] == pytest.approx(6000 / 8500)
            assert summary["by_reason"] == {"ramp-cohort": 1}
            assert summary["offload_upload_bound"] is not None
        finally:
            await a.close()
            await b.close()
        # Departed viewers' totals stay in the stream's.
        await a.wait_disconnected()
        await b.wait_disconnected()
        status, overview = await admin(server, "/admin/api/overview")
        assert overview["streams"][0]["summary"]["totals"]["http_bytes"] == 2500
        assert overview["streams"][0]["summary"]["viewers"] == 0


async def test_hostile_beacons_are_refused_and_flooding_is_rate_limited() -> None:
    config = dataclasses.replace(CONFIG, beacon_rate=0.01, beacon_burst=2)
    async with running_server(config) as server:
        client = await connect(server)
        try:
            bad = await client.call("beacon", beacon(http_bytes=-5))
            assert bad["error"]["code"] == "bad-request"
            assert (await client.call("beacon", "x" * 1000))["error"]["code"] == "bad-request"
            # The bad ones spent the burst: the next one is over the beacon rate.
            assert (await client.call("beacon", beacon()))["error"]["code"] == "rate-limited"
            assert client.sio.connected
        finally:
            await client.close()


async def test_control_is_pushed_live_and_the_kill_switch_holds_at_join() -> None:
    async with running_server(CONFIG) as server:
        viewer, other = await connect(server), await connect(server, server.token("other"))
        try:
            assert (await viewer.join("360p"))["ok"]
            status, body = await admin(
                server, "/admin/api/streams/demo/control", {"p2p": False, "ramp_percent": 50}
            )
            assert status == 200, body
            pushed = parse_control(await viewer.next("control"))
            assert (pushed.p2p, pushed.ramp_percent, pushed.version) == (False, 50, 1)
            assert other.queue("control").empty()  # another stream's viewers are not told
            refused = await viewer.join("720p")
            assert refused["error"]["code"] == "p2p-off"
            ack = parse_beacon_ack(await viewer.call("beacon", beacon()))
            assert ack.p2p is False
            status, body = await admin(
                server, "/admin/api/streams/demo/control", {"p2p": True, "shadow": True}
            )
            pushed = parse_control(await viewer.next("control"))
            assert (pushed.p2p, pushed.shadow, pushed.ramp_percent) == (True, True, 50)
            assert (await viewer.join("720p"))["ok"]
            status, body = await admin(server, "/admin/api/streams/demo")
            assert body["control"]["shadow"] is True
        finally:
            await viewer.close()
            await other.close()


async def test_admin_api_wants_the_operator_token() -> None:
    async with running_server(CONFIG) as server:
        assert (await admin(server, "/admin/api/overview", token=None))[0] == 401
        assert (await admin(server, "/admin/api/overview", token="wrong"))[0] == 401
        status, body = await admin(server, "/admin/api/streams/demo/control", {"ramp_percent": 101})
        assert status == 400 and "ramp_percent" in body["error"]
        status, body = await admin(server, "/admin/api/streams/demo/control", {"colour": "red"})
        assert status == 400
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/admin") as response:
            assert response.status == 200
            assert "swarmcast" in await response.text()
        async with aiohttp.ClientSession() as http:
            for name in ("admin.js", "admin.css", "uPlot.iife.min.js"):
                async with http.get(f"{server.url}/admin/static/{name}") as response:
                    built = name.startswith("admin") or UPLOT_DIR.joinpath(name).is_file()
                    assert response.status == (200 if built else 404), name
            async with http.get(f"{server.url}/admin/static/..%2Fserver.py") as response:
                assert response.status == 404
    async with running_server(SignalingConfig()) as server:  # no token configured: API off
        assert (await admin(server, "/admin/api/overview"))[0] == 403


async def test_a_viewer_receives_control_even_on_another_rendition() -> None:
    async with running_server(CONFIG) as server:
        clients: list[Client] = [await connect(server) for _ in range(3)]
        try:
            await clients[0].join("360p")
            await clients[1].join("720p")  # clients[2] never joins: still told
            await admin(server, "/admin/api/streams/demo/control", {"shadow": True})
            for client in clients:
                assert parse_control(await client.next("control")).shadow is True
        finally:
            for client in clients:
                await client.close()


async def test_the_origin_s_measured_egress_goes_into_the_history(tmp_path: Path) -> None:
    """Signaling on an origin's app samples the origin's own response bytes."""
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "master.m3u8").write_text("#EXTM3U\n")
    app = create_app(
        OriginConfig(streams_dir=tmp_path),
        extra_setup=[lambda a: attach_signaling(a, CONFIG, a[TOKEN_SECRET_KEY])],
    )
    plane = app[SIGNALING_KEY].plane
    plane.book.record("demo", "v", parse_beacon(BEACON), 0.0)
    async with TestClient(TestServer(app)) as client:
        await plane.sample()
        body = await (await client.get("/live/demo/master.m3u8")).read()
        await plane.sample()
    points = plane.book.history("demo")
    assert points[-1]["origin_bps"] > 0
    assert len(body) > 0
