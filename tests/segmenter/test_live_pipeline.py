"""LiveStream end to end: real PyAV encodes, files checked with independent parsers."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import av
import m3u8
import pytest

from swarmcast.segmenter.config import DEFAULT_LADDER, Rendition, SegmenterConfig
from swarmcast.segmenter.pipeline import (
    DiscontinuityStarted,
    LiveStream,
    PublisherLost,
    SegmentPublished,
    StreamEnded,
    StreamEvent,
)
from swarmcast.segmenter.sources import (
    CapturedAudio,
    CapturedVideo,
    PublisherEnded,
    PublisherStarted,
    Source,
    SourceEvent,
    SyntheticSource,
)
from tests.segmenter.stream_checks import DASH, check_stream_dir

SMALL = SegmenterConfig(
    renditions=(Rendition("180p", 320, 180, 300_000), Rendition("144p", 256, 144, 150_000)),
    segment_duration=1.0,
    playlist_window=4,
    retained_segments=0,
)


def named_in_playlists(stream_dir: Path) -> list[Path]:
    """Every file the current playlists name (plus its record), for the publication check."""
    wanted = []
    if not (stream_dir / "master.m3u8").exists():
        return []
    for variant in m3u8.loads((stream_dir / "master.m3u8").read_text()).playlists:
        directory = stream_dir / Path(variant.uri).parent
        playlist = m3u8.loads((stream_dir / variant.uri).read_text())
        for segment in playlist.segments:
            for uri in (segment.uri, segment.init_section.uri):
                wanted += [directory / uri, directory / f"{uri}.integrity.json"]
    return wanted


class PlaylistWatcher:
    """Polls the playlists while the stream runs: whatever they name must already exist."""

    def __init__(self, stream_dir: Path) -> None:
        self.stream_dir = stream_dir
        self.polls = 0
        self.missing: list[Path] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PlaylistWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            try:
                names = named_in_playlists(self.stream_dir)
            except FileNotFoundError:
                continue  # a media playlist not written yet
            self.polls += 1
            self.missing += [path for path in names if not path.exists()]


async def collect(stream: LiveStream, timeout: float) -> list[StreamEvent]:
    events: list[StreamEvent] = []

    async def gather() -> None:
        async for event in stream.events():
            events.append(event)

    task = asyncio.ensure_future(gather())
    await stream.start()
    await asyncio.wait_for(stream.wait_ended(), timeout)
    await asyncio.wait_for(task, 5)
    return events


@pytest.mark.slow
async def test_twenty_seconds_of_the_default_ladder(tmp_path: Path) -> None:
    """The issue's integration run: 20 s synthetic, default ladder, real encodes (unpaced)."""
    config = SegmenterConfig()
    assert config.renditions == DEFAULT_LADDER
    stream = LiveStream("demo", tmp_path, config, SyntheticSource(duration=20, realtime=False))
    live_snapshots: list[tuple[str, str]] = []

    def snapshot(event: StreamEvent) -> None:
        if isinstance(event, SegmentPublished) and event.seq == 5:
            live_snapshots.append(
                ((tmp_path / "demo/720p/index.m3u8").read_text(),
                 (tmp_path / "demo/manifest.mpd").read_text())
            )  # fmt: skip

    stream.add_listener(snapshot)
    with PlaylistWatcher(tmp_path / "demo") as watcher:
        events = await collect(stream, timeout=240)
    assert stream.error is None
    assert watcher.polls > 0 and watcher.missing == [], "a playlist named a missing file"
    published = [e for e in events if isinstance(e, SegmentPublished)]
    assert [e.seq for e in published] == list(range(10))
    assert isinstance(events[0], DiscontinuityStarted) and isinstance(events[-1], StreamEnded)

    # While live: no ENDLIST, dynamic MPD.
    (live_playlist, live_mpd) = live_snapshots[0]
    assert not m3u8.loads(live_playlist).is_endlist
    assert ET.fromstring(live_mpd).get("type") == "dynamic"

    check = check_stream_dir(tmp_path / "demo", config, ended=True)
    assert check.seqs == list(range(10))
    for segment in check.segments:
        assert abs(segment.duration - 2.0) <= 0.2, "within 10% of the target"
        assert set(segment.frames.values()) == {60}, "every rendition has the same frames"
        assert len(set(segment.start_ticks.values())) == 1, "boundaries align across renditions"
        assert segment.start_ticks["720p"] == segment.seq * 180_000
        for samples in segment.audio_samples.values():
            assert abs(samples - 96_000) <= 2048, "about 2 s of audio per segment"
    # PDT is the capture clock: consecutive segments are 2 s apart.
    pdts = [segment.program_date_time for segment in check.segments]
    assert all(abs((b - a) - 2.0) < 0.01 for a, b in itertools.pairwise(pdts))
    assert stream.signing_key_info["key_id"] == check.key.key_id


