"""The one HLS playlist parser (the Python peer, the origin's stream catalog, the lab's probe):
which media segments a playlist names, their durations and init segments, and which rendition
playlists a multivariant playlist offers. Pure; tolerant of tags it does not know (ignored),
strict about the media-playlist tags it uses."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PLAYLIST_BYTES = 1_000_000


class PlaylistError(ValueError):
    """The text is not a usable HLS playlist."""


@dataclass(frozen=True)
class PlaylistSegment:
    seq: int
    uri: str
    duration: float
    discontinuity: int
    """Discontinuity sequence number of the segment (selects `init-<d>.mp4`)."""
    init_uri: str | None


@dataclass(frozen=True)
class MediaPlaylist:
    target_duration: float
    media_sequence: int
    segments: tuple[PlaylistSegment, ...]
    ended: bool
    can_block_reload: bool = False
    """`#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES`: the origin holds `?_HLS_msn=N` until
    segment N is published (docs/protocol.md §1)."""

    @property
    def last_seq(self) -> int | None:
        return self.segments[-1].seq if self.segments else None


@dataclass(frozen=True)
class VariantStream:
    uri: str
    bandwidth: int
    resolution: str | None

    @property
    def rendition(self) -> str:
        """`360p/index.m3u8` -> `360p` (docs/protocol.md §1 layout)."""
        return self.uri.split("/")[0]

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) from RESOLUTION; (0, 0) when absent or malformed."""
        match = _RESOLUTION_RE.match(self.resolution or "")
        return (int(match[1]), int(match[2])) if match else (0, 0)


_ATTR_RE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')
_RESOLUTION_RE = re.compile(r"([0-9]{1,5})x([0-9]{1,5})\Z")


def _attributes(text: str) -> dict[str, str]:
    return {key: value.strip('"') for key, value in _ATTR_RE.findall(text)}


def _lines(text: str) -> list[str]:
    if len(text) > MAX_PLAYLIST_BYTES:
        raise PlaylistError("playlist too large")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != "#EXTM3U":
        raise PlaylistError("missing #EXTM3U")
    return lines


def parse_media_playlist(text: str) -> MediaPlaylist:
    lines = _lines(text)
    target = 0.0
    sequence = 0
    discontinuity = 0
    init_uri: str | None = None
    duration: float | None = None
    ended = False
    can_block_reload = False
    segments: list[PlaylistSegment] = []
    try:
        for line in lines[1:]:
            if line.startswith("#EXT-X-SERVER-CONTROL:"):
                control = _attributes(line.split(":", 1)[1])
                can_block_reload = control.get("CAN-BLOCK-RELOAD") == "YES"
            elif line.startswith("#EXT-X-TARGETDURATION:"):
                target = float(line.split(":", 1)[1])
            elif line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
                sequence = int(line.split(":", 1)[1])
            elif line.startswith("#EXT-X-DISCONTINUITY-SEQUENCE:"):
                discontinuity = int(line.split(":", 1)[1])
            elif line == "#EXT-X-DISCONTINUITY":
                discontinuity += 1
            elif line.startswith("#EXT-X-MAP:"):
                init_uri = _attributes(line.split(":", 1)[1]).get("URI")
            elif line.startswith("#EXTINF:"):
                duration = float(line.split(":", 1)[1].split(",", 1)[0])
            elif line == "#EXT-X-ENDLIST":
                ended = True
            elif not line.startswith("#"):
                if duration is None:
                    raise PlaylistError(f"segment {line!r} without #EXTINF")
                seq = sequence + len(segments)
                segments.append(PlaylistSegment(seq, line, duration, discontinuity, init_uri))
                duration = None
    except ValueError as exc:
        if isinstance(exc, PlaylistError):
            raise
        raise PlaylistError(f"bad playlist value: {exc}") from None
    if target <= 0:
        raise PlaylistError("missing #EXT-X-TARGETDURATION")
    return MediaPlaylist(target, sequence, tuple(segments), ended, can_block_reload)


def variant_streams(text: str) -> list[VariantStream]:
    """Every variant of a multivariant playlist (maybe none); a malformed BANDWIDTH reads as 0."""
    lines = _lines(text)
    variants: list[VariantStream] = []
    pending: dict[str, str] | None = None
    for line in lines[1:]:
        if line.startswith("#EXT-X-STREAM-INF:"):
            pending = _attributes(line.split(":", 1)[1])
        elif not line.startswith("#") and pending is not None:
            bandwidth = pending.get("BANDWIDTH", "0")
            bandwidth_bps = int(bandwidth) if bandwidth.isdigit() else 0
            variants.append(VariantStream(line, bandwidth_bps, pending.get("RESOLUTION")))
            pending = None
    return variants


def parse_multivariant_playlist(text: str) -> list[VariantStream]:
    """`variant_streams`, refusing a playlist that offers none."""
    variants = variant_streams(text)
    if not variants:
        raise PlaylistError("no variant streams")
    return variants
