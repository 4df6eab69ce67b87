"""RTMP ingest as a segmenter `Source`: OBS / FFmpeg publish to `rtmp://HOST:1935/live/<key>`.

    config = RtmpConfig(port=1935, stream_keys={"s3cret": "demo"})
    source = RtmpSource.listen(config, "demo")    # binds now; the source owns the server
    LiveStream("demo", "var/live", SegmenterConfig(), source)

or share one `RtmpServer` among several streams with `RtmpSource(server, name)`.

Each accepted publish is decoded with PyAV from the FLV bytes the server produces
(`segmenter/rtmp_server.py`) and becomes `PublisherStarted`, frames, `PublisherEnded`; the
source then waits for the next publisher, so the pipeline keeps the stream up and starts a new
discontinuity when one arrives. Frames carry the publisher's media time and a wall clock
anchored at the arrival of its first media message. Undecodable media is logged and skipped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import av
import av.error

from swarmcast.segmenter.rtmp_config import RtmpConfig
from swarmcast.segmenter.rtmp_server import MediaClock, PublishChannel, PublishSession, RtmpServer
from swarmcast.segmenter.sources import (
    CapturedAudio,
    CapturedVideo,
    PublisherEnded,
    PublisherStarted,
    Source,
    SourceEvent,
)

__all__ = ["RtmpConfig", "RtmpServer", "RtmpSource"]

log = logging.getLogger(__name__)

_WAIT_SLICE = 0.25  # seconds between `stop` checks while idle (contract: at most ~0.5 s)
_BACKWARDS_TOLERANCE = 0.001  # seconds a frame may step back before it counts as out of order
_FUTURE_TOLERANCE = 1.0  # seconds a capture time may run ahead of decoding before re-anchoring
_MAX_FAILED_READS = 50  # demux errors in a row before a publish counts as hopeless


class RtmpSource(Source):
    """Frames from whoever publishes to `stream_name` on `server`, one publisher at a time."""

    def __init__(self, server: RtmpServer, stream_name: str, *, owns_server: bool = False) -> None:
        self.server = server
        self.stream_name = stream_name
        self.channel: PublishChannel = server.channel(stream_name)
        self.owns_server = owns_server
        self.description = f"rtmp {stream_name}"
        self._session: PublishSession | None = None
        self._closed = threading.Event()
        # Attach at once: a publisher that connects before the pipeline's worker thread starts
        # is queued rather than refused.
        self.channel.attach()
        self._attached = True

    @classmethod
    def listen(cls, config: RtmpConfig, stream_name: str) -> RtmpSource:
        """A source with its own server on `config`'s address (bound before this returns)."""
        server = RtmpServer(config)
        server.start()
        try:
            return cls(server, stream_name, owns_server=True)
        except BaseException:
            server.close()
            raise

    def events(self, stop: threading.Event) -> Iterator[SourceEvent]:
        try:
            while not stop.is_set() and not self._closed.is_set():
                session = self.channel.next_session(_WAIT_SLICE)
                if session is None:
                    continue
                self._session = session
                try:
                    yield from self._decode(session, stop)
                finally:
                    self._session = None
                    session.pipe.cancel()
                    session.disconnect()
        finally:
            self._release()

    def close(self) -> None:
        """Interrupt a blocking read, drop the publisher, release the port if we own it."""
        self._closed.set()
        session = self._session
        if session is not None:
            session.pipe.cancel()
        self._release()

    def _release(self) -> None:
        if self._attached:
            self._attached = False
            self.channel.detach()
        if self.owns_server:
            self.server.close()

    # -- one publish -------------------------------------------------------------------------

    def _decode(self, session: PublishSession, stop: threading.Event) -> Iterator[SourceEvent]:
        """Decode one publish; PublisherStarted only once a frame decodes, so a publisher that
        sends nothing usable leaves no empty discontinuity behind."""
        remote = session.remote
        session.pipe.interrupt = stop
        options = {
            # FFmpeg's FLV demuxer cannot tell when all streams are known, so without these it
            # probes for the whole analyzeduration (and frame-rate guessing adds more):
            # measured 1.2 s before the first frame with the defaults, 50 ms with fpsprobesize 0.
            "analyzeduration": str(int(self.server.config.probe_seconds * 1e6)),
            "fpsprobesize": "0",
        }
        try:
            container = av.open(session.pipe, mode="r", format="flv", options=options)
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            log.warning("rtmp %s: cannot read the published stream: %s", remote, exc)
            return
        started = False
        errors = _ErrorLog(f"rtmp {remote}")
        last_time: dict[str, float] = {}
        wallclock = _WallClock(session)
        try:
            streams = [*container.streams.video[:1], *container.streams.audio[:1]]
            if not streams:
                log.warning("rtmp %s: the publish has neither video nor audio", remote)
                return
            packets = container.demux(streams)
            failed_reads = 0
            while not stop.is_set():
                try:
                    packet = next(packets)
                except StopIteration:
                    break
                except av.error.FFmpegError as exc:
                    # The FLV demuxer has consumed the bad tag; a fresh demux generator (PyAV's
                    # ends with the exception) continues with the next one.
                    failed_reads += 1
                    if failed_reads > _MAX_FAILED_READS:
                        log.warning("rtmp %s: unreadable stream, ending this publish", remote)
                        break
                    errors.record(f"skipping unreadable data: {exc}")
                    packets = container.demux(streams)
                    continue
                failed_reads = 0
                try:
                    frames = packet.decode()
                except av.error.FFmpegError as exc:
                    errors.record(f"skipping undecodable {packet.stream.type} packet: {exc}")
                    continue
                for frame in frames:
                    event = self._captured(frame, wallclock, last_time, errors)
                    if event is None:
                        continue
                    if not started:
                        started = True
                        log.info("rtmp %s: stream %s is live", remote, self.stream_name)
                        yield PublisherStarted(f"rtmp publisher {remote}")
                    yield event
        finally:
            container.close()
            errors.flush()
        if started:
            reason = "stopped" if stop.is_set() else session.end_reason or "publisher left"
            yield PublisherEnded(reason)

    @staticmethod
    def _captured(
        frame: object,
        wallclock: _WallClock,
        last_time: dict[str, float],
        errors: _ErrorLog,
    ) -> CapturedVideo | CapturedAudio | None:
        if not isinstance(frame, av.VideoFrame | av.AudioFrame):
            return None  # subtitles and the like: not part of a live stream
        if frame.time is None:
            errors.record("skipping a frame without a timestamp")
            return None
        media_time = float(frame.time)
        kind = "video" if isinstance(frame, av.VideoFrame) else "audio"
        previous = last_time.get(kind)
        if previous is not None and media_time < previous - _BACKWARDS_TOLERANCE:
            errors.record(f"skipping {kind} frame going back in time ({media_time:.3f} s)")
            return None
        last_time[kind] = media_time
        captured = wallclock.at(kind, media_time)
        if isinstance(frame, av.VideoFrame):
            return CapturedVideo(frame, media_time, captured)
        return CapturedAudio(frame, media_time, captured)


