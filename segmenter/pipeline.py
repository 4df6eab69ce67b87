"""`LiveStream`: one source -> ABR ladder -> signed CMAF segments + HLS/DASH, off the event loop.

Usage (this is what `swarmcast serve` does; the origin serves `out_dir` read-only):

    from swarmcast.segmenter.config import SegmenterConfig
    from swarmcast.segmenter.pipeline import LiveStream, SegmentPublished
    from swarmcast.segmenter.sources import SyntheticSource

    stream = LiveStream("demo", "var/live", SegmenterConfig(), SyntheticSource())
    await stream.start()                     # returns at once; encoding runs in a thread
    async for event in stream.events():      # or stream.add_listener(callback)
        if isinstance(event, SegmentPublished):
            print(event.seq, event.renditions)
    ...
    await stream.stop()                      # flushes the last segment, writes VOD playlists

Files appear under `out_dir/<name>/` exactly as docs/protocol.md §1 says, each written to a
temporary name and renamed; a segment and its integrity record are on disk before any playlist
names it. When the source ends by itself the stream becomes VOD (EXT-X-ENDLIST, static MPD)
and `wait_ended()` returns; `stop()` does the same on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from swarmcast.segmenter.config import NAME_PATTERN, SegmenterConfig
from swarmcast.segmenter.events import (
    DiscontinuityStarted,
    PublisherLost,
    SegmentPublished,
    StreamEnded,
    StreamEvent,
)
from swarmcast.segmenter.sources import Source, SyntheticSource

log = logging.getLogger(__name__)

__all__ = [
    "DiscontinuityStarted",
    "Listener",
    "LiveStream",
    "PublisherLost",
    "SegmentPublished",
    "StreamEnded",
    "StreamEvent",
]


Listener = Callable[[StreamEvent], None]


class LiveStream:
    """A live stream named `name`, written below `out_dir/<name>/` from `source`."""

    def __init__(
        self,
        name: str,
        out_dir: str | Path,
        config: SegmenterConfig | None = None,
        source: Source | None = None,
    ) -> None:
        if not NAME_PATTERN.match(name):
            raise ValueError(f"stream name {name!r} must match {NAME_PATTERN.pattern}")
        self.name = name
        self.config = config or SegmenterConfig()
        self.source = source or SyntheticSource(
            width=self.config.top.width, height=self.config.top.height, fps=self.config.fps
        )
        self.out_dir = Path(out_dir)
        self.stream_dir = self.out_dir / name
        self.last_segment: SegmentPublished | None = None
        self.error: BaseException | None = None
        self._listeners: list[Listener] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ended = asyncio.Event()
        self._started = False
        self.signing_key_info: dict[str, str] = {}
        """The published `signing-key.json` document (set by `start()`)."""

    @property
    def live(self) -> bool:
        """True from `start()` until the stream has turned into VOD."""
        return self._started and not self._ended.is_set()

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    async def start(self) -> None:
        """Create the output tree and signing key, then start encoding in a worker thread."""
        if self._started:
            return
        from swarmcast.segmenter.session import StreamSession  # heavy PyAV imports only when used

        self._loop = asyncio.get_running_loop()
        session = StreamSession(self.name, self.stream_dir, self.config, emit=self._emit_threadsafe)
        self.signing_key_info = session.prepare()
        self._started = True
        self._thread = threading.Thread(
            target=self._run, args=(session,), name=f"segmenter-{self.name}", daemon=True
        )
        self._thread.start()

    async def stop(self) -> None:
        """Stop the source, flush the last segment, turn the stream into VOD. Idempotent."""
        if not self._started or self._thread is None:
            return
        self._stop.set()
        with contextlib.suppress(Exception):
            self.source.close()
        await asyncio.to_thread(self._thread.join)
        await self.wait_ended()

    async def wait_ended(self) -> None:
        """Return once the stream is VOD (source finished, or `stop()`)."""
        await self._ended.wait()

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event)` on the event loop for every event; returns the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    async def events(self) -> AsyncIterator[StreamEvent]:
        """Iterate over events from now on; ends after `StreamEnded`."""
        if self._ended.is_set():
            return
        queue: asyncio.Queue[StreamEvent] = asyncio.Queue()
        remove = self.add_listener(queue.put_nowait)
        try:
            while True:
                event = await queue.get()
                yield event
                if isinstance(event, StreamEnded):
                    return
        finally:
            remove()

    # -- worker thread side -------------------------------------------------------------

    def _run(self, session: Any) -> None:
        try:
            session.run(self.source, self._stop)
        except BaseException as exc:  # the stream must end cleanly even on a bug
            log.exception("stream %s: segmenter failed", self.name)
            self.error = exc
            with contextlib.suppress(Exception):
                session.finish()
        finally:
            loop = self._loop
            if loop is not None and not loop.is_closed():
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(self._ended.set)

    def _emit_threadsafe(self, event: StreamEvent) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # loop closing: nobody is listening anymore
            loop.call_soon_threadsafe(self._dispatch, event)

    def _dispatch(self, event: StreamEvent) -> None:
        if isinstance(event, SegmentPublished):
            self.last_segment = event
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("stream %s: listener failed", self.name)
