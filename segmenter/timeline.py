"""Maps a publisher's (possibly irregular) frame times onto the output timeline. Pure.

Video is output at a constant frame rate: a source frame lands on slot round(t * fps); frames
that land on an already filled slot are dropped, and gaps are filled by repeating the frame
that ends them. Audio is placed by sample position: small jitter is ignored, a gap becomes
silence, an overlap is trimmed. Jumps larger than `max_gap` (a corrupt timestamp, a clock
reset) re-anchor the timeline instead of producing minutes of repeats or silence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def _round_half_up(value: float) -> int:
    """Half-up (not banker's) rounding, so a 60 -> 30 fps source drops every other frame."""
    return math.floor(value + 0.5 + 1e-9)


@dataclass(slots=True)
class VideoTimeline:
    fps: int
    max_gap: float
    next_slot: int = 0
    """Number of output frames produced so far (the next slot to fill)."""
    _origin: float | None = None

    def place(self, time: float) -> int:
        """How many output frames this source frame fills (0 = drop, >1 = fill a gap)."""
        if self._origin is None:
            self._origin = time
        slot = _round_half_up((time - self._origin) * self.fps)
        if abs(slot - self.next_slot) > self.max_gap * self.fps:
            # Re-anchor: this frame takes the next slot, later ones follow it.
            self._origin = time - self.next_slot / self.fps
            slot = self.next_slot
        if slot < self.next_slot:
            return 0
        count = slot - self.next_slot + 1
        self.next_slot = slot + 1
        return count

    @property
    def origin(self) -> float | None:
        return self._origin

    def align_to(self, origin: float) -> None:
        """Use `origin` (the shared time zero of this publisher) before the first frame."""
        if self._origin is None:
            self._origin = origin


@dataclass(slots=True)
class AudioTimeline:
    """Sample-accurate audio placement; the caller reports what it wrote with `advance`."""

    sample_rate: int
    max_gap: float
    tolerance: float = 0.04
    """Seconds of drift ignored (container timestamps are often rounded to milliseconds)."""
    written: int = 0
    """Samples produced so far."""
    _origin: float | None = None

    def align_to(self, origin: float) -> None:
        if self._origin is None:
            self._origin = origin

    def place(self, time: float) -> int | None:
        """Silence (in samples) to write before a frame captured at `time`, or None to drop
        the frame because it overlaps what was already written."""
        if self._origin is None:
            self._origin = time
        drift = _round_half_up((time - self._origin) * self.sample_rate) - self.written
        if abs(drift) > self.max_gap * self.sample_rate:
            self._origin = time - self.written / self.sample_rate
            return 0
        tolerance = round(self.tolerance * self.sample_rate)
        if drift < -tolerance:
            return None
        return drift if drift > tolerance else 0

    def advance(self, samples: int) -> None:
        self.written += samples

    def missing_until(self, samples: int) -> int:
        """Silence needed so that at least `samples` have been written (video, no audio)."""
        return max(0, samples - self.written)
