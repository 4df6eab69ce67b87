"""`WhipSource`: a segmenter `Source` fed by WHIP sessions running on the event loop.

aiortc decodes the publisher's media on the asyncio side (server/whip_session.py); the
segmenter consumes a blocking iterator in its worker thread (segmenter/sources.py). This is
the bridge: the loop `offer`s events without ever blocking, the worker thread takes them.
Publisher starts and ends always get through (they delimit discontinuities); frames are
dropped, counted and logged when more than `max_queued_frames` wait, so a slow encoder can
neither stall the event loop nor grow memory (the segmenter's timeline repeats the last
picture over a dropped video frame and fills silence for dropped audio).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator

from swarmcast.segmenter.sources import (
    CapturedAudio,
    CapturedVideo,
    PublisherEnded,
    PublisherStarted,
    Source,
    SourceEvent,
    ThrottledLog,
)

log = logging.getLogger(__name__)

_WAIT_SLICE = 0.25  # seconds between `stop` checks while idle (contract: at most ~0.5 s)


class WhipSource(Source):
    """Frames of whichever WHIP session currently publishes `stream_name`."""

    def __init__(self, stream_name: str, max_queued_frames: int = 120) -> None:
        self.stream_name = stream_name
        self.description = f"whip {stream_name}"
        self.max_queued_frames = max_queued_frames
        self._queue: queue.SimpleQueue[SourceEvent] = queue.SimpleQueue()
        self._frames = 0  # frames in the queue (guarded by _lock)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._publishing = False
        self.dropped_frames = 0
        self._drops = ThrottledLog(log)

    # -- event loop side ----------------------------------------------------------------

    def publisher_started(self, description: str) -> None:
        if self._publishing:  # a takeover without an end in between: close the old span
            self.publisher_ended("replaced by a new publisher")
        self._publishing = True
        self._queue.put(PublisherStarted(description))

    def publisher_ended(self, reason: str) -> None:
        if self._publishing:
            self._publishing = False
            self._queue.put(PublisherEnded(reason))

    def offer(self, event: CapturedVideo | CapturedAudio) -> bool:
        """Queue a frame unless too many wait; never blocks. False if it was dropped."""
        if not self._publishing or self._closed.is_set():
            return False
        with self._lock:
            if self._frames >= self.max_queued_frames:
                self.dropped_frames += 1
                self._drops.warning("whip %s: segmenter behind, frame dropped", self.stream_name)
                return False
            self._frames += 1
        self._queue.put(event)
        return True

    # -- worker thread side ---------------------------------------------------------------

    def events(self, stop: threading.Event) -> Iterator[SourceEvent]:
        while not stop.is_set() and not self._closed.is_set():
            try:
                event = self._queue.get(timeout=_WAIT_SLICE)
            except queue.Empty:
                continue
            if isinstance(event, CapturedVideo | CapturedAudio):
                with self._lock:
                    self._frames -= 1
            yield event

    def close(self) -> None:
        self._closed.set()
