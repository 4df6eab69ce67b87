"""A simulated player for the headless viewer: it starts once the segment at its position is
complete, advances in real time, and stalls (like a real player) when it reaches a segment
that is not complete. Pure: `now` comes in, the caller applies the changes to the scheduler."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field

# Timers land exactly on segment boundaries; step a hair past them so float error never leaves
# the playhead just before the boundary it was woken for.
_BOUNDARY_EPSILON = 1e-6


@dataclass
class Timeline:
    """Media time of each known segment: seq -> (start, duration)."""

    spans: dict[int, tuple[float, float]] = field(default_factory=dict)

    def add(self, seq: int, duration: float) -> float:
        """Place `seq` after what is known (or at 0); returns its start."""
        if seq in self.spans:
            return self.spans[seq][0]
        before = [s for s in self.spans if s < seq]
        if before:
            previous = max(before)
            start, length = self.spans[previous]
            # Unknown seqs in between (never the case with a sliding playlist) count as `length`.
            start = start + length * (seq - previous)
        else:
            after = [s for s in self.spans if s > seq]
            start = self.spans[min(after)][0] - duration * (min(after) - seq) if after else 0.0
        self.spans[seq] = (start, duration)
        return start

    def seq_at(self, position: float) -> int | None:
        for seq, (start, duration) in self.spans.items():
            if start <= position < start + duration:
                return seq
        return None

    def forget_before(self, seq: int) -> None:
        for old in [s for s in self.spans if s < seq]:
            del self.spans[old]


@dataclass
class SimulatedPlayhead:
    """Position on the media timeline; `playing` advances it at rate 1."""

    position: float
    playing: bool = False
    set_at: float = 0.0
    started: bool = False
    stalls: int = 0
    stalled_s: float = 0.0
    startup_s: float | None = None
    _waiting_since: float | None = None

    def position_at(self, now: float) -> float:
        return self.position + (now - self.set_at if self.playing else 0.0)

    def step(self, now: float, timeline: Timeline, complete: Container[int]) -> bool:
        """Start, advance or stall; True if the playing state changed (tell the scheduler)."""
        position = self.position_at(now)
        seq = timeline.seq_at(position)
        ready = seq is not None and seq in complete
        if self.playing and not ready:
            self.position, self.set_at, self.playing = position, now, False
            self.stalls += 1
            self._waiting_since = now
            return True
        if not self.playing and ready:
            if self._waiting_since is None:
                self._waiting_since = self.set_at
            waited = now - self._waiting_since
            if self.started:
                self.stalled_s += waited
            else:
                self.startup_s = waited
            self.started = True
            self.position, self.set_at, self.playing = position, now, True
            self._waiting_since = None
            return True
        return False

    def next_boundary(self, now: float, timeline: Timeline) -> float | None:
        """When a playing playhead reaches the end of its current segment."""
        if not self.playing:
            return None
        position = self.position_at(now)
        seq = timeline.seq_at(position)
        if seq is None:
            return now
        start, duration = timeline.spans[seq]
        return now + (start + duration - position) + _BOUNDARY_EPSILON
