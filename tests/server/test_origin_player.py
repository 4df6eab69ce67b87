"""`/player/`: content-hashed bundle names are immutable, plain names no-cache, brotli/gzip by
Accept-Encoding with ETags per encoding; the demo page loads the hashed name."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from swarmcast.server.origin_app import create_app
from tests.server.conftest import make_config

BODY = b"window.swarmcast = {};\n" * 100


def build_player(directory: Path) -> str:
    """What player-shim/build.mjs writes: the bundle, .gz/.br copies, the manifest."""
    directory.mkdir()
    (directory / "swarmcast.js").write_bytes(BODY)
    (directory / "swarmcast.js.gz").write_bytes(gzip.compress(BODY))
    (directory / "swarmcast.js.br").write_bytes(b"brotli bytes")  # served as is
    hashed = "swarmcast.0123456789ab.js"
    (directory / "manifest.json").write_text(json.dumps({"swarmcast.js": hashed}))
    return hashed


async def test_hashed_name_is_immutable_and_compressed(streams_dir: Path, tmp_path: Path) -> None:
    hashed = build_player(tmp_path / "player")
    config = make_config(streams_dir, player_dir=tmp_path / "player", player_shim_dir=tmp_path)
    async with TestClient(TestServer(create_app(config))) as client:
        plain = await client.get("/player/swarmcast.js", headers={"Accept-Encoding": "identity"})
        assert plain.headers["Cache-Control"] == "no-cache"
        assert await plain.read() == BODY
        response = await client.get(f"/player/{hashed}", headers={"Accept-Encoding": "gzip"})
        assert response.status == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["Content-Encoding"] == "gzip"
        assert response.headers["Vary"] == "Accept-Encoding"
        assert await response.read() == BODY  # the client decoded the gzip copy
        etag = response.headers["ETag"]
        again = await client.get(
            f"/player/{hashed}", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
        )
        assert again.status == 304
        brotli = await client.get(
            f"/player/{hashed}", headers={"Accept-Encoding": "gzip, br"}, auto_decompress=False
        )
        assert brotli.headers["Content-Encoding"] == "br"
        assert brotli.headers["ETag"] != etag
        assert (await client.get("/player/swarmcast.ffffffffffff.js")).status == 404
        page = await (await client.get("/")).text()
        assert f'"/player/{hashed}"' in page and '"/player/swarmcast.js"' not in page
