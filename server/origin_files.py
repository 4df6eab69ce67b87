"""Reading served files: an LRU of immutable files, fresh reads of playlists, never a dotfile.

Immutable files (segments, integrity records) are read once from disk in a worker thread and
then served from memory; each hit re-checks the file's identity with one stat() so a stream
directory reused by a new segmenter run is never served stale. Playlists change every segment
and are tiny: they are read on every request.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from swarmcast.server.origin_http import strong_etag

# Files below this size are read on the event loop: a thread hop costs more than the read.
_INLINE_READ_BYTES = 64 * 1024


@dataclass(frozen=True)
class FileBody:
    """A file's bytes as served, with its strong ETag and modification time."""

    body: bytes
    etag: str
    mtime: float


_Identity = tuple[int, int, int, int]  # (device, inode, size, mtime_ns)


def _identity(st: os.stat_result) -> _Identity:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _stat_regular(path: Path, max_bytes: int) -> os.stat_result | None:
    """stat() of a regular file no larger than `max_bytes`, else None (404)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):  # missing, not a directory on the way, NUL byte, ...
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
        return None
    return st


def _read(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:  # renamed away or removed by the segmenter's window between stat and open
        return None


class FileStore:
    """Reads servable files; owns the byte-bounded LRU of immutable ones."""

    def __init__(self, cache_bytes: int) -> None:
        self._cache_bytes = cache_bytes
        self._cached_bytes = 0
        self._lru: OrderedDict[str, tuple[_Identity, FileBody]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    async def read(self, path: Path, *, cacheable: bool, max_bytes: int) -> FileBody | None:
        """The file's body, or None when it does not exist or may not be served."""
        st = _stat_regular(path, max_bytes)
        if st is None:
            return None
        key = str(path)
        identity = _identity(st)
        if cacheable:
            cached = self._lru.get(key)
            if cached is not None and cached[0] == identity:
                self._lru.move_to_end(key)
                self.hits += 1
                return cached[1]
            self.misses += 1
        if st.st_size <= _INLINE_READ_BYTES:
            data = _read(path)
        else:
            data = await asyncio.get_running_loop().run_in_executor(None, _read, path)
        if data is None or len(data) > max_bytes:
            return None
        result = FileBody(data, strong_etag(data), st.st_mtime)
        if cacheable and len(data) == st.st_size:  # only cache a read that matches its stat
            self._remember(key, identity, result)
        return result

    def _remember(self, key: str, identity: _Identity, body: FileBody) -> None:
        size = len(body.body)
        if size > self._cache_bytes // 4:  # one huge file must not flush the live window
            return
        previous = self._lru.pop(key, None)
        if previous is not None:
            self._cached_bytes -= len(previous[1].body)
        self._lru[key] = (identity, body)
        self._cached_bytes += size
        while self._cached_bytes > self._cache_bytes and self._lru:
            _, (_, evicted) = self._lru.popitem(last=False)
            self._cached_bytes -= len(evicted.body)

    @property
    def cached_bytes(self) -> int:
        return self._cached_bytes
