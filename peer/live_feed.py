"""Follows one rendition's live media playlist: for every new segment, fetches its integrity
record, has the store verify it, places it on the media timeline and reports it to the node.
Also fetches and verifies each init segment once (the player needs it; it is not shared)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from swarmcast.peer.origin_client import OriginClient, OriginError
from swarmcast.peer.segment_store import SegmentStore
from swarmcast.peer.sim_playhead import Timeline
from swarmcast.protocol.hls_playlist import MediaPlaylist, PlaylistError, parse_media_playlist
from swarmcast.protocol.integrity import (
    IntegrityError,
    IntegrityRecord,
    check_record_is,
    verify_file,
    verify_record_signature,
)

log = logging.getLogger(__name__)

MAX_INIT_BYTES = 1_000_000
RECORD_ATTEMPTS = 3


@dataclass(frozen=True)
class NewSegment:
    seq: int
    uri: str
    size: int
    piece_size: int
    start: float
    duration: float
    live_edge: bool
    """Always True for a live playlist: even the window present at join is subject to the
    HTTP-first election, so viewers that join together do not all fetch it (the segment the
    player waits for at startup is fetched at once anyway)."""


class LiveFeed:
    """Playlist polling for one rendition; owned (started and cancelled) by the node."""

    def __init__(
        self,
        origin: OriginClient,
        store: SegmentStore,
        rendition: str,
        on_segment: Callable[[NewSegment], None],
        on_evicted: Callable[[int], None],
        poll_s: float | None,
        poke_min_s: float = 0.5,
    ) -> None:
        self.origin = origin
        self.store = store
        self.rendition = rendition
        self.timeline = Timeline()
        self.target_duration = 2.0
        self.uris: dict[int, str] = {}
        self.ended = False
        self._on_segment = on_segment
        self._on_evicted = on_evicted
        self._poll_s = poll_s
        self._poke_min_s = poke_min_s
        self._last_poll = -float("inf")
        self.polls = 0
        self._poke = asyncio.Event()
        # The origin holds reloads for the next segment (and no fixed poll period was asked).
        self._blocking = False
        self._last_seq = -1
        self._inits: set[str] = set()

    async def first_poll(self) -> MediaPlaylist:
        """The window at join time."""
        playlist = await self._fetch()
        await self._take(playlist)
        return playlist

    def poke(self) -> None:
        """Poll now (a neighbour announced a segment the playlist did not list yet)."""
        self._poke.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self.ended:
            if self._blocking and await self._held_reload():
                continue
            period = self._poll_s or max(0.2, self.target_duration / 2)
            self._poke.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poke.wait(), period)
                # Poked: poll early, but at most once per poke_min_s, whatever neighbours send.
                early = self._last_poll + self._poke_min_s - loop.time()
                if early > 0:
                    await asyncio.sleep(early)
            try:
                await self._take(await self._fetch())
            except (OriginError, PlaylistError) as exc:
                log.warning("playlist poll failed: %s", exc)

    async def _held_reload(self) -> bool:
        """One blocking reload (`?_HLS_msn=<next>`, docs/protocol.md §1): the origin answers
        when the next segment is published, so this viewer learns of it then rather than at its
        next poll. False (poll as usual this time) after an error, or when the answer came at
        once without the segment: an origin that advertises blocking but does not hold must
        not turn this loop into a flood."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        before = self._last_seq
        try:
            await self._take(await self._fetch(before + 1))
        except (OriginError, PlaylistError) as exc:
            log.warning("blocking playlist reload failed: %s", exc)
            return False
        return self._last_seq > before or loop.time() - started >= self.target_duration / 2

    async def _fetch(self, msn: int | None = None) -> MediaPlaylist:
        self.polls += 1
        self._last_poll = asyncio.get_running_loop().time()
        query = "" if msn is None else f"?_HLS_msn={msn}"
        text = await self.origin.text(f"{self.rendition}/index.m3u8{query}")
        playlist = parse_media_playlist(text)
        self.target_duration = playlist.target_duration
        self.ended = playlist.ended
        self._blocking = playlist.can_block_reload and self._poll_s is None
        if playlist.last_seq is not None:
            self._last_seq = max(self._last_seq, playlist.last_seq)
        return playlist

    async def _take(self, playlist: MediaPlaylist) -> None:
        fresh = [s for s in playlist.segments if s.seq not in self.uris]
        for segment in fresh:
            if segment.init_uri and segment.init_uri not in self._inits:
                await self._fetch_init(segment.init_uri)
        # Records of a window are fetched together; segments are reported in order.
        records = await asyncio.gather(
            *(self._record(s.uri) for s in fresh), return_exceptions=True
        )
        for segment, record in zip(fresh, records, strict=True):
            if isinstance(record, BaseException):
                log.warning("segment %d: no usable record: %s", segment.seq, record)
                continue
            try:
                check_record_is(
                    record,
                    stream=self.store.stream,
                    rendition=self.store.rendition,
                    kind="media",
                    seq=segment.seq,
                    uri=segment.uri,
                )
                evicted = self.store.add_record(record)
            except IntegrityError as exc:
                log.warning("segment %d: record refused: %s", segment.seq, exc)
                continue
            self.uris[segment.seq] = segment.uri
            start = self.timeline.add(segment.seq, segment.duration)
            self._on_segment(
                NewSegment(
                    segment.seq,
                    segment.uri,
                    record.size,
                    record.piece_size,
                    start,
                    segment.duration,
                    True,
                )
            )
            for seq in evicted:
                self.uris.pop(seq, None)
                self._on_evicted(seq)

    async def _record(self, uri: str) -> IntegrityRecord:
        for attempt in range(RECORD_ATTEMPTS):
            try:
                return await self.origin.record(self.rendition, uri)
            except OriginError:
                if attempt == RECORD_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.2)
        raise AssertionError("unreachable")

    async def _fetch_init(self, uri: str) -> None:
        try:
            record = await self.origin.record(self.rendition, uri)
            verify_record_signature(record, self.store.key)
            verify_file(record, await self.origin.file(self.rendition, uri, MAX_INIT_BYTES))
        except (OriginError, IntegrityError) as exc:
            log.warning("init segment %s: %s", uri, exc)
            return
        self._inits.add(uri)
