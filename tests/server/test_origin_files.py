"""Origin file serving: types, cache policy, ETag/304, HEAD, Range, CORS, and strict 404s."""

from __future__ import annotations

from pathlib import Path

import m3u8
import pytest
from aiohttp.test_utils import TestClient

from swarmcast.server.playlist_hold import advertise
from tests.server.conftest import ENDED_STREAM, LIVE_STREAM, raw_request

IMMUTABLE = "max-age=31536000, immutable"

# (URL below /live/demo/, Content-Type, Cache-Control while live)
LIVE_RESOURCES = [
    ("master.m3u8", "application/vnd.apple.mpegurl", "no-cache"),
    ("manifest.mpd", "application/dash+xml", "no-cache"),
    ("signing-key.json", "application/json", "no-cache"),
    ("360p/index.m3u8", "application/vnd.apple.mpegurl", "max-age=1"),
    ("360p/init-0.mp4", "video/mp4", IMMUTABLE),
    ("360p/seg-1.m4s", "video/iso.segment", IMMUTABLE),
    ("180p/seg-2.m4s", "video/iso.segment", IMMUTABLE),
    ("360p/init-0.mp4.integrity.json", "application/json", IMMUTABLE),
    ("360p/seg-0.m4s.integrity.json", "application/json", IMMUTABLE),
]


@pytest.mark.parametrize(("path", "content_type", "cache"), LIVE_RESOURCES)
async def test_get_serves_file_with_contract_headers(
    client: TestClient, streams_dir: Path, path: str, content_type: str, cache: str
) -> None:
    response = await client.get(f"/live/{LIVE_STREAM}/{path}")
    assert response.status == 200
    written = (streams_dir / LIVE_STREAM / path).read_bytes()
    # A live media playlist is served with blocking reload advertised (server/playlist_hold.py).
    assert await response.read() == (advertise(written) if path.endswith("index.m3u8") else written)
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Cache-Control"] == cache
    assert response.headers["ETag"].startswith('"')
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"Content-Range", "Content-Length", "ETag"} <= exposed


@pytest.mark.parametrize("path", ["master.m3u8", "manifest.mpd"])
async def test_ended_stream_manifests_cache_for_an_hour(client: TestClient, path: str) -> None:
    response = await client.get(f"/live/{ENDED_STREAM}/{path}")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "max-age=3600"


async def test_served_playlists_parse_with_an_independent_parser(client: TestClient) -> None:
    master = m3u8.loads(await (await client.get(f"/live/{LIVE_STREAM}/master.m3u8")).text())
    assert [p.uri for p in master.playlists] == ["360p/index.m3u8", "180p/index.m3u8"]
    for variant in master.playlists:
        response = await client.get(f"/live/{LIVE_STREAM}/{variant.uri}")
        media = m3u8.loads(await response.text())
        assert [s.uri for s in media.segments] == ["seg-0.m4s", "seg-1.m4s", "seg-2.m4s"]
        for segment in media.segments:
            rendition = variant.uri.split("/")[0]
            fetched = await client.get(f"/live/{LIVE_STREAM}/{rendition}/{segment.uri}")
            assert fetched.status == 200


async def test_head_has_get_headers_and_no_body(client: TestClient, streams_dir: Path) -> None:
    url = f"/live/{LIVE_STREAM}/360p/seg-1.m4s"
    got = await client.get(url)
    head = await client.head(url)
    assert head.status == 200
    assert await head.read() == b""
    size = (streams_dir / LIVE_STREAM / "360p/seg-1.m4s").stat().st_size
    assert head.headers["Content-Length"] == str(size)
    for name in ("Content-Type", "Cache-Control", "ETag", "Accept-Ranges"):
        assert head.headers[name] == got.headers[name]


@pytest.mark.parametrize("path", ["360p/seg-0.m4s", "360p/index.m3u8", "master.m3u8"])
async def test_if_none_match_gives_304(client: TestClient, path: str) -> None:
    url = f"/live/{LIVE_STREAM}/{path}"
    etag = (await client.get(url)).headers["ETag"]
    for header in (etag, f'"nope", W/{etag}', "*"):
        response = await client.get(url, headers={"If-None-Match": header})
        assert response.status == 304
        assert await response.read() == b""
        assert response.headers["ETag"] == etag
        assert response.headers["Cache-Control"]
    stale = await client.get(url, headers={"If-None-Match": '"some-other-version"'})
    assert stale.status == 200


async def test_etag_is_a_content_hash(client: TestClient, streams_dir: Path) -> None:
    a = await client.get(f"/live/{LIVE_STREAM}/360p/init-0.mp4")
    b = await client.get(f"/live/{LIVE_STREAM}/180p/init-0.mp4")
    c = await client.get(f"/live/{LIVE_STREAM}/360p/init-0.mp4")
    assert a.headers["ETag"] == c.headers["ETag"] != b.headers["ETag"]


def _segment(streams_dir: Path) -> bytes:
    return (streams_dir / LIVE_STREAM / "360p" / "seg-1.m4s").read_bytes()


