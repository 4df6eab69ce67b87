"""RTMP publisher -> live pipeline: a reconnect is a discontinuity, a wrong key publishes nothing.

Real-time and real components: an FFmpeg (PyAV) publisher process pushes libx264 + AAC over
RTMP to `RtmpSource`, and `LiveStream` encodes the ladder and writes HLS/DASH + signed records.
"""

from __future__ import annotations

import asyncio
import collections
import io
import json
import logging
import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import av
import m3u8
import pytest

from swarmcast.protocol.integrity import parse_signing_key, verify_document
from swarmcast.segmenter.config import Rendition, SegmenterConfig
from swarmcast.segmenter.pipeline import (
    DiscontinuityStarted,
    LiveStream,
    PublisherLost,
    SegmentPublished,
    StreamEvent,
)
from swarmcast.segmenter.rtmp_config import RtmpConfig
from swarmcast.segmenter.rtmp_ingest import RtmpSource
from tests.segmenter.rtmp_publisher import EXIT_OK, EXIT_REFUSED, start_publisher

KEY = "obs-key-5f1d"
STREAM = "studio"
LADDER = (Rendition("360p", 640, 360, 700_000), Rendition("180p", 320, 180, 250_000))
MPD_NS = {"mpd": "urn:mpeg:dash:schema:mpd:2011"}


@dataclass
class RtmpStream:
    stream: LiveStream
    port: int
    events: asyncio.Queue[StreamEvent]
    seen: list[StreamEvent]
    counts: collections.Counter[str]  # the RTMP server's outcomes (exported on /metrics)

    async def wait_for(self, kind: type, timeout: float = 40.0) -> StreamEvent:
        async with asyncio.timeout(timeout):
            while True:
                event = await self.events.get()
                self.seen.append(event)
                if isinstance(event, kind):
                    return event


@pytest.fixture
async def rtmp_stream(tmp_path: Path) -> AsyncIterator[RtmpStream]:
    rtmp_config = RtmpConfig(listen_host="127.0.0.1", port=0, stream_keys={KEY: STREAM})
    source = RtmpSource.listen(rtmp_config, STREAM)
    stream = LiveStream(STREAM, tmp_path, SegmenterConfig(renditions=LADDER), source)
    events: asyncio.Queue[StreamEvent] = asyncio.Queue()
    stream.add_listener(events.put_nowait)
    await stream.start()
    try:
        yield RtmpStream(stream, source.server.address[1], events, [], source.server.counts)
    finally:
        await asyncio.wait_for(stream.stop(), 30)


async def _publish(port: int, key: str, seconds: float) -> int:
    publisher = start_publisher(port, key, seconds, width=640, height=360)
    try:
        return await asyncio.wait_for(asyncio.to_thread(publisher.wait), seconds + 30)
    finally:
        if publisher.poll() is None:
            publisher.kill()
            publisher.wait()


