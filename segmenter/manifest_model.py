"""What the HLS playlists and the DASH MPD are written from: plain values, no I/O."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class RenditionInfo:
    name: str
    width: int
    height: int
    bandwidth: int
    """Peak bits/s (video + audio + container), as HLS BANDWIDTH and DASH @bandwidth."""
    average_bandwidth: int
    codecs: str
    """RFC 6381, e.g. `avc1.64001f,mp4a.40.2`."""
    frame_rate: int


@dataclass(frozen=True, slots=True)
class SegmentEntry:
    """One media segment, the same in every rendition (boundaries are aligned)."""

    seq: int
    discontinuity: int
    """`d` of the `init-<d>.mp4` this segment needs."""
    discontinuity_index: int
    """How many discontinuity boundaries precede this segment in the stream's playlists
    (EXT-X-DISCONTINUITY-SEQUENCE of a playlist starting here)."""
    duration: float
    """Seconds of video."""
    program_date_time: float
    """Unix time of the capture of its first frame."""
    start_ticks: int
    """Decode time of its first video frame (tfdt), in `timescale` units."""
    duration_ticks: int


@dataclass(frozen=True, slots=True)
class PeriodInfo:
    """One publisher's span: the DASH Period, the HLS stretch between discontinuities."""

    discontinuity: int
    first_seq: int
    start_wallclock: float
    """Capture time of the period's first frame."""
    start_ticks: int
    """tfdt of the period's first segment: the Period's presentationTimeOffset."""


@dataclass(frozen=True, slots=True)
class ManifestState:
    """Everything a playlist/MPD writer needs at one instant."""

    stream: str
    renditions: tuple[RenditionInfo, ...]
    segments: tuple[SegmentEntry, ...]
    """Every segment still on disk, oldest first (a live playlist lists the newest window)."""
    periods: tuple[PeriodInfo, ...]
    """Periods that still have a segment in `segments`, oldest first."""
    timescale: int
    segment_duration: float
    """Configured target seconds."""
    window: int
    """Segments a live playlist lists."""
    ended: bool
    availability_start: float
    """Unix time of the stream's first captured frame (DASH availabilityStartTime)."""

    def listed(self) -> tuple[SegmentEntry, ...]:
        """Segments the playlists name now: the live window, or all kept ones once ended."""
        if self.ended:
            return self.segments
        return self.segments[-self.window :]

    @property
    def target_duration(self) -> int:
        """EXT-X-TARGETDURATION: constant for the stream unless a segment runs long."""
        longest = max((round(entry.duration) for entry in self.segments), default=0)
        return max(math.ceil(self.segment_duration - 1e-9), longest, 1)


def iso_datetime(unix_time: float) -> str:
    """`2026-11-22T02:20:00.123Z` (milliseconds, UTC)."""
    moment = datetime.fromtimestamp(unix_time, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_duration(seconds: float) -> str:
    """xs:duration as DASH uses it: `PT2.000S`, `PT1M5.250S`."""
    seconds = max(0.0, seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT"
    if hours >= 1:
        text += f"{int(hours)}H"
    if minutes >= 1:
        text += f"{int(minutes)}M"
    return text + f"{secs:.3f}S"