class _WallClock:
    """Capture wall clock of a publish: media time mapped through the first tag's arrival.

    A publisher sending faster than real time (a file pushed without pacing, a burst after a
    stall) would get capture times ever further in the future; once a frame would be more than
    `_FUTURE_TOLERANCE` ahead of its decoding, the anchor moves to "now". Per media kind the
    result never decreases, so EXT-X-PROGRAM-DATE-TIME stays monotonic.
    """

    def __init__(self, session: PublishSession) -> None:
        self._session = session
        self._offset: float | None = None
        self._last: dict[str, float] = {}

    def at(self, kind: str, media_time: float) -> float:
        now = time.time()
        if self._offset is None:
            # Set by the server when the first media tag arrives: there for any decoded frame.
            anchor = self._session.clock or MediaClock(now, media_time)
            self._offset = anchor.wallclock - anchor.media_time
        captured = self._offset + media_time
        if captured > now + _FUTURE_TOLERANCE:
            self._offset = now - media_time
            captured = now
        captured = max(captured, self._last.get(kind, captured))
        self._last[kind] = captured
        return captured


class _ErrorLog:
    """Logs the first few media errors of a publish, then only counts them (no log floods)."""

    def __init__(self, prefix: str, first: int = 5) -> None:
        self.prefix = prefix
        self.first = first
        self.count = 0

    def record(self, message: str) -> None:
        self.count += 1
        if self.count <= self.first:
            log.warning("%s: %s", self.prefix, message)

    def flush(self) -> None:
        if self.count > self.first:
            log.warning("%s: %d media errors in total", self.prefix, self.count)
