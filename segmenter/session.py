"""The segmenter's worker-thread core: source events in, published files and events out.

`StreamSession.run` consumes a `Source` (segmenter/sources.py). Each publisher becomes a
`Period` (segmenter/period.py) that encodes the ladder; each fragment is written with its
integrity record as soon as the muxer emits it, and once every rendition has segment `seq`,
the playlists and the MPD are rewritten to name it. Runs entirely in one worker thread
(see `LiveStream`); `emit` hands events to the event loop.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import av.error

from swarmcast.segmenter import dash, hls
from swarmcast.segmenter.config import SegmenterConfig
from swarmcast.segmenter.encoder import VIDEO_TIMESCALE
from swarmcast.segmenter.events import (
    DiscontinuityStarted,
    PublisherLost,
    SegmentPublished,
    StreamEnded,
    StreamEvent,
)
from swarmcast.segmenter.fmp4 import (
    FragmentInfo,
    InitInfo,
    Mp4FormatError,
    parse_fragment,
    parse_init,
)
from swarmcast.segmenter.manifest_model import (
    ManifestState,
    PeriodInfo,
    RenditionInfo,
    SegmentEntry,
)
from swarmcast.segmenter.period import Period
from swarmcast.segmenter.sources import (
    CapturedAudio,
    CapturedVideo,
    PublisherEnded,
    PublisherStarted,
    Source,
    SourceEvent,
    ThrottledLog,
)
from swarmcast.segmenter.stream_files import StreamFiles

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _RenditionStats:
    peak_bps: float = 0.0
    bits: float = 0.0
    seconds: float = 0.0


@dataclass(slots=True)
class _PendingSegment:
    """Fragments of one segment index, by rendition, until every rendition has it."""

    sizes: dict[str, int] = field(default_factory=dict)
    infos: dict[str, FragmentInfo] = field(default_factory=dict)


class StreamSession:
    def __init__(
        self,
        name: str,
        stream_dir: Path,
        config: SegmenterConfig,
        emit: Callable[[StreamEvent], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.config = config
        self.emit = emit
        self.clock = clock
        self.files = StreamFiles(name, stream_dir, config.piece_size)
        self.rendition_names = tuple(rendition.name for rendition in config.renditions)
        self.segments: list[SegmentEntry] = []
        self.periods: dict[int, PeriodInfo] = {}
        self.next_seq = 0
        self.next_discontinuity = 0
        self.output_frames = 0
        """Video frames output over all periods: timestamps continue across publishers."""
        self.availability_start: float | None = None
        self.ended = False
        self._last_entry: SegmentEntry | None = None
        self._period: Period | None = None
        self._inits: dict[str, InitInfo] = {}
        self._pending: dict[int, _PendingSegment] = {}
        self._codecs: dict[str, str] = {}
        self._stats = {name: _RenditionStats() for name in self.rendition_names}
        self._advertised: dict[str, int] = {}
        self._master_text = ""
        self._errors = ThrottledLog(log)
        self._files_lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------

    def prepare(self) -> dict[str, str]:
        document, self.next_seq, self.next_discontinuity = self.files.prepare(self.rendition_names)
        self.files.save_state(self.next_seq, self.next_discontinuity)
        return document

    def run(self, source: Source, stop: threading.Event) -> None:
        """Consume `source` until it ends or `stop` is set, then turn the stream into VOD."""
        events = source.events(stop)
        try:
            for event in events:
                self.handle(event)
                if stop.is_set():
                    break
        except Exception:
            log.exception("stream %s: source %s failed", self.name, source.description)
        finally:
            close = getattr(events, "close", None)  # generators: run the source's cleanup
            if close is not None:
                with contextlib.suppress(Exception):
                    close()
            self.finish()

    def handle(self, event: SourceEvent) -> None:
        """One source event; bad media is logged and skipped, never raised."""
        try:
            if isinstance(event, CapturedVideo | CapturedAudio) and self._period is None:
                self._errors.warning("stream %s: frame outside a publisher ignored", self.name)
            elif isinstance(event, CapturedVideo):
                self._ensure_period("").video(event.frame, event.time, event.wallclock)
            elif isinstance(event, CapturedAudio):
                self._ensure_period("").audio(event.frame, event.time)
            elif isinstance(event, PublisherStarted):
                self._end_period(lost=None)
                self._ensure_period(event.description)
            elif isinstance(event, PublisherEnded):
                self._end_period(lost=event.reason or "publisher ended")
        except (
            av.error.FFmpegError,
            ValueError,
            TypeError,
            ArithmeticError,
            OSError,
            Mp4FormatError,
        ) as exc:
            self._errors.warning("stream %s: skipped %s: %s", self.name, type(event).__name__, exc)

    def finish(self) -> None:
        """Flush the current publisher and publish the VOD playlists. Idempotent."""
        if self.ended:
            return
        try:
            self._end_period(lost=None)
        finally:
            self.ended = True
            if self.segments:
                self._write_manifests()
            self.files.save_state(self.next_seq, self.next_discontinuity)
            self.emit(StreamEnded(segments=len(self.segments)))

    # -- periods ------------------------------------------------------------------------

    def _ensure_period(self, description: str) -> Period:
        if self._period is None:
            discontinuity = self.next_discontinuity
            self.next_discontinuity += 1
            self._pending.clear()
            self._period = Period(
                config=self.config,
                discontinuity=discontinuity,
                first_seq=self.next_seq,
                first_frame=self.output_frames,
                on_file=self._on_file,
            )
            self.files.save_state(self.next_seq, self.next_discontinuity)
            log.info(
                "stream %s: publisher %s starts discontinuity %d at seq %d",
                self.name, description, discontinuity, self.next_seq,
            )  # fmt: skip
            self.emit(DiscontinuityStarted(discontinuity, description))
        return self._period

    def _end_period(self, lost: str | None) -> None:
        period = self._period
        if period is None:
            return
        try:
            period.close()  # joins the encoder threads: every file callback has returned
        except (av.error.FFmpegError, ValueError, OSError, Mp4FormatError) as exc:
            log.error("stream %s: flushing discontinuity %d failed: %s", self.name,
                      period.discontinuity, exc)  # fmt: skip
        finally:
            self._period = None
            self.output_frames = period.first_frame + period.frames_out
            self._drop_incomplete(period)
            self.files.save_state(self.next_seq, self.next_discontinuity)
        if lost is not None:
            log.info("stream %s: publisher lost (%s); stream stays up", self.name, lost)
            self.emit(PublisherLost(lost))

    def _drop_incomplete(self, period: Period) -> None:
        """Segments some renditions never finished: their files must not linger (and their
        numbers are not reused)."""
        for index, pending in sorted(self._pending.items()):
            seq = period.first_seq + index
            log.warning("stream %s: dropping incomplete segment %d (%s)", self.name, seq,
                        ",".join(sorted(pending.sizes)))  # fmt: skip
            for rendition in pending.sizes:
                self.files.remove_media_file(rendition, f"seg-{seq}.m4s")
            self.next_seq = max(self.next_seq, seq + 1)
        self._pending.clear()
        if not any(entry.discontinuity == period.discontinuity for entry in self.segments):
            for rendition in self.rendition_names:
                self.files.remove_media_file(rendition, f"init-{period.discontinuity}.mp4")

    # -- files from the encoders (called inside Period.video/audio/close) ---------------

    def _on_file(self, rendition: str, kind: str, index: int, data: bytes) -> None:
        """Called from the renditions' encoder threads, one file at a time."""
        with self._files_lock:
            self._on_file_locked(rendition, kind, index, data)

    def _on_file_locked(self, rendition: str, kind: str, index: int, data: bytes) -> None:
        period = self._period
        assert period is not None
        if kind == "init":
            self._inits[rendition] = parse_init(data)
            self._codecs.setdefault(rendition, self._inits[rendition].codecs)
            self.files.publish_media_file(rendition, "init", period.discontinuity, data)
            return
        init = self._inits[rendition]
        info = parse_fragment(data, init)
        video_track = init.video
        video_run = info.run(video_track.track_id) if video_track else None
        if video_run is None or video_run.sample_count == 0:
            log.warning("stream %s/%s: fragment without video dropped", self.name, rendition)
            return
        if not video_run.starts_with_sync:
            log.error("stream %s/%s: fragment %d does not start with a keyframe", self.name,
                      rendition, index)  # fmt: skip
        seq = period.first_seq + index
        self.files.publish_media_file(rendition, "media", seq, data)
        pending = self._pending.setdefault(index, _PendingSegment())
        pending.sizes[rendition] = len(data)
        pending.infos[rendition] = info
        if len(pending.sizes) == len(self.rendition_names):
            del self._pending[index]
            self._publish_segment(period, index, pending)

    def _publish_segment(self, period: Period, index: int, pending: _PendingSegment) -> None:
        top = self.rendition_names[0]
        video_track = self._inits[top].video
        assert video_track is not None
        run = pending.infos[top].run(video_track.track_id)
        assert run is not None
        ticks = run.duration * VIDEO_TIMESCALE // video_track.timescale
        start = run.base_decode_time * VIDEO_TIMESCALE // video_track.timescale
        duration = run.duration / video_track.timescale
        seq = period.first_seq + index
        previous = self._last_entry
        program_date_time = period.segment_wallclock(index)
        if program_date_time is None:  # not expected: frame 0 of a segment always has one
            program_date_time = (
                previous.program_date_time + previous.duration if previous else self.clock()
            )
        discontinuity_index = 0
        if previous is not None:
            discontinuity_index = previous.discontinuity_index + (
                previous.discontinuity != period.discontinuity
            )
        entry = SegmentEntry(
            seq=seq,
            discontinuity=period.discontinuity,
            discontinuity_index=discontinuity_index,
            duration=duration,
            program_date_time=program_date_time,
            start_ticks=start,
            duration_ticks=ticks,
        )
        if period.discontinuity not in self.periods:
            start_wallclock = program_date_time
            if previous is not None and previous.discontinuity in self.periods:
                # DASH Periods must not overlap, whatever the publishers' clocks said.
                start_wallclock = max(start_wallclock, self._period_end(previous.discontinuity))
            self.periods[period.discontinuity] = PeriodInfo(
                discontinuity=period.discontinuity,
                first_seq=seq,
                start_wallclock=start_wallclock,
                start_ticks=start,
            )
        if self.availability_start is None:
            self.availability_start = program_date_time
        listed = float(hls.extinf(duration))  # a short last segment rounds down
        for rendition, size in pending.sizes.items():
            stats = self._stats[rendition]
            if listed > 0:
                stats.peak_bps = max(stats.peak_bps, size * 8 / listed)
            stats.bits += size * 8
            stats.seconds += duration
        self.segments.append(entry)
        self._last_entry = entry
        self.next_seq = max(self.next_seq, seq + 1)
        self._write_manifests()
        self._apply_retention()
        self.emit(
            SegmentPublished(
                seq=seq,
                discontinuity=period.discontinuity,
                duration=duration,
                program_date_time=program_date_time,
                renditions=self.rendition_names,
                sizes=tuple(pending.sizes[name] for name in self.rendition_names),
            )
        )

    def _period_end(self, discontinuity: int) -> float:
        period = self.periods[discontinuity]
        seconds = sum(e.duration for e in self.segments if e.discontinuity == discontinuity)
        return period.start_wallclock + seconds

    # -- manifests ----------------------------------------------------------------------

    def _rendition_infos(self) -> tuple[RenditionInfo, ...]:
        infos = []
        for rendition in self.config.renditions:
            stats = self._stats[rendition.name]
            estimate = rendition.video_bitrate * self.config.bandwidth_headroom
            estimate += self.config.audio_bitrate
            bandwidth = max(int(estimate), math.ceil(stats.peak_bps / 1000) * 1000)
            # BANDWIDTH only grows: players read the master once and must not be surprised.
            bandwidth = max(bandwidth, self._advertised.get(rendition.name, 0))
            self._advertised[rendition.name] = bandwidth
            average = (
                round(stats.bits / stats.seconds)
                if stats.seconds
                else rendition.video_bitrate + self.config.audio_bitrate
            )
            infos.append(
                RenditionInfo(
                    name=rendition.name,
                    width=rendition.width,
                    height=rendition.height,
                    bandwidth=bandwidth,
                    average_bandwidth=min(average, bandwidth),
                    codecs=self._codecs.get(rendition.name, "avc1.640028,mp4a.40.2"),
                    frame_rate=self.config.fps,
                )
            )
        return tuple(infos)

    def state(self) -> ManifestState:
        listed_periods = {entry.discontinuity for entry in self.segments}
        return ManifestState(
            stream=self.name,
            renditions=self._rendition_infos(),
            segments=tuple(self.segments),
            periods=tuple(p for d, p in sorted(self.periods.items()) if d in listed_periods),
            timescale=VIDEO_TIMESCALE,
            segment_duration=self.config.segment_duration,
            window=self.config.playlist_window,
            ended=self.ended,
            availability_start=self.availability_start or self.clock(),
        )

    def _write_manifests(self) -> None:
        """Media playlists first, then the MPD, then the master (which points at them)."""
        state = self.state()
        media = hls.media_playlist(state)
        for rendition in self.rendition_names:
            self.files.write_text(f"{rendition}/index.m3u8", media)
        time_url = self.config.dash_utc_timing_url
        mpd = dash.render_mpd(state, now=self.clock(), utc_timing_url=time_url)
        self.files.write_text("manifest.mpd", mpd)
        master = hls.master_playlist(state.renditions)
        if master != self._master_text:
            self.files.write_text("master.m3u8", master)
            self._master_text = master

    def _apply_retention(self) -> None:
        keep = self.config.retained_segments
        while keep and len(self.segments) > keep:
            old = self.segments.pop(0)
            for rendition in self.rendition_names:
                self.files.remove_media_file(rendition, f"seg-{old.seq}.m4s")
            current = self._period.discontinuity if self._period else None
            if old.discontinuity != current and not any(
                entry.discontinuity == old.discontinuity for entry in self.segments
            ):
                for rendition in self.rendition_names:
                    self.files.remove_media_file(rendition, f"init-{old.discontinuity}.mp4")
                self.periods.pop(old.discontinuity, None)
