"""RTP timestamps of a WebRTC track -> seconds on the session's media clock. Pure.

A WebRTC frame carries its sender's RTP timestamp (32 bits, random start, wraps; 90 kHz
video, 48 kHz Opus), and audio and video clocks are unrelated. The segmenter wants both on
one clock that follows the capture rhythm. Each track maps its unwrapped RTP time through an
offset chosen so that the frame that arrived *earliest* relative to its timestamp lands at
its arrival time (the minimum-delay path): network jitter and the jitter buffer then never
move the clock, it only follows the RTP spacing. Two things re-anchor it:

- a frame that would land in the future (its RTP time ran ahead: a faster path, or a jump
  forward) pulls the offset down to its arrival;
- a frame arriving more than `max_delay` later than predicted (the sender paused its RTP
  clock, or restarted it from a new random value) moves the offset up to its arrival.

Both keep the output non-decreasing. Audio/video sync is then as good as the difference of
their minimum delays (tens of milliseconds), without needing RTCP sender reports.
"""

from __future__ import annotations

from dataclasses import dataclass

_WRAP = 1 << 32
_HALF = 1 << 31


@dataclass(slots=True)
class RtpClock:
    clock_rate: int
    """RTP ticks per second (90000 video, 48000 Opus)."""
    max_delay: float = 1.0
    """Seconds a frame may arrive later than predicted before the clock re-anchors."""
    _last_rtp: int | None = None
    _extended: int = 0
    _offset: float | None = None
    reanchors: int = 0
    """How often the clock was re-anchored after a late frame (for logs and tests)."""

    def __post_init__(self) -> None:
        if self.clock_rate <= 0 or self.max_delay <= 0:
            raise ValueError("clock_rate and max_delay must be positive")

    def unwrap(self, rtp_timestamp: int) -> int:
        """The 32-bit timestamp extended past wraps (a step of < 2^31 either way)."""
        rtp_timestamp %= _WRAP
        if self._last_rtp is None:
            self._extended = rtp_timestamp
        else:
            step = (rtp_timestamp - self._last_rtp) % _WRAP
            if step >= _HALF:
                step -= _WRAP
            self._extended += step
        self._last_rtp = rtp_timestamp
        return self._extended

    def media_time(self, rtp_timestamp: int, arrival: float) -> float:
        """Seconds on the session clock for a frame that arrived at `arrival` (same clock)."""
        rtp_seconds = self.unwrap(rtp_timestamp) / self.clock_rate
        if self._offset is None or rtp_seconds + self._offset > arrival:
            self._offset = arrival - rtp_seconds
        elif arrival - (rtp_seconds + self._offset) > self.max_delay:
            self._offset = arrival - rtp_seconds
            self.reanchors += 1
        return rtp_seconds + self._offset
