"""Where a live stream's pictures and sound come from.

A source is blocking code that the pipeline runs in a worker thread. It yields `SourceEvent`s:

    PublisherStarted, CapturedVideo/CapturedAudio ..., PublisherEnded,
    [PublisherStarted, ..., PublisherEnded, ...]          # a live source may have publisher gaps

and returns when the feed is over for good (the stream then turns into VOD). Frames outside a
started publisher are ignored. Each new `PublisherStarted` after a `PublisherEnded` makes the
pipeline start a new discontinuity (EXT-X-DISCONTINUITY, `init-<d+1>.mp4`, a new DASH Period),
while the stream stays up in between.

Contract for implementers (e.g. `segmenter/rtmp_ingest.py`):
- `CapturedVideo.time` / `CapturedAudio.time` are seconds on the publisher's own media clock
  (e.g. `frame.time`); they should be non-decreasing per kind within one publisher. Only
  differences matter: the pipeline maps the first frame of each publisher to its own timeline.
- `wallclock` is the Unix time the frame was captured (or received), carried into
  EXT-X-PROGRAM-DATE-TIME so viewers can measure latency.
- Frames may have any size/pixel format/sample format; the pipeline converts them.
- `events(stop)` must notice `stop.is_set()` at least every ~0.5 s and then return promptly.
  `close()` is called from another thread after `stop` is set, to interrupt blocking I/O
  (e.g. an RTMP listener waiting for a publisher).
- Undecodable input is logged and skipped; a source never raises for bad media.
"""

from __future__ import annotations

import abc
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import av.error

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PublisherStarted:
    """A publisher (or the file / synthetic generator) starts sending."""

    description: str = ""


@dataclass(frozen=True, slots=True)
class PublisherEnded:
    """The current publisher stopped; another may follow before the iterator returns."""

    reason: str = ""


@dataclass(frozen=True, slots=True)
class CapturedVideo:
    frame: av.VideoFrame
    time: float
    """Seconds on the publisher's media clock."""
    wallclock: float
    """Unix time of capture."""


@dataclass(frozen=True, slots=True)
class CapturedAudio:
    frame: av.AudioFrame
    time: float
    wallclock: float


SourceEvent = PublisherStarted | PublisherEnded | CapturedVideo | CapturedAudio


class Source(abc.ABC):
    """A feed for one live stream; see the module docstring for the contract."""

    description: str = "source"

    @abc.abstractmethod
    def events(self, stop: threading.Event) -> Iterator[SourceEvent]:
        """Yield events until the feed ends for good or `stop` is set."""

    def close(self) -> None:  # noqa: B027 - optional hook, most sources block on nothing
        """Interrupt blocking I/O; called from another thread after `stop` is set."""


class ThrottledLog:
    """Logs the first few occurrences of a problem, then one in a hundred: a corrupt feed can
    fail on every packet, and the log must stay readable."""

    def __init__(self, logger: logging.Logger, first: int = 5, every: int = 100) -> None:
        self.logger = logger
        self.first = first
        self.every = every
        self.count = 0

    def warning(self, message: str, *args: object) -> None:
        self.count += 1
        if self.count <= self.first or self.count % self.every == 0:
            self.logger.warning(message + " (%d so far)", *args, self.count)


class _Pacer:
    """Holds a source back to real time: media time t is released at start + t."""

    def __init__(self, realtime: bool, start_wallclock: float | None = None) -> None:
        self.realtime = realtime
        self.start_wallclock = time.time() if start_wallclock is None else start_wallclock
        self._start_monotonic = time.monotonic()

    def wallclock(self, media_time: float) -> float:
        return self.start_wallclock + media_time

    def wait(self, media_time: float, stop: threading.Event) -> bool:
        """Sleep until `media_time` is due; False if `stop` was set meanwhile."""
        if not self.realtime:
            return not stop.is_set()
        delay = self._start_monotonic + media_time - time.monotonic()
        if delay > 0:
            return not stop.wait(delay)
        return not stop.is_set()