def _send_garbage(port: int) -> bytes:
    """A client that is not RTMP at all; returns what the server sent before closing."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"\x03" + b"\xff" * 1536 + b"\x00" * 1536 + b"\x7f" * 4000)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def _verify_file(stream_dir: Path, rendition: str, name: str, key_doc: bytes) -> bytes:
    data = (stream_dir / rendition / name).read_bytes()
    record_doc = (stream_dir / rendition / f"{name}.integrity.json").read_bytes()
    record = verify_document(record_doc, parse_signing_key(key_doc), data)
    assert record.uri == name
    assert record.rendition == rendition
    return data


def _first_video_packet_is_keyframe(init: bytes, segment: bytes) -> bool:
    with av.open(io.BytesIO(init + segment), format="mp4") as container:
        for packet in container.demux(video=0):
            if packet.size:
                return bool(packet.is_keyframe)
    return False


@pytest.mark.slow
async def test_reconnect_continues_the_stream_with_a_discontinuity(
    rtmp_stream: RtmpStream, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="swarmcast.segmenter")
    stream_dir = tmp_path / STREAM
    started_at = time.time()

    assert await _publish(rtmp_stream.port, KEY, 10.0) == EXIT_OK
    first = await rtmp_stream.wait_for(PublisherLost)
    assert isinstance(first, PublisherLost)

    # Between publishers the stream stays up and a garbage client is simply dropped.
    assert rtmp_stream.stream.live
    assert _send_garbage(rtmp_stream.port)[:1] in (b"", b"\x03")
    assert "protocol error" in caplog.text

    second_publish = asyncio.create_task(_publish(rtmp_stream.port, KEY, 6.0))
    restarted = await rtmp_stream.wait_for(DiscontinuityStarted)
    assert isinstance(restarted, DiscontinuityStarted) and restarted.discontinuity == 1
    published = await rtmp_stream.wait_for(SegmentPublished)
    assert isinstance(published, SegmentPublished) and published.discontinuity == 1

    # While live: the playlist already carries the discontinuity, the MPD two Periods.
    live_playlist = m3u8.loads((stream_dir / "360p" / "index.m3u8").read_text())
    assert not live_playlist.is_endlist
    assert any(segment.discontinuity for segment in live_playlist.segments)
    live_mpd = ET.fromstring((stream_dir / "manifest.mpd").read_text())
    assert live_mpd.get("type") == "dynamic"
    assert len(live_mpd.findall("mpd:Period", MPD_NS)) == 2

    assert await second_publish == EXIT_OK
    await rtmp_stream.wait_for(PublisherLost)
    await rtmp_stream.stream.stop()

    segments = [e for e in rtmp_stream.seen if isinstance(e, SegmentPublished)]
    while not rtmp_stream.events.empty():
        event = rtmp_stream.events.get_nowait()
        if isinstance(event, SegmentPublished):
            segments.append(event)
    by_period = {d: [s.seq for s in segments if s.discontinuity == d] for d in (0, 1)}
    assert len(by_period[0]) >= 4, by_period  # ~10 s at 2 s per segment
    assert len(by_period[1]) >= 2, by_period  # ~6 s
    all_seqs = by_period[0] + by_period[1]
    assert all_seqs == list(range(all_seqs[0], all_seqs[0] + len(all_seqs))), by_period

    key_doc = (stream_dir / "signing-key.json").read_bytes()
    for rendition in LADDER:
        playlist = m3u8.loads((stream_dir / rendition.name / "index.m3u8").read_text())
        assert playlist.is_endlist
        assert playlist.media_sequence == all_seqs[0]
        listed = [int(s.uri.removeprefix("seg-").removesuffix(".m4s")) for s in playlist.segments]
        assert listed == all_seqs  # the media sequence continues across the reconnect
        flagged = [s for s in playlist.segments if s.discontinuity]
        assert [s.uri for s in flagged] == [f"seg-{by_period[1][0]}.m4s"]
        maps = [s.init_section.uri for s in playlist.segments if s.init_section is not None]
        assert sorted(set(maps)) == ["init-0.mp4", "init-1.mp4"]
        dates = [s.current_program_date_time.timestamp() for s in playlist.segments]
        assert dates == sorted(dates)
        assert abs(dates[0] - started_at) < 5  # capture wall clock, not a made-up one

        inits = {
            d: _verify_file(stream_dir, rendition.name, f"init-{d}.mp4", key_doc) for d in (0, 1)
        }
        for period, seqs in by_period.items():
            for seq in seqs:
                data = _verify_file(stream_dir, rendition.name, f"seg-{seq}.m4s", key_doc)
                assert _first_video_packet_is_keyframe(inits[period], data), (rendition, seq)

    final_mpd = ET.fromstring((stream_dir / "manifest.mpd").read_text())
    assert final_mpd.get("type") == "static"
    assert len(final_mpd.findall("mpd:Period", MPD_NS)) == 2
    assert json.loads(key_doc)["alg"] == "Ed25519"


@pytest.mark.slow
async def test_wrong_key_publishes_nothing(
    rtmp_stream: RtmpStream, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="swarmcast.segmenter")
    assert await _publish(rtmp_stream.port, "guessed-key", 3.0) == EXIT_REFUSED
    # The refusal happens at `publish`, before any media is taken: nothing can follow it.
    assert "refused publish, invalid stream key" in caplog.text
    assert rtmp_stream.counts["refused-key"] == 1 and rtmp_stream.counts["publish"] == 0
    assert "guessed-key" not in caplog.text
    assert rtmp_stream.events.empty()
    stream_dir = tmp_path / STREAM
    assert not list(stream_dir.glob("*/seg-*.m4s"))
    assert not list(stream_dir.glob("*/init-*.mp4"))
    assert rtmp_stream.stream.live  # still waiting for the real publisher
