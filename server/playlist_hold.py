"""Blocking playlist reload (HLS `_HLS_msn`, RFC 8216bis §6.2.5.2): a player asks for the media
playlist that contains segment N and the origin answers when segment N is published.

Why: a player polling its live playlist learns of a new segment up to a target duration after
it appears (hls.js reloads about once per segment): in the realistic lab the 8 pages learned of
the same segment over 0.95 s (median spread, 1.5 s at p90), and a P2P swarm's election, its
relays and its HTTP fallback all run in the time left before the segment's deadline, so that
lag came straight out of the swarm's window (bench/results/realistic-README.md series 14).
Held until publication, every player learns of it at once: the same latency, more time.

The origin advertises `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES` in the live media playlists
it serves (inserted when serving: the files on disk stay plain playlists, so a static server
or CDN that does not hold requests never advertises what it cannot do). hls.js then asks for
`?_HLS_msn=<last + 1>` as soon as each reload answers.

Rules (RFC 8216bis): a segment already in the playlist, or an ended playlist, answers at once;
`_HLS_msn` more than 2 beyond the last segment is 400. A request not satisfied within three
target durations gets the playlist as it is, not the RFC's suggested 503: hls.js counts a
playlist error towards giving up on the stream, while an unchanged playlist only makes it
reload again, and a publisher that pauses (an RTMP reconnect) must not end anyone's playback.
`_HLS_part` (no partial segments here) and `_HLS_skip` (no delta updates advertised) are
accepted and ignored; a malformed number is 400.

One watcher per playlist file polls its identity while requests wait on it, and wakes them all
when it changes: many viewers hold the same request, and the segmenter may be another process.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

from multidict import MultiMapping

SERVER_CONTROL = b"#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES"
MAX_AHEAD = 2
"""`_HLS_msn` may be at most this many segments beyond the playlist's last (else 400)."""
TIMEOUT_TARGET_DURATIONS = 3.0
"""A held request not satisfied within this many target durations gets the playlist as it is."""
POLL_S = 0.02
"""How often a watched playlist file's identity is checked while requests wait on it."""


class BadDirective(ValueError):
    """`_HLS_msn` (or `_HLS_part`) is not a non-negative integer, or asks too far ahead."""


@dataclass(frozen=True)
class PlaylistState:
    """What a served media playlist says about blocking: its last segment and whether it ended."""

    last_msn: int  # -1: no segment yet
    target_duration: float
    ended: bool


def requested_msn(query: MultiMapping[str]) -> int | None:
    """The `_HLS_msn` a request asks for (None: a plain reload)."""
    if "_HLS_part" in query and "_HLS_msn" not in query:
        raise BadDirective("_HLS_part without _HLS_msn")
    for name in ("_HLS_msn", "_HLS_part"):
        value = query.get(name)
        if value is not None and (not value.isdigit() or len(value) > 12):
            raise BadDirective(f"{name} must be a non-negative integer")
    value = query.get("_HLS_msn")
    return None if value is None else int(value)


def playlist_state(body: bytes) -> PlaylistState:
    """Parse the few tags blocking needs from a media playlist."""
    media_sequence, segments, target, ended = 0, 0, 0.0, False
    for raw in body.splitlines():
        line = raw.strip()
        if line.startswith(b"#EXT-X-MEDIA-SEQUENCE:"):
            media_sequence = _int_after(line)
        elif line.startswith(b"#EXT-X-TARGETDURATION:"):
            target = float(_int_after(line))
        elif line.startswith(b"#EXTINF:"):
            segments += 1
        elif line == b"#EXT-X-ENDLIST":
            ended = True
    return PlaylistState(media_sequence + segments - 1, target, ended)


def _int_after(line: bytes) -> int:
    value = line.partition(b":")[2].strip()
    return int(value) if value.isdigit() else 0


def advertise(body: bytes) -> bytes:
    """The playlist with CAN-BLOCK-RELOAD after its EXT-X-TARGETDURATION (live playlists only;
    the tag is a playlist tag, any place before the first segment is valid)."""
    if SERVER_CONTROL in body or b"#EXT-X-ENDLIST" in body:
        return body
    head, sep, rest = body.partition(b"#EXT-X-TARGETDURATION:")
    if not sep:
        return body
    value, newline, tail = rest.partition(b"\n")
    return head + sep + value + newline + SERVER_CONTROL + b"\n" + tail


Identity = tuple[int, int, int] | None
"""A file's (inode, size, mtime_ns); None when it does not exist."""


def identity(path: Path) -> Identity:
    """What changes when the segmenter rewrites (or renames over) a playlist."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass
class _Watch:
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    waiters: int = 0
    task: asyncio.Task[None] | None = None


class PlaylistWatches:
    """Wakes requests held on a playlist file when the file changes (one poller per file)."""

    def __init__(self, poll_s: float = POLL_S) -> None:
        self._poll_s = poll_s
        self._watches: dict[Path, _Watch] = {}

    @property
    def waiting(self) -> int:
        """Requests held right now (all files)."""
        return sum(w.waiters for w in self._watches.values())

    async def changed(self, path: Path, seen: Identity, timeout_s: float) -> bool:
        """Wait until `path` is no longer what `seen` says (True) or `timeout_s` passes
        (False). `seen` is taken before the caller read the file, so a change between that
        read and this call is not missed."""
        if identity(path) != seen:
            return True
        watch = self._watches.get(path)
        if watch is None:
            watch = self._watches[path] = _Watch()
            watch.task = asyncio.create_task(self._poll(path, watch, seen))
        watch.waiters += 1
        event = watch.changed
        try:
            await asyncio.wait_for(event.wait(), timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            watch.waiters -= 1

    async def _poll(self, path: Path, watch: _Watch, seen: Identity) -> None:
        try:
            while watch.waiters > 0:
                await asyncio.sleep(self._poll_s)
                now = identity(path)
                if now != seen:
                    seen = now
                    woken, watch.changed = watch.changed, asyncio.Event()
                    woken.set()
        finally:
            if self._watches.get(path) is watch:
                del self._watches[path]

    async def close(self) -> None:
        """Stop every poller (app shutdown)."""
        tasks = [w.task for w in self._watches.values() if w.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._watches.clear()