@pytest.mark.parametrize(
    ("spec", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=1000-1000", 1000, 1000),
        ("bytes=16384-32767", 16384, 32767),
        ("bytes=5000-", 5000, None),
        ("bytes=-700", -700, None),
        ("bytes=100-999999999", 100, None),
        ("bytes=-999999999", 0, None),
    ],
)
async def test_range_returns_exactly_the_asked_bytes(
    client: TestClient, streams_dir: Path, spec: str, first: int, last: int | None
) -> None:
    body = _segment(streams_dir)
    size = len(body)
    start = first if first >= 0 else max(0, size + first)
    end = size - 1 if last is None else last
    response = await client.get(f"/live/{LIVE_STREAM}/360p/seg-1.m4s", headers={"Range": spec})
    assert response.status == 206
    assert await response.read() == body[start : end + 1]
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
    assert response.headers["Content-Length"] == str(end - start + 1)
    assert response.headers["Content-Type"] == "video/iso.segment"


@pytest.mark.parametrize("spec", ["bytes={size}-", "bytes={size}-{size}", "bytes=-0"])
async def test_unsatisfiable_range_gives_416(
    client: TestClient, streams_dir: Path, spec: str
) -> None:
    size = len(_segment(streams_dir))
    response = await client.get(
        f"/live/{LIVE_STREAM}/360p/seg-1.m4s", headers={"Range": spec.format(size=size)}
    )
    assert response.status == 416
    assert response.headers["Content-Range"] == f"bytes */{size}"


@pytest.mark.parametrize(
    "spec", ["bytes=0-1,5-9", "items=0-5", "bytes=9-3", "bytes=abc", "bytes=-", "bytes 0-5"]
)
async def test_multi_or_invalid_range_is_ignored(
    client: TestClient, streams_dir: Path, spec: str
) -> None:
    response = await client.get(f"/live/{LIVE_STREAM}/360p/seg-1.m4s", headers={"Range": spec})
    assert response.status == 200
    assert await response.read() == _segment(streams_dir)


async def test_if_range_with_another_validator_serves_everything(
    client: TestClient, streams_dir: Path
) -> None:
    url = f"/live/{LIVE_STREAM}/360p/seg-1.m4s"
    etag = (await client.get(url)).headers["ETag"]
    same = await client.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert same.status == 206
    other = await client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert other.status == 200
    assert await other.read() == _segment(streams_dir)


async def test_cors_preflight(client: TestClient) -> None:
    response = await client.options(
        f"/live/{LIVE_STREAM}/360p/seg-1.m4s",
        headers={
            "Origin": "http://example.test",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "range",
        },
    )
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert methods == {"GET", "HEAD", "OPTIONS"}
    assert "range" in response.headers["Access-Control-Allow-Headers"].lower()


NOT_FOUND_PATHS = [
    "/live/nostream/master.m3u8",
    "/live/demo/nope/index.m3u8",
    "/live/demo/360p/seg-99.m4s",
    "/live/demo/360p/seg-99.m4s.integrity.json",
    "/live/demo/360p/init-7.mp4",
    "/live/demo/.signing-key.pem",
    "/live/demo/360p/.seg-1.m4s.tmp",
    "/live/demo/360p/seg-01.m4s",
    "/live/demo/360p/seg--1.m4s",
    "/live/demo/360p/seg-1.m4s.tmp",
    "/live/demo/360p/seg-1.m4s.integrity.json.integrity.json",
    "/live/demo/360p/index.m3u8.integrity.json",
    "/live/demo/360p/master.m3u8",
    "/live/demo/index.m3u8",
    "/live/demo/360p",
    "/live/demo",
    "/live/demo/",
    "/live/",
    "/live/demo/360p/x/seg-1.m4s",
    "/live/" + "a" * 65 + "/master.m3u8",
    "/live/de%20mo/master.m3u8",
    "/live/demo/360p/seg-1.m4s%00",
    "/live/demo/360p/seg-99999999999999999999999.m4s",
    "/live/demo/signing-key.json/x",
]


@pytest.mark.parametrize("path", NOT_FOUND_PATHS)
async def test_unknown_names_are_404(client: TestClient, path: str) -> None:
    response = await client.get(path)
    assert response.status == 404
    assert response.headers["Access-Control-Allow-Origin"] == "*"


TRAVERSALS = [
    "/live/demo/../demo/.signing-key.pem",
    "/live/demo/..%2f.signing-key.pem",
    "/live/demo/360p/..%2F..%2F.signing-key.pem",
    "/live/..%2f..%2f..%2fetc/passwd",
    "/live/%2e%2e/%2e%2e/etc/passwd",
    "/live/demo/%2e%2e/.signing-key.pem",
    "/live/demo/360p/..\\..\\.signing-key.pem",
    "/live/demo/%252e%252e/.signing-key.pem",
    "/live//etc/passwd",
    "/live/demo//360p/seg-1.m4s/../../.signing-key.pem",
]


@pytest.mark.parametrize("path", TRAVERSALS)
async def test_traversal_never_reaches_the_private_key(client: TestClient, path: str) -> None:
    status, raw = await raw_request(client.port, f"GET {path} HTTP/1.1")
    assert status in (400, 404)
    assert b"PRIVATE KEY" not in raw


async def test_methods_other_than_get_head_options_are_refused(client: TestClient) -> None:
    for method in ("POST", "PUT", "DELETE"):
        response = await client.request(method, f"/live/{LIVE_STREAM}/master.m3u8")
        assert response.status == 405
