"""Segmenter settings: one frozen config with every default in one place (CLI only overrides)."""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Rendition:
    """One rung of the ABR ladder. `name` is also its directory and DASH Representation id."""

    name: str
    width: int
    height: int
    video_bitrate: int
    """Target H.264 bit rate in bits/s (x264 ABR with a VBV cap of 1.2x this)."""

    def __post_init__(self) -> None:
        if not NAME_PATTERN.match(self.name):
            raise ValueError(f"rendition name {self.name!r} must match {NAME_PATTERN.pattern}")
        if self.width <= 0 or self.height <= 0 or self.width % 2 or self.height % 2:
            raise ValueError(f"rendition {self.name}: width and height must be even and positive")
        if self.video_bitrate <= 0:
            raise ValueError(f"rendition {self.name}: video_bitrate must be positive")

    @classmethod
    def parse(cls, text: str) -> Rendition:
        """Parse `WIDTHxHEIGHT@KBPS` (e.g. `1280x720@2500`); the name is `<height>p`."""
        match = re.fullmatch(r"(\d+)x(\d+)@(\d+)k?", text.strip())
        if not match:
            raise ValueError(f"rendition {text!r}: expected WIDTHxHEIGHT@KBPS, e.g. 1280x720@2500")
        width, height, kbps = (int(group) for group in match.groups())
        return cls(f"{height}p", width, height, kbps * 1000)


DEFAULT_LADDER: tuple[Rendition, ...] = (
    Rendition("720p", 1280, 720, 2_500_000),
    Rendition("480p", 854, 480, 1_200_000),
    Rendition("360p", 640, 360, 700_000),
)


@dataclass(frozen=True, slots=True)
class SegmenterConfig:
    """How a live stream is encoded, cut, published and retained.

    Audio is AAC-LC, muxed into every rendition's fMP4 (one file per segment per rendition,
    video track 1 + audio track 2): the simplest layout for hls.js and for peer swarms (one
    swarm per rendition carries everything a viewer needs).
    """

    renditions: tuple[Rendition, ...] = DEFAULT_LADDER
    """The ladder, highest first (the first one is the HLS/DASH default)."""
    fps: int = 30
    """Output frame rate; sources are resampled to it (frames dropped or repeated)."""
    segment_duration: float = 2.0
    """Seconds per media segment; fps * segment_duration frames per GOP (must be whole)."""
    audio_bitrate: int = 128_000
    """AAC bit rate in bits/s (per rendition, since audio is muxed in each)."""
    audio_sample_rate: int = 48_000
    audio_channels: int = 2
    piece_size: int = 16_384
    """Bytes per integrity piece (docs/protocol.md §2); peers exchange whole pieces."""
    dash_utc_timing_url: str = "/api/time"
    """http-iso time source the live MPD's first UTCTiming names (the origin serves it; a path
    resolves against the page's origin); "" leaves only the direct UTCTiming value."""
    playlist_window: int = 10
    """Segments listed in a live HLS media playlist / the DASH time-shift buffer."""
    retained_segments: int = 120
    """Segments kept on disk per rendition (older ones are deleted); 0 keeps everything.
    Must be >= playlist_window. Once the stream ends, the VOD playlist lists what is kept."""
    x264_preset: str = "veryfast"
    x264_threads: int = 0
    """x264 threads per rendition (0 = x264's automatic choice)."""
    x264_bframes: int = 0
    """B-frames cost latency and make tfdt != first PTS; 0 keeps the timeline simple."""
    scale_algorithm: str = "BILINEAR"
    """swscale interpolation used to scale the decoded picture down to each rung."""
    bandwidth_headroom: float = 1.25
    """BANDWIDTH advertised = (video_bitrate * this) + audio, raised if a segment peaks higher."""
    max_timestamp_gap: float = 5.0
    """A source gap longer than this (seconds) is not filled with repeated frames; the
    timeline simply continues (protects against corrupt timestamps)."""
    extra_x264_params: tuple[tuple[str, str], ...] = ()
    """Extra `x264-params` key/value pairs, appended after the ones the segmenter sets."""

    def __post_init__(self) -> None:
        if not self.renditions:
            raise ValueError("the ladder needs at least one rendition")
        names = [rendition.name for rendition in self.renditions]
        if len(set(names)) != len(names):
            raise ValueError(f"rendition names must be unique: {names}")
        sizes = [(rendition.width, rendition.height) for rendition in self.renditions]
        if len(set(sizes)) != len(sizes):
            # Encoder threads may share one picture when no scaling is needed; one per size.
            raise ValueError(f"rendition sizes must be unique: {sizes}")
        if self.fps <= 0 or self.fps > 120:
            raise ValueError("fps must be in 1..120")
        frames = self.fps * self.segment_duration
        if self.segment_duration <= 0 or abs(frames - round(frames)) > 1e-9:
            raise ValueError("fps * segment_duration must be a positive whole number of frames")
        if not 1024 <= self.piece_size <= 65536:
            raise ValueError("piece_size must be in 1024..65536 (docs/protocol.md §2)")
        if self.playlist_window < 3:
            raise ValueError("playlist_window must be >= 3 segments")
        if self.retained_segments and self.retained_segments < self.playlist_window:
            raise ValueError("retained_segments must be 0 (all) or >= playlist_window")

    @property
    def frames_per_segment(self) -> int:
        return round(self.fps * self.segment_duration)

    @property
    def top(self) -> Rendition:
        return self.renditions[0]

    def rendition(self, name: str) -> Rendition:
        for rendition in self.renditions:
            if rendition.name == name:
                return rendition
        raise KeyError(name)