@pytest.mark.slow
async def test_real_time_pacing_and_capture_clock(tmp_path: Path) -> None:
    """Paced to the wall clock: segments appear no sooner than their media is captured."""
    stream = LiveStream("paced", tmp_path, SMALL, SyntheticSource(320, 180, duration=3.0))
    arrivals: list[tuple[float, SegmentPublished]] = []
    stream.add_listener(
        lambda e: arrivals.append((time.time(), e)) if isinstance(e, SegmentPublished) else None
    )
    started = time.monotonic()
    await collect(stream, timeout=60)
    assert time.monotonic() - started >= 2.9
    assert [event.seq for _, event in arrivals] == [0, 1, 2]
    for arrived, event in arrivals:
        captured_end = event.program_date_time + event.duration
        assert arrived >= captured_end - 0.05, "published before its media was captured"
        assert arrived - captured_end < 15, "latency way beyond a live encode"
    check_stream_dir(tmp_path / "paced", SMALL, ended=True, decode=False)


class ScriptedSource(Source):
    """Plays other sources one after the other, as successive publishers; `gap` seconds of
    wall clock pass (on the capture clock) between them."""

    description = "scripted"

    def __init__(self, parts: list[list[SourceEvent] | Source], gap: float = 10.0) -> None:
        self.parts = parts
        self.gap = gap

    def events(self, stop: threading.Event) -> Iterator[SourceEvent]:
        for number, part in enumerate(self.parts):
            shift = number * self.gap
            events = part.events(stop) if isinstance(part, Source) else iter(part)
            for event in events:
                if isinstance(event, CapturedVideo):
                    event = CapturedVideo(event.frame, event.time, event.wallclock + shift)
                elif isinstance(event, CapturedAudio):
                    event = CapturedAudio(event.frame, event.time, event.wallclock + shift)
                yield event


@pytest.mark.slow
async def test_publisher_gap_makes_a_discontinuity_and_new_period(tmp_path: Path) -> None:
    first = SyntheticSource(320, 180, duration=3.0, realtime=False)
    second = SyntheticSource(320, 180, duration=2.0, realtime=False, frequency=880)
    stream = LiveStream("gap", tmp_path, SMALL, ScriptedSource([first, second]))
    events = await collect(stream, timeout=120)
    kinds = [type(e).__name__ for e in events if not isinstance(e, SegmentPublished)]
    assert kinds == ["DiscontinuityStarted", "PublisherLost", "DiscontinuityStarted",
                     "PublisherLost", "StreamEnded"]  # fmt: skip
    published = [e for e in events if isinstance(e, SegmentPublished)]
    assert [(e.seq, e.discontinuity) for e in published] == [(0, 0), (1, 0), (2, 0), (3, 1), (4, 1)]

    check = check_stream_dir(tmp_path / "gap", SMALL, ended=True)
    playlist = check.media_playlists["180p"]
    assert [s.discontinuity for s in playlist.segments] == [False, False, False, True, False]
    assert [s.init_section.uri for s in playlist.segments] == ["init-0.mp4"] * 3 + [
        "init-1.mp4"
    ] * 2
    assert [s.discontinuity for s in check.segments] == [0, 0, 0, 1, 1]
    # Timestamps continue across publishers: DASH presentationTimeOffset = first tfdt.
    assert [s.start_ticks["180p"] for s in check.segments] == [n * 90_000 for n in range(5)]
    periods = check.mpd.findall("d:Period", DASH)
    assert [(p.get("id"), p.get("start")) for p in periods] == [("p0", "PT0.000S"),
                                                               ("p1", "PT3.000S")]  # fmt: skip
    template = periods[1].find("d:AdaptationSet/d:SegmentTemplate", DASH)
    assert template is not None
    assert (template.get("startNumber"), template.get("presentationTimeOffset")) == ("3", "270000")
    # PDT follows the capture clock across the 10 s gap (the first publisher ran 3 s).
    assert check.segments[3].program_date_time - check.segments[2].program_date_time > 7


@pytest.mark.slow
async def test_stop_while_live_flushes_and_turns_into_vod(tmp_path: Path) -> None:
    stream = LiveStream("stopme", tmp_path, SMALL, SyntheticSource(320, 180))  # paced, endless
    first_segment = asyncio.Event()
    stream.add_listener(lambda e: first_segment.set() if isinstance(e, SegmentPublished) else None)
    await stream.start()
    assert stream.live
    await asyncio.wait_for(first_segment.wait(), 60)
    await asyncio.wait_for(stream.stop(), 30)
    assert stream.ended and not stream.live
    check = check_stream_dir(tmp_path / "stopme", SMALL, ended=True, decode=False)
    assert check.seqs[0] == 0
    await stream.stop()  # idempotent


