"""Which files the origin serves (docs/protocol.md §1): strict name checks, types, cache policy.

Everything here is pure: a request path either maps to one known resource kind inside the
streams directory or to nothing (404). No dotfile, no traversal, no unlisted name can match.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from pathlib import Path

NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
# Sequence / discontinuity numbers: decimal, no sign, bounded so int() stays cheap.
_INIT_RE = re.compile(r"init-(0|[1-9][0-9]{0,19})\.mp4\Z")
_MEDIA_RE = re.compile(r"seg-(0|[1-9][0-9]{0,19})\.m4s\Z")
_INTEGRITY_SUFFIX = ".integrity.json"

# Size limits (protocol §2.2): the origin never serves anything larger than the contract allows.
MAX_SEGMENT_BYTES = 64 * 1024 * 1024
MAX_INTEGRITY_BYTES = 4_500_000
MAX_PLAYLIST_BYTES = 4 * 1024 * 1024

IMMUTABLE = "max-age=31536000, immutable"


class Kind(enum.Enum):
    MASTER = "master"
    MPD = "mpd"
    SIGNING_KEY = "signing-key"
    MEDIA_PLAYLIST = "media-playlist"
    INIT = "init"
    MEDIA = "media"
    INTEGRITY = "integrity"

    @property
    def immutable(self) -> bool:
        return self in (Kind.INIT, Kind.MEDIA, Kind.INTEGRITY)

    @property
    def max_bytes(self) -> int:
        if self in (Kind.INIT, Kind.MEDIA):
            return MAX_SEGMENT_BYTES
        if self is Kind.INTEGRITY:
            return MAX_INTEGRITY_BYTES
        return MAX_PLAYLIST_BYTES


CONTENT_TYPES = {
    Kind.MASTER: "application/vnd.apple.mpegurl",
    Kind.MPD: "application/dash+xml",
    Kind.SIGNING_KEY: "application/json",
    Kind.MEDIA_PLAYLIST: "application/vnd.apple.mpegurl",
    Kind.INIT: "video/mp4",
    Kind.MEDIA: "video/iso.segment",
    Kind.INTEGRITY: "application/json",
}


@dataclass(frozen=True)
class Resource:
    """A validated origin resource: `stream`, optional `rendition`, file name, kind."""

    kind: Kind
    stream: str
    rendition: str | None
    filename: str

    def path_in(self, streams_dir: Path) -> Path:
        if self.rendition is None:
            return streams_dir / self.stream / self.filename
        return streams_dir / self.stream / self.rendition / self.filename

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]


def is_valid_name(name: str) -> bool:
    """Stream and rendition names: `[A-Za-z0-9_-]{1,64}` (protocol preamble)."""
    return NAME_RE.match(name) is not None


def _is_segment_name(filename: str) -> bool:
    return _INIT_RE.match(filename) is not None or _MEDIA_RE.match(filename) is not None


def stream_resource(stream: str, filename: str) -> Resource | None:
    """`/live/<stream>/<filename>`, or None when that is not a servable name."""
    if not is_valid_name(stream):
        return None
    kind = {
        "master.m3u8": Kind.MASTER,
        "manifest.mpd": Kind.MPD,
        "signing-key.json": Kind.SIGNING_KEY,
    }.get(filename)
    return None if kind is None else Resource(kind, stream, None, filename)


def rendition_resource(stream: str, rendition: str, filename: str) -> Resource | None:
    """`/live/<stream>/<rendition>/<filename>`, or None when that is not a servable name."""
    if not (is_valid_name(stream) and is_valid_name(rendition)):
        return None
    if filename == "index.m3u8":
        kind = Kind.MEDIA_PLAYLIST
    elif _INIT_RE.match(filename):
        kind = Kind.INIT
    elif _MEDIA_RE.match(filename):
        kind = Kind.MEDIA
    elif filename.endswith(_INTEGRITY_SUFFIX) and _is_segment_name(
        filename[: -len(_INTEGRITY_SUFFIX)]
    ):
        kind = Kind.INTEGRITY
    else:
        return None
    return Resource(kind, stream, rendition, filename)


def cache_control(kind: Kind, *, ended: bool) -> str:
    """Cache-Control per protocol §1: playlists short-lived, segments and records immutable."""
    if kind.immutable:
        return IMMUTABLE
    if kind in (Kind.MASTER, Kind.MPD):
        return "max-age=3600" if ended else "no-cache"
    if kind is Kind.MEDIA_PLAYLIST:
        return "max-age=1"
    return "no-cache"  # signing-key.json: a player must see a key rotation at once
