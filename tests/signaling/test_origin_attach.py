"""attach_signaling on the origin's own app: tokens from `/api/token` open signaling."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import socketio

from swarmcast.protocol import signaling_schema as schema
from swarmcast.server.origin_app import create_app
from swarmcast.server.origin_config import OriginConfig
from swarmcast.server.serve_cmd import signaling_setup
from swarmcast.signaling.attach import SIGNALING_KEY
from swarmcast.signaling.config import SignalingConfig
from tests.signaling.signaling_fixtures import serve_app

ADMIN = "operator-admin-token-0123456789"

MASTER = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\n360p/index.m3u8\n"


async def test_origin_minted_token_opens_signaling(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "master.m3u8").write_text(MASTER)
    app = create_app(
        OriginConfig(streams_dir=tmp_path),
        extra_setup=[signaling_setup(SignalingConfig(admin_token=ADMIN))],
    )
    assert SIGNALING_KEY in app
    runner, url = await serve_app(app)
    client = socketio.AsyncClient(reconnection=False)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/api/token?stream=demo") as response:
                assert response.status == 200, await response.text()
                token = (await response.json())["token"]
            await client.connect(
                url, namespaces=[schema.NAMESPACE], transports=["websocket"], auth={"token": token}
            )
            ack = await client.call(
                "join",
                {"stream": "demo", "rendition": "360p", "capabilities": {}},
                namespace=schema.NAMESPACE,
            )
            assert schema.parse_join_ack(ack).swarm == "demo/360p"
            auth = {"Authorization": f"Bearer {ADMIN}"}
            async with http.get(f"{url}/api/swarms", headers=auth) as response:
                assert (await response.json())["peers"] == 1
                assert "Access-Control-Allow-Origin" not in response.headers
    finally:
        await client.disconnect()
        await runner.cleanup()
