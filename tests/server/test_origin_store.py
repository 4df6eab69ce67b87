"""The origin's file store and catalog: LRU of immutable files, identity checks, fuzzed paths."""

from __future__ import annotations

import os
import random
from pathlib import Path

from aiohttp.test_utils import TestClient

from swarmcast.server.origin_app import FILE_STORE_KEY
from swarmcast.server.origin_catalog import parse_master
from swarmcast.server.origin_files import FileStore
from tests.server.conftest import LIVE_STREAM, raw_request


async def test_immutable_files_are_read_once(client: TestClient) -> None:
    store = client.server.app[FILE_STORE_KEY]
    url = f"/live/{LIVE_STREAM}/360p/seg-2.m4s"
    first = await (await client.get(url)).read()
    misses = store.misses
    for _ in range(3):
        assert await (await client.get(url)).read() == first
    assert store.misses == misses
    assert store.hits >= 3


async def test_replaced_file_is_never_served_stale(tmp_path: Path) -> None:
    store = FileStore(cache_bytes=1 << 20)
    path = tmp_path / "seg-0.m4s"
    path.write_bytes(b"first version")
    first = await store.read(path, cacheable=True, max_bytes=1 << 20)
    replacement = tmp_path / "tmp"
    replacement.write_bytes(b"second version!")
    os.replace(replacement, path)  # the segmenter's publish: write a temp name, rename it
    second = await store.read(path, cacheable=True, max_bytes=1 << 20)
    assert first is not None and second is not None
    assert second.body == b"second version!" and second.etag != first.etag
    path.unlink()
    assert await store.read(path, cacheable=True, max_bytes=1 << 20) is None


async def test_lru_stays_within_its_byte_budget(tmp_path: Path) -> None:
    store = FileStore(cache_bytes=100_000)
    for index in range(20):
        path = tmp_path / f"seg-{index}.m4s"
        path.write_bytes(bytes([index]) * 20_000)
        assert await store.read(path, cacheable=True, max_bytes=1 << 20) is not None
        assert store.cached_bytes <= 100_000
    big = tmp_path / "big"
    big.write_bytes(b"x" * 200_000)
    assert await store.read(big, cacheable=True, max_bytes=150_000) is None  # over the limit
    assert (await store.read(big, cacheable=True, max_bytes=1 << 20)) is not None
    assert store.cached_bytes <= 100_000


async def test_directories_and_special_files_are_not_served(tmp_path: Path) -> None:
    store = FileStore(cache_bytes=1 << 20)
    assert await store.read(tmp_path, cacheable=False, max_bytes=1 << 20) is None
    os.mkfifo(tmp_path / "fifo")
    assert await store.read(tmp_path / "fifo", cacheable=False, max_bytes=1 << 20) is None


def test_parse_master_skips_foreign_uris() -> None:
    text = (
        "#EXTM3U\n"
        '#EXT-X-STREAM-INF:BANDWIDTH=900000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=640x360\n'
        "360p/index.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=1\n"
        "http://elsewhere/x.m3u8\n"
        "#EXT-X-STREAM-INF:RESOLUTION=bad\n"
        "240p/index.m3u8\n"
    )
    renditions = parse_master(text)
    assert [(r.name, r.width, r.height, r.bandwidth) for r in renditions] == [
        ("360p", 640, 360, 900000),
        ("240p", 0, 0, 0),
    ]


async def test_garbage_paths_never_give_a_server_error(client: TestClient) -> None:
    rng = random.Random(1234)
    pieces = [
        "live",
        "demo",
        "360p",
        "seg-1.m4s",
        "..",
        ".",
        "%2e",
        "%2f",
        "%00",
        "%ff",
        "~",
        ".signing-key.pem",
        "a" * 70,
        "master.m3u8",
        "\\",
        "%5c",
        "é",
        "%",
        "api",
        "",
    ]
    for _ in range(150):
        path = "/" + "/".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))
        path = path.encode("utf-8").decode("latin-1")
        status, raw = await raw_request(client.port, f"GET {path} HTTP/1.1")
        assert status < 500, (path, raw[:200])
        assert b"PRIVATE KEY" not in raw