@pytest.mark.slow
async def test_restart_never_reuses_sequence_numbers(tmp_path: Path) -> None:
    for run in range(2):
        source = SyntheticSource(320, 180, duration=2.0, realtime=False)
        events = await collect(LiveStream("again", tmp_path, SMALL, source), timeout=60)
        seqs = [e.seq for e in events if isinstance(e, SegmentPublished)]
        discontinuities = [e.discontinuity for e in events if isinstance(e, DiscontinuityStarted)]
        assert seqs == [2 * run, 2 * run + 1]
        assert discontinuities == [run]
    check = check_stream_dir(tmp_path / "again", SMALL, ended=True, decode=False)
    assert check.seqs == [2, 3]


def odd_events() -> list[SourceEvent]:
    """Frames a careless publisher might send: odd sizes and formats, broken timestamps."""
    events: list[SourceEvent] = [PublisherStarted("odd")]
    for n in range(75):
        frame = av.VideoFrame(97, 55, "rgb24" if n % 2 else "gray")
        for plane in frame.planes:
            plane.update(bytes([n * 3 % 256]) * plane.buffer_size)
        time_value = n / 25 if n != 40 else float("nan")
        events.append(CapturedVideo(frame, time_value, 1_800_000_000 + n / 25))
        audio = av.AudioFrame(format="s16", layout="mono", samples=1764)
        audio.sample_rate = 44_100
        for plane in audio.planes:
            plane.update(bytes(plane.buffer_size))
        events.append(CapturedAudio(audio, n / 25 if n != 50 else float("inf"), 0.0))
    events.append(PublisherEnded("done"))
    return events


@pytest.mark.slow
async def test_odd_frames_and_broken_timestamps_are_converted_or_skipped(tmp_path: Path) -> None:
    stream = LiveStream("odd", tmp_path, SMALL, ScriptedSource([odd_events()]))
    events = await collect(stream, timeout=60)
    assert stream.error is None
    published = [e for e in events if isinstance(e, SegmentPublished)]
    assert [e.seq for e in published] == [0, 1, 2]  # 3 s at 25 fps -> 90 frames at 30 fps
    check = check_stream_dir(tmp_path / "odd", SMALL, ended=True)
    assert sum(s.frames["180p"] for s in check.segments) == 90


@pytest.mark.slow
async def test_source_that_crashes_still_ends_the_stream_cleanly(tmp_path: Path) -> None:
    class Crashing(Source):
        def events(self, stop: threading.Event) -> Iterator[SourceEvent]:
            yield from SyntheticSource(320, 180, duration=1.5, realtime=False).events(stop)
            raise RuntimeError("source bug")

    stream = LiveStream("crash", tmp_path, SMALL, Crashing())
    events = await collect(stream, timeout=60)
    assert isinstance(events[-1], StreamEnded)
    assert any(isinstance(e, PublisherLost) for e in events)
    check_stream_dir(tmp_path / "crash", SMALL, ended=True, decode=False)


def tone(layout: str, rate: int, samples: int = 1024) -> av.AudioFrame:
    frame = av.AudioFrame(format="s16", layout=layout, samples=samples)
    frame.sample_rate = rate
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    return frame


@pytest.mark.slow
async def test_audio_before_video_stray_frames_and_audio_format_change(tmp_path: Path) -> None:
    """Sound for 5 s before the first picture (pre-roll capped, then aligned), frames outside
    a publisher (ignored), and an audio format change mid-stream (new converter)."""
    picture = av.VideoFrame(320, 180, "yuv420p")
    for plane in picture.planes:
        plane.update(bytes(plane.buffer_size))
    events: list[SourceEvent] = [CapturedVideo(picture, 0.0, 1.0)]  # before any publisher
    events.append(PublisherStarted("late video"))
    events += [CapturedAudio(tone("mono", 44_100), n * 1024 / 44_100, 0.0) for n in range(215)]
    for n in range(60):  # 2 s of video starting at t = 5 s, audio switching to stereo 48 kHz
        time_value = 5.0 + n / 30
        events.append(CapturedVideo(picture, time_value, 1_800_000_000 + time_value))
        layout, rate = ("mono", 44_100) if n < 30 else ("stereo", 48_000)
        events.append(CapturedAudio(tone(layout, rate, rate // 30), time_value, 0.0))
    events.append(PublisherEnded("done"))
    stream = LiveStream("late", tmp_path, SMALL, ScriptedSource([events]))
    published = [e for e in await collect(stream, timeout=60) if isinstance(e, SegmentPublished)]
    assert [e.seq for e in published] == [0, 1]
    check = check_stream_dir(tmp_path / "late", SMALL, ended=True)
    assert [s.frames["180p"] for s in check.segments] == [30, 30]
    for segment in check.segments:  # audio starts with the picture, not 5 s earlier
        assert abs(segment.audio_samples["180p"] - 48_000) <= 2048
