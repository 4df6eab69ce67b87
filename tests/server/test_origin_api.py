"""Origin APIs: stream list, viewer tokens, player config, liveness, demo page assets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from swarmcast.protocol import tokens
from swarmcast.protocol.signaling_schema import IceServer
from swarmcast.server.origin_app import TOKEN_SECRET_KEY, create_app
from tests.server.conftest import ENDED_STREAM, LIVE_STREAM, make_config


async def test_api_streams_lists_both_streams(client: TestClient) -> None:
    response = await client.get("/api/streams")
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-cache"
    streams = {entry["name"]: entry for entry in await response.json()}
    assert set(streams) == {LIVE_STREAM, ENDED_STREAM}
    demo = streams[LIVE_STREAM]
    assert demo["live"] is True
    assert streams[ENDED_STREAM]["live"] is False
    assert demo["master"] == "/live/demo/master.m3u8"
    assert demo["mpd"] == "/live/demo/manifest.mpd"
    assert demo["renditions"] == [
        {"name": "360p", "width": 640, "height": 360, "bandwidth": 828000},
        {"name": "180p", "width": 320, "height": 180, "bandwidth": 378000},
    ]


async def test_stream_without_updates_is_reported_not_live(streams_dir: Path) -> None:
    config = make_config(streams_dir, stale_after_s=0.0)
    old = time.time() - 60
    playlist = streams_dir / LIVE_STREAM / "360p" / "index.m3u8"
    before = playlist.stat()
    try:
        for path in (streams_dir / LIVE_STREAM).glob("**/*.m3u8"):
            os.utime(path, (old, old))
        async with TestClient(TestServer(create_app(config))) as client:
            streams = {e["name"]: e for e in await (await client.get("/api/streams")).json()}
            assert streams[LIVE_STREAM]["live"] is False
            # Not ended (no EXT-X-ENDLIST): the master playlist must stay uncacheable.
            master = await client.get(f"/live/{LIVE_STREAM}/master.m3u8")
            assert master.headers["Cache-Control"] == "no-cache"
    finally:
        for path in (streams_dir / LIVE_STREAM).glob("**/*.m3u8"):
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


async def test_api_streams_on_a_missing_directory_is_empty(tmp_path: Path) -> None:
    async with TestClient(TestServer(create_app(make_config(tmp_path / "nope")))) as client:
        response = await client.get("/api/streams")
        assert response.status == 200
        assert await response.json() == []
        assert (await client.get("/live/demo/master.m3u8")).status == 404


async def test_healthz(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert body["status"] == "ok"
    assert body["streams"] == 2
    assert body["live_streams"] == 1


async def test_token_verifies_with_the_shared_secret(client: TestClient) -> None:
    response = await client.get("/api/token", params={"stream": LIVE_STREAM})
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    secret = client.server.app[TOKEN_SECRET_KEY]
    claims = tokens.verify(body["token"], secret, time.time(), stream=LIVE_STREAM)
    assert claims.exp == body["exp"]
    assert body["exp"] > time.time() + 3600
    with pytest.raises(tokens.BadTokenMac):
        tokens.verify(body["token"], b"another secret, 16+ bytes", time.time())


async def test_token_secret_from_config_and_random_otherwise(streams_dir: Path) -> None:
    secret = b"operator-chosen-secret"
    configured = create_app(make_config(streams_dir, token_secret=secret))
    assert configured[TOKEN_SECRET_KEY] == secret
    first = create_app(make_config(streams_dir))[TOKEN_SECRET_KEY]
    second = create_app(make_config(streams_dir))[TOKEN_SECRET_KEY]
    assert len(first) == 32 and first != second


@pytest.mark.parametrize(
    ("query", "status"),
    [({"stream": "nostream"}, 404), ({"stream": "../demo"}, 400), ({}, 400), ({"stream": ""}, 400)],
)
async def test_token_refuses_bad_streams(
    client: TestClient, query: dict[str, str], status: int
) -> None:
    response = await client.get("/api/token", params=query)
    assert response.status == status
    assert "error" in await response.json()


async def test_config_without_ice_servers(client: TestClient) -> None:
    response = await client.get("/api/config")
    assert response.status == 200
    body = await response.json()
    assert body["iceServers"] == []
    assert body["signaling"] == {"url": "", "path": "/socket.io/", "namespace": "/swarm"}


async def test_config_mints_turn_rest_credentials(streams_dir: Path) -> None:
    config = make_config(
        streams_dir,
        ice_servers=(
            IceServer(("stun:10.77.0.1:3478",)),
            IceServer(("turn:10.77.0.1:3479",), username="static", credential="pw"),
        ),
        turn_urls=("turn:10.77.0.1:3478?transport=udp",),
        turn_secret="coturn-secret",
        turn_ttl_s=600,
    )
    async with TestClient(TestServer(create_app(config))) as client:
        servers = (await (await client.get("/api/config")).json())["iceServers"]
    assert servers[0] == {"urls": ["stun:10.77.0.1:3478"]}
    assert servers[1] == {"urls": ["turn:10.77.0.1:3479"], "username": "static", "credential": "pw"}
    assert servers[2]["urls"] == ["turn:10.77.0.1:3478?transport=udp"]
    username = servers[2]["username"]
    expiry = int(username.split(":")[0])
    assert time.time() + 590 < expiry <= time.time() + 601
    digest = hmac.new(b"coturn-secret", username.encode(), hashlib.sha1).digest()
    assert servers[2]["credential"] == base64.b64encode(digest).decode()


async def test_demo_page_and_hls_js(client: TestClient) -> None:
    page = await client.get("/")
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = await page.text()
    assert "/static/hls.min.js" in html and "/static/demo.js" in html
    # The player selector: Shaka and dash.js come with the DASH adapters' bundle.
    # The shim bundles by their content-hashed names when built (server/origin_player.py).
    for needle in ("?player=shaka", "?player=dashjs", "/player/swarmcast-dash."):
        assert needle in html, needle
    for asset, kind in (
        ("demo.js", "javascript"),
        ("demo.css", "css"),
        ("hls.min.js", "javascript"),
        ("shaka-player.compiled.js", "javascript"),
        ("dash.all.min.js", "javascript"),
        ("video.min.js", "javascript"),
        ("video-js.min.css", "css"),
    ):
        response = await client.get(f"/static/{asset}")
        assert response.status == 200, asset
        assert kind in response.headers["Content-Type"]
    assert (await client.get("/static/index.html")).status == 404
    example = await client.get("/examples/videojs")
    assert example.status == 200
    assert "/static/video.min.js" in await example.text()
    assert (await client.get("/static/..%2fdemo.js")).status == 404


async def test_shim_bundle_served_once_built(streams_dir: Path, tmp_path: Path) -> None:
    config = make_config(streams_dir, player_dir=tmp_path / "player", player_shim_dir=tmp_path)
    async with TestClient(TestServer(create_app(config))) as client:
        assert (await client.get("/player/swarmcast.js")).status == 404
        # A checkout built before the bundle was copied into the package: player-shim/dist/.
        (tmp_path / "dist").mkdir()
        (tmp_path / "dist" / "swarmcast.js").write_text("old build\n")
        assert await (await client.get("/player/swarmcast.js")).text() == "old build\n"
        (tmp_path / "player").mkdir()
        (tmp_path / "player" / "swarmcast.js").write_text("window.swarmcast = {};\n")
        response = await client.get("/player/swarmcast.js")
        assert response.status == 200
        assert await response.text() == "window.swarmcast = {};\n"
        assert (await client.get("/player/other.js")).status == 404
        (tmp_path / "dist" / "swarmcast-dash.js").write_text("window.swarmcastDash = {};\n")
        assert (await client.get("/player/swarmcast-dash.js")).status == 200


async def test_time_endpoint_for_dash_utc_timing(client: TestClient) -> None:
    """`/api/time` (the MPD's http-iso UTCTiming): xs:dateTime now, uncached, any origin."""
    before = time.time()
    response = await client.get("/api/time")
    after = time.time()
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    text = await response.text()
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
    assert before - 0.001 <= moment <= after