class SyntheticSource(Source):
    """FFmpeg's testsrc2 pattern plus a sine tone, paced to real time (the default source).

    The capture wall clock of frame t is `start + t`, so PDT tracks real time exactly when
    paced. With `realtime=False` frames come as fast as the pipeline takes them (tests,
    benchmarks); the wall clock then is the ideal capture time, as if paced.
    """

    description = "synthetic"

    def __init__(
        self,
        width: int = 1280,
        height: int = 720,
        fps: int = 30,
        sample_rate: int = 48_000,
        frequency: int = 440,
        duration: float | None = None,
        realtime: bool = True,
    ) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.sample_rate, self.frequency = sample_rate, frequency
        self.duration = duration
        self.realtime = realtime

    def events(self, stop: threading.Event) -> Iterator[SourceEvent]:
        video = av.open(
            f"testsrc2=size={self.width}x{self.height}:rate={self.fps},format=yuv420p",
            format="lavfi",
        )
        audio = av.open(
            f"sine=frequency={self.frequency}:sample_rate={self.sample_rate}"
            f":samples_per_frame=1024",
            format="lavfi",
        )
        try:
            pacer = _Pacer(self.realtime)
            yield PublisherStarted(self.description)
            video_frames = video.decode(video=0)
            audio_frames = audio.decode(audio=0)
            next_video = next(video_frames, None)
            next_audio = next(audio_frames, None)
            while next_video is not None and next_audio is not None:
                video_time = float(next_video.time or 0.0)
                audio_time = float(next_audio.time or 0.0)
                frame: av.VideoFrame | av.AudioFrame
                if video_time <= audio_time:
                    frame, media_time = next_video, video_time
                    next_video = next(video_frames, None)
                else:
                    frame, media_time = next_audio, audio_time
                    next_audio = next(audio_frames, None)
                if self.duration is not None and media_time >= self.duration:
                    break
                if not pacer.wait(media_time, stop):
                    break
                if isinstance(frame, av.VideoFrame):
                    yield CapturedVideo(frame, media_time, pacer.wallclock(media_time))
                else:
                    yield CapturedAudio(frame, media_time, pacer.wallclock(media_time))
            yield PublisherEnded("stopped" if stop.is_set() else "end of synthetic feed")
        finally:
            video.close()
            audio.close()


class FileSource(Source):
    """A media file played as a live stream, paced to real time; `loop` restarts it seamlessly
    (timestamps continue, so a loop is not a discontinuity)."""

    def __init__(self, path: str | Path, loop: bool = False, realtime: bool = True) -> None:
        self.path = Path(path)
        self.loop = loop
        self.realtime = realtime
        self.description = f"file {self.path.name}"

    def events(self, stop: threading.Event) -> Iterator[SourceEvent]:
        pacer = _Pacer(self.realtime)
        offset = 0.0
        started = False
        while not stop.is_set():
            end_time = offset
            produced = False
            for media_time, frame in self._decode_once(stop):
                if not started:
                    started = True
                    yield PublisherStarted(self.description)
                media_time += offset
                end_time = max(end_time, media_time + _frame_duration(frame))
                if not pacer.wait(media_time, stop):
                    break
                produced = True
                if isinstance(frame, av.VideoFrame):
                    yield CapturedVideo(frame, media_time, pacer.wallclock(media_time))
                else:
                    yield CapturedAudio(frame, media_time, pacer.wallclock(media_time))
            if not (self.loop and produced):
                break
            offset = end_time
        if started:
            yield PublisherEnded("stopped" if stop.is_set() else "end of file")

    def _decode_once(
        self, stop: threading.Event
    ) -> Iterator[tuple[float, av.VideoFrame | av.AudioFrame]]:
        """One pass over the file: (seconds from the file's first timestamp, frame)."""
        try:
            container = av.open(str(self.path))
        except (av.error.FFmpegError, OSError) as exc:
            log.error("cannot open %s: %s", self.path, exc)
            return
        try:
            streams = [*container.streams.video[:1], *container.streams.audio[:1]]
            if not streams:
                log.error("%s has neither video nor audio", self.path)
                return
            first_time: float | None = None
            problems = ThrottledLog(log)
            packets = container.demux(streams)
            while not stop.is_set():
                try:
                    packet = next(packets)
                except StopIteration:
                    break
                except av.error.FFmpegError as exc:
                    problems.warning("%s: skipping unreadable data: %s", self.path, exc)
                    continue
                try:
                    frames = packet.decode()
                except av.error.FFmpegError as exc:
                    problems.warning("%s: skipping undecodable packet: %s", self.path, exc)
                    continue
                for frame in frames:
                    if not isinstance(frame, av.VideoFrame | av.AudioFrame) or frame.time is None:
                        continue
                    if first_time is None:
                        first_time = float(frame.time)
                    yield float(frame.time) - first_time, frame
        finally:
            container.close()


def _frame_duration(frame: av.VideoFrame | av.AudioFrame) -> float:
    if isinstance(frame, av.AudioFrame):
        return frame.samples / frame.sample_rate if frame.sample_rate else 0.0
    if frame.duration and frame.time_base:
        return float(frame.duration * frame.time_base)
    return 0.0
