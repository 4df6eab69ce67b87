"""What a `LiveStream` reports while it runs (also importable from segmenter.pipeline)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SegmentPublished:
    """Segment `seq` is on disk for every rendition, with its record, and in the playlists."""

    seq: int
    discontinuity: int
    duration: float
    """Seconds (video frames / fps)."""
    program_date_time: float
    """Unix capture time of the segment's first frame (its EXT-X-PROGRAM-DATE-TIME)."""
    renditions: tuple[str, ...]
    sizes: tuple[int, ...]
    """Bytes of each rendition's segment file, in `renditions` order."""


@dataclass(frozen=True, slots=True)
class DiscontinuityStarted:
    """A publisher started: `init-<discontinuity>.mp4` follows (0 for the first publisher)."""

    discontinuity: int
    description: str


@dataclass(frozen=True, slots=True)
class PublisherLost:
    """The publisher went away; the stream stays live, waiting for the next one."""

    reason: str


@dataclass(frozen=True, slots=True)
class StreamEnded:
    """The stream is VOD now: EXT-X-ENDLIST written, MPD static."""

    segments: int


StreamEvent = SegmentPublished | DiscontinuityStarted | PublisherLost | StreamEnded
