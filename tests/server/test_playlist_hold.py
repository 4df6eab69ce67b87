"""Blocking playlist reload (`_HLS_msn`): held until the segment is published, then served."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import m3u8
import pytest
from aiohttp.test_utils import TestClient, TestServer
from multidict import MultiDict

from swarmcast.server import origin_routes
from swarmcast.server.origin_app import create_app
from swarmcast.server.origin_keys import PLAYLIST_WATCHES_KEY
from swarmcast.server.playlist_hold import (
    SERVER_CONTROL,
    BadDirective,
    advertise,
    playlist_state,
    requested_msn,
)
from tests.server.conftest import ENDED_STREAM, LIVE_STREAM, make_config

PLAYLIST = f"/live/{LIVE_STREAM}/360p/index.m3u8"


@pytest.fixture
def live_dir(streams_dir: Path, tmp_path: Path) -> Path:
    """A writable copy of the live stream (the test publishes segments into it)."""
    for stream in (LIVE_STREAM, ENDED_STREAM):
        shutil.copytree(streams_dir / stream, tmp_path / stream)
    return tmp_path


@pytest.fixture
async def held_client(live_dir: Path) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(make_config(live_dir)))) as test_client:
        yield test_client


def publish_next(live_dir: Path) -> int:
    """Append the next segment to the live 360p playlist as the segmenter would (a rewrite)."""
    path = live_dir / LIVE_STREAM / "360p" / "index.m3u8"
    body = path.read_bytes()
    seq = playlist_state(body).last_msn + 1
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(body + f"#EXTINF:2.000,\nseg-{seq}.m4s\n".encode())
    tmp.replace(path)
    return seq


async def until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.005)


def test_playlist_state_counts_from_the_media_sequence() -> None:
    body = (
        b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n"
        b"#EXTINF:2.0,\na\n#EXTINF:2.0,\nb\n"
    )
    assert playlist_state(body).last_msn == 8
    assert playlist_state(body).target_duration == 2.0
    assert not playlist_state(body).ended
    assert playlist_state(body + b"#EXT-X-ENDLIST\n").ended
    assert playlist_state(b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n").last_msn == -1


def test_advertise_only_live_playlists() -> None:
    live = b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
    assert advertise(live) == live.replace(b":2\n", b":2\n" + SERVER_CONTROL + b"\n", 1)
    ended = live + b"#EXT-X-ENDLIST\n"
    assert advertise(ended) == ended
    assert advertise(advertise(live)) == advertise(live)


@pytest.mark.parametrize(
    "query",
    [{"_HLS_msn": "-1"}, {"_HLS_msn": "x"}, {"_HLS_msn": "1e3"}, {"_HLS_part": "0"}],
)
def test_malformed_directives_are_refused(query: dict[str, str]) -> None:
    with pytest.raises(BadDirective):
        requested_msn(MultiDict(query))


async def test_live_playlist_advertises_blocking_and_parses(
    held_client: TestClient, live_dir: Path
) -> None:
    response = await held_client.get(PLAYLIST)
    text = await response.text()
    assert response.status == 200
    assert "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES" in text
    assert m3u8.loads(text).server_control["can_block_reload"] == "YES"
    ended = await (await held_client.get(f"/live/{ENDED_STREAM}/360p/index.m3u8")).text()
    assert "SERVER-CONTROL" not in ended


async def test_off_serves_the_file_as_written(live_dir: Path) -> None:
    app = create_app(make_config(live_dir, blocking_reload=False))
    async with TestClient(TestServer(app)) as client:
        response = await client.get(PLAYLIST, params={"_HLS_msn": "999"})
        assert response.status == 200
        assert await response.read() == (live_dir / LIVE_STREAM / "360p/index.m3u8").read_bytes()


async def test_published_segment_answers_at_once(held_client: TestClient, live_dir: Path) -> None:
    last = playlist_state((live_dir / LIVE_STREAM / "360p/index.m3u8").read_bytes()).last_msn
    response = await held_client.get(PLAYLIST, params={"_HLS_msn": str(last)})
    assert response.status == 200
    assert f"seg-{last}.m4s" in await response.text()


async def test_next_segment_is_held_until_published(
    held_client: TestClient, live_dir: Path
) -> None:
    last = playlist_state((live_dir / LIVE_STREAM / "360p/index.m3u8").read_bytes()).last_msn
    request = asyncio.create_task(held_client.get(PLAYLIST, params={"_HLS_msn": str(last + 1)}))
    watches = held_client.app[PLAYLIST_WATCHES_KEY]
    await until(lambda: watches.waiting == 1)
    assert not request.done()
    assert publish_next(live_dir) == last + 1
    response = await asyncio.wait_for(request, timeout=5)
    assert response.status == 200
    playlist = m3u8.loads(await response.text())
    assert playlist.segments[-1].uri == f"seg-{last + 1}.m4s"
    assert watches.waiting == 0


async def test_too_far_ahead_is_a_bad_request(held_client: TestClient, live_dir: Path) -> None:
    last = playlist_state((live_dir / LIVE_STREAM / "360p/index.m3u8").read_bytes()).last_msn
    response = await held_client.get(PLAYLIST, params={"_HLS_msn": str(last + 3)})
    assert response.status == 400
    response = await held_client.get(PLAYLIST, params={"_HLS_msn": "abc"})
    assert response.status == 400


async def test_unpublished_in_time_gets_the_playlist_as_it_is(
    held_client: TestClient, monkeypatch: pytest.MonkeyPatch, live_dir: Path
) -> None:
    """A paused publisher: after three target durations the held request is answered with the
    unchanged playlist (hls.js then reloads; an error would count towards giving up)."""
    monkeypatch.setattr(origin_routes, "TIMEOUT_TARGET_DURATIONS", 0.05)
    path = live_dir / LIVE_STREAM / "360p/index.m3u8"
    last = playlist_state(path.read_bytes()).last_msn
    response = await held_client.get(PLAYLIST, params={"_HLS_msn": str(last + 1)})
    assert response.status == 200
    assert await response.read() == advertise(path.read_bytes())
    assert held_client.app[PLAYLIST_WATCHES_KEY].waiting == 0


async def test_ended_playlist_answers_at_once(held_client: TestClient) -> None:
    response = await held_client.get(
        f"/live/{ENDED_STREAM}/360p/index.m3u8", params={"_HLS_msn": "3"}
    )
    assert response.status == 200
    assert "#EXT-X-ENDLIST" in await response.text()
