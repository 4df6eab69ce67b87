"""Origin test fixtures: one real stream directory per session, an origin app per test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from swarmcast.server.origin_app import create_app
from swarmcast.server.origin_config import OriginConfig
from tests.server.stream_factory import write_stream

LIVE_STREAM = "demo"
ENDED_STREAM = "vod"


@pytest.fixture(scope="session")
def streams_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`demo` (live: no EXT-X-ENDLIST) and `vod` (ended), encoded for real with PyAV."""
    root = tmp_path_factory.mktemp("streams")
    write_stream(root, LIVE_STREAM, seconds=6)
    write_stream(root, ENDED_STREAM, seconds=4, ended=True)
    return root


def make_config(streams_dir: Path, **overrides: object) -> OriginConfig:
    # Playlists of the session fixture do not change: never call them stale in tests.
    options: dict[str, object] = {"stale_after_s": 1e9, **overrides}
    return OriginConfig(streams_dir=streams_dir, **options)  # type: ignore[arg-type]


@pytest.fixture
async def client(streams_dir: Path) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(make_config(streams_dir)))) as test_client:
        yield test_client


async def raw_request(port: int, request_line: str, headers: str = "") -> tuple[int, bytes]:
    """Send a request line byte for byte (no client-side path normalisation); (status, raw)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            f"{request_line}\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}\r\n".encode(
                "latin-1"
            )
        )
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()
    status = int(raw.split(b" ", 2)[1])
    return status, raw
