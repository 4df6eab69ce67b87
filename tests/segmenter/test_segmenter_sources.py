"""segmenter.sources: event order, pacing, files played live, bad files."""

from __future__ import annotations

import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import pytest

from swarmcast.segmenter.config import Rendition, SegmenterConfig
from swarmcast.segmenter.pipeline import LiveStream, SegmentPublished, StreamEnded, StreamEvent
from swarmcast.segmenter.sources import (
    CapturedAudio,
    CapturedVideo,
    FileSource,
    PublisherEnded,
    PublisherStarted,
    SourceEvent,
    SyntheticSource,
)
from tests.segmenter.stream_checks import check_stream_dir

SMALL = SegmenterConfig(
    renditions=(Rendition("180p", 320, 180, 300_000),), segment_duration=1.0, playlist_window=4
)


def write_clip(path: Path, seconds: float = 3.0, fps: int = 25) -> Path:
    """A small H.264 + AAC (44.1 kHz mono) MP4: other rate, size and audio than the output."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = 240, 160, "yuv420p"
        audio = container.add_stream("aac", rate=44_100, layout="mono")
        samples = 0
        for index in range(round(seconds * fps)):
            frame = av.VideoFrame(240, 160, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([index * 5 % 256]) * plane.buffer_size)
            frame.pts, frame.time_base = index, Fraction(1, fps)
            container.mux(video.encode(frame))
            while samples < (index + 1) * 44_100 / fps:
                chunk = av.AudioFrame(format="fltp", layout="mono", samples=1024)
                chunk.sample_rate = 44_100
                chunk.pts, chunk.time_base = samples, Fraction(1, 44_100)
                for plane in chunk.planes:
                    plane.update(bytes(plane.buffer_size))
                container.mux(audio.encode(chunk))
                samples += 1024
        container.mux(video.encode(None))
        container.mux(audio.encode(None))
    return path


def kinds(events: list[SourceEvent]) -> list[str]:
    return [type(event).__name__ for event in events]


def test_synthetic_events_are_framed_by_publisher_events_and_interleaved() -> None:
    events = list(SyntheticSource(160, 90, duration=1.0, realtime=False).events(threading.Event()))
    assert isinstance(events[0], PublisherStarted) and isinstance(events[-1], PublisherEnded)
    video = [e for e in events if isinstance(e, CapturedVideo)]
    audio = [e for e in events if isinstance(e, CapturedAudio)]
    assert len(video) == 30 and (video[0].frame.width, video[0].frame.height) == (160, 90)
    assert sum(e.frame.samples for e in audio) >= 47_000
    times = [e.time for e in events if isinstance(e, CapturedVideo | CapturedAudio)]
    assert times == sorted(times), "video and audio interleaved by capture time"
    assert all(abs(e.wallclock - video[0].wallclock - e.time) < 1e-6 for e in video)


def test_synthetic_pacing_follows_the_wall_clock_and_stops_promptly() -> None:
    stop = threading.Event()
    started = time.monotonic()
    count = sum(1 for _ in SyntheticSource(160, 90, duration=1.0).events(stop))
    assert time.monotonic() - started >= 0.9
    assert count > 30
    stopped_at: list[float] = []

    def stop_now() -> None:
        stopped_at.append(time.monotonic())
        stop.set()

    # Measured from the stop itself: a loaded machine may run the timer thread late.
    timer = threading.Timer(0.3, stop_now)
    timer.start()
    events = list(SyntheticSource(160, 90).events(stop))  # endless until stopped
    assert time.monotonic() - stopped_at[0] < 1.7
    assert isinstance(events[-1], PublisherEnded) and events[-1].reason == "stopped"


def test_file_source_decodes_everything_and_loops_seamlessly(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", seconds=2.0)
    once = list(FileSource(clip, realtime=False).events(threading.Event()))
    assert kinds(once)[0] == "PublisherStarted" and kinds(once)[-1] == "PublisherEnded"
    assert sum(isinstance(e, CapturedVideo) for e in once) == 50

    stop = threading.Event()
    looped: list[SourceEvent] = []
    for event in FileSource(clip, loop=True, realtime=False).events(stop):
        looped.append(event)
        if sum(isinstance(e, CapturedVideo) for e in looped) == 120:
            stop.set()
    assert kinds(looped).count("PublisherStarted") == 1, "a loop is not a new publisher"
    video_times = [e.time for e in looped if isinstance(e, CapturedVideo)]
    assert video_times == sorted(video_times)
    assert abs(video_times[50] - 2.0) < 0.05, "the second pass continues the timeline"


@pytest.mark.parametrize("content", [b"", b"not a media file at all" * 100])
def test_unreadable_file_ends_without_events(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    assert list(FileSource(path, loop=True, realtime=False).events(threading.Event())) == []
    assert list(FileSource(tmp_path / "missing.mp4").events(threading.Event())) == []


async def run_stream(stream: LiveStream, timeout: float = 120) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    stream.add_listener(events.append)
    await stream.start()
    import asyncio

    await asyncio.wait_for(stream.wait_ended(), timeout)
    return events


@pytest.mark.slow
async def test_file_played_live_is_resampled_to_the_ladder(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", seconds=3.0)
    stream = LiveStream("file", tmp_path / "out", SMALL, FileSource(clip, realtime=False))
    events = await run_stream(stream)
    assert [e.seq for e in events if isinstance(e, SegmentPublished)] == [0, 1, 2]
    check = check_stream_dir(tmp_path / "out" / "file", SMALL, ended=True)
    assert [s.frames["180p"] for s in check.segments] == [30, 30, 30]
    for segment in check.segments:  # 44.1 kHz mono became 48 kHz in 1 s segments
        assert abs(segment.audio_samples["180p"] - 48_000) <= 2048


@pytest.mark.slow
async def test_corrupt_middle_of_a_file_is_skipped_not_fatal(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", seconds=4.0)
    data = bytearray(clip.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4000] = bytes(range(256)) * 15 + bytes(160)  # garbage in the mdat
    clip.write_bytes(bytes(data))
    stream = LiveStream("corrupt", tmp_path / "out", SMALL, FileSource(clip, realtime=False))
    events = await run_stream(stream)
    assert stream.error is None
    assert isinstance(events[-1], StreamEnded)
    published = [e for e in events if isinstance(e, SegmentPublished)]
    assert len(published) >= 3
    check_stream_dir(tmp_path / "out" / "corrupt", SMALL, ended=True)


async def test_garbage_file_gives_an_ended_stream_with_no_playlists(tmp_path: Path) -> None:
    path = tmp_path / "garbage.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 40)
    stream = LiveStream("garbage", tmp_path / "out", SMALL, FileSource(path, realtime=False))
    events = await run_stream(stream, timeout=30)
    assert events == [StreamEnded(segments=0)]
    assert not (tmp_path / "out" / "garbage" / "master.m3u8").exists()
    assert (tmp_path / "out" / "garbage" / "signing-key.json").exists()
