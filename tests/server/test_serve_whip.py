"""`swarmcast serve --whip`: Python WHIP publishers feed the same ladder as RTMP; a publisher
that leaves and comes back is a discontinuity (HLS, DASH Period, init-1), a wrong key is
refused and logged."""

from __future__ import annotations

import asyncio
import io
import re
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from swarmcast.e2e.serve_process import serve_whip
from swarmcast.segmenter import clock_barcode
from swarmcast.segmenter.config import Rendition, SegmenterConfig
from swarmcast.server.whip_client import ClockVideoTrack, ToneTrack, WhipClient, WhipRejected
from tests.segmenter.stream_checks import DASH, check_stream_dir

KEY = "whip-s3cret"
CONFIG = SegmenterConfig(renditions=(Rendition.parse("320x180@250"),), segment_duration=1.0)


@pytest.fixture
def whip_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    with serve_whip(tmp_path, ladder="320x180@250", stream_key=KEY) as running:
        yield running


async def _publish(endpoint: str, key: str, playlist: str, segments: int) -> None:
    """Publish until the playlist lists `segments` more segments, then DELETE."""
    before = _segment_count(playlist)
    client = WhipClient(endpoint, key, [ClockVideoTrack(640, 360), ToneTrack()])
    try:
        await client.publish()
        async with asyncio.timeout(60):
            while _segment_count(playlist) < before + segments:
                await asyncio.sleep(0.2)  # polling the origin, as a player does
    finally:
        assert await client.close() in (200, None)


def _segment_count(playlist: str) -> int:
    try:
        with urllib.request.urlopen(playlist, timeout=5) as response:  # loopback only
            return response.read().count(b"#EXTINF")
    except OSError:
        return 0


@pytest.mark.netns
@pytest.mark.slow
def test_whip_publishers_feed_the_ladder_with_a_discontinuity(
    whip_server: tuple[str, subprocess.Popen[str]], tmp_path: Path
) -> None:
    base, process = whip_server
    endpoint = f"{base}whip"
    playlist = f"{base}live/cam/180p/index.m3u8"
    with pytest.raises(WhipRejected) as refused:
        asyncio.run(_publish(endpoint, "wrong-key", playlist, 1))
    assert refused.value.status == 401
    asyncio.run(_publish(endpoint, KEY, playlist, 3))
    asyncio.run(_publish(endpoint, KEY, playlist, 3))
    text = urllib.request.urlopen(playlist, timeout=5).read().decode()
    assert "#EXT-X-DISCONTINUITY\n" in text and 'URI="init-1.mp4"' in text

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    log = (tmp_path / "serve.log").read_text()
    assert re.search(r"whip 127\.0\.0\.1: refused POST, invalid stream key", log), log
    assert "wrong-key" not in log

    check = check_stream_dir(tmp_path / "cam", CONFIG, ended=True)
    assert {segment.discontinuity for segment in check.segments} == {0, 1}
    assert len(check.mpd.findall("d:Period", DASH)) == 2
    full = [segment for segment in check.segments if segment.duration == 1.0]
    assert len(full) >= 4 and all(segment.frames["180p"] == 30 for segment in full)
    # The picture is the publisher's clock: each segment's first frame reads back close to
    # its PROGRAM-DATE-TIME (a sanity bound; `swarmcast bench ingest` measures latency).
    directory = tmp_path / "cam" / "180p"
    for segment in check.segments[1:-1]:
        data = (directory / f"init-{segment.discontinuity}.mp4").read_bytes()
        data += (directory / f"seg-{segment.seq}.m4s").read_bytes()
        with av.open(io.BytesIO(data)) as container:
            first = next(container.decode(video=0))
        drawn = clock_barcode.read(first)
        assert drawn is not None
        assert abs(drawn / 1000 - segment.program_date_time) < 2.0
