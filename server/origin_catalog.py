"""What streams the directory holds, their renditions, and whether each is live or ended.

Read from the files the segmenter publishes (protocol §1), so a separate `swarmcast segment`
process and an in-process pipeline look the same: the master playlist gives the renditions, a
media playlist's EXT-X-ENDLIST says the stream ended. Parses are cached by file identity.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from swarmcast.protocol.hls_playlist import PlaylistError, variant_streams
from swarmcast.server.origin_resources import MAX_PLAYLIST_BYTES, is_valid_name


@dataclass(frozen=True)
class RenditionInfo:
    name: str
    width: int
    height: int
    bandwidth: int


@dataclass(frozen=True)
class StreamInfo:
    name: str
    renditions: tuple[RenditionInfo, ...]
    ended: bool
    # Wall-clock time of the latest playlist update seen (seconds since the epoch).
    updated_at: float

    def is_live(self, now: float, stale_after_s: float) -> bool:
        return not self.ended and now - self.updated_at <= stale_after_s

    def to_json(self, now: float, stale_after_s: float) -> dict[str, object]:
        """The `/api/streams` entry (protocol §1)."""
        return {
            "name": self.name,
            "live": self.is_live(now, stale_after_s),
            "renditions": [
                {"name": r.name, "width": r.width, "height": r.height, "bandwidth": r.bandwidth}
                for r in self.renditions
            ],
            "master": f"/live/{self.name}/master.m3u8",
            "mpd": f"/live/{self.name}/manifest.mpd",
        }


def parse_master(text: str) -> tuple[RenditionInfo, ...]:
    """Renditions named by a master playlist's `<rendition>/index.m3u8` variant URIs."""
    try:
        variants = variant_streams(text)
    except PlaylistError:
        return ()
    renditions: list[RenditionInfo] = []
    for variant in variants:
        name = variant.rendition
        if is_valid_name(name) and variant.uri == f"{name}/index.m3u8":
            width, height = variant.size
            renditions.append(RenditionInfo(name, width, height, variant.bandwidth))
    return tuple(renditions)


K = TypeVar("K")
T = TypeVar("T")


def _cached_parse(
    path: Path, cache: dict[K, tuple[int, T]], key: K, parse: Callable[[str], T]
) -> tuple[float, T] | None:
    """(mtime, parse(text)) of a small file, parsed again only when its mtime changes; None (and
    the entry forgotten) when it is gone or unreadable."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        cache.pop(key, None)
        return None
    cached = cache.get(key)
    if cached is not None and cached[0] == st.st_mtime_ns:
        return st.st_mtime, cached[1]
    read = _read_small(path)
    if read is None:
        return None
    read_st, text = read
    parsed = parse(text)
    cache[key] = (read_st.st_mtime_ns, parsed)
    return read_st.st_mtime, parsed


def _read_small(path: Path) -> tuple[os.stat_result, str] | None:
    try:
        with open(path, "rb") as file:
            st = os.fstat(file.fileno())
            if st.st_size > MAX_PLAYLIST_BYTES:
                return None
            return st, file.read(MAX_PLAYLIST_BYTES).decode("utf-8", "replace")
    except (OSError, ValueError):
        return None


class StreamCatalog:
    """Stream metadata from a streams directory, re-parsed only when a playlist changes."""

    def __init__(self, streams_dir: Path) -> None:
        self._dir = streams_dir
        self._masters: dict[str, tuple[int, tuple[RenditionInfo, ...]]] = {}
        self._endlists: dict[Path, tuple[int, bool]] = {}

    def stream(self, name: str) -> StreamInfo | None:
        """The stream's info, or None when it has no readable master playlist."""
        if not is_valid_name(name):
            return None
        stream_dir = self._dir / name
        master = self._master(stream_dir / "master.m3u8", name)
        if master is None:
            return None
        master_mtime, renditions = master
        updated_at = master_mtime
        ended = bool(renditions)
        for rendition in renditions:
            state = self._media_playlist_state(stream_dir / rendition.name / "index.m3u8")
            if state is None:
                ended = False
                continue
            mtime, has_endlist = state
            updated_at = max(updated_at, mtime)
            ended = ended and has_endlist
        return StreamInfo(name, renditions, ended, updated_at)

    async def rendition_names(self, name: str) -> frozenset[str] | None:
        """The stream's rendition names, None when it has no master playlist: signaling's
        `RenditionLookup` (swarms only for renditions that exist)."""
        info = self.stream(name)
        return None if info is None else frozenset(r.name for r in info.renditions)

    def streams(self) -> list[StreamInfo]:
        """Every stream with a master playlist, sorted by name."""
        try:
            names = sorted(entry.name for entry in os.scandir(self._dir) if entry.is_dir())
        except OSError:
            return []
        found = (self.stream(name) for name in names if is_valid_name(name))
        return [info for info in found if info is not None]

    def _master(self, path: Path, name: str) -> tuple[float, tuple[RenditionInfo, ...]] | None:
        return _cached_parse(path, self._masters, name, parse_master)

    def _media_playlist_state(self, path: Path) -> tuple[float, bool] | None:
        """(mtime, has EXT-X-ENDLIST) of a media playlist, or None when unreadable."""
        return _cached_parse(path, self._endlists, path, lambda text: "#EXT-X-ENDLIST" in text)
