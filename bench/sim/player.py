"""An hls.js-like player on the simulated media timeline (segment k spans [k*D, (k+1)*D)): it
starts once its first fragment is delivered, plays in real time, stalls at a boundary whose
next fragment is not delivered, and resumes when it is. Pure state; the swarm drives it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Player:
    joined_at: float
    segment_s: float
    start_seq: int | None = None
    position: float = 0.0
    set_at: float = 0.0
    playing: bool = False
    first_frame_at: float | None = None
    ready_at: float | None = None
    """When the first fragment was delivered (the first frame: `first_frame_delay_s` later)."""
    stalls: int = 0
    stalled_s: float = 0.0
    stall_since: float | None = None
    jumps: int = 0
    generation: int = 0
    """Bumped on every state change: stale boundary timers compare it."""

    @property
    def started(self) -> bool:
        return self.first_frame_at is not None

    def position_at(self, now: float) -> float:
        return self.position + (now - self.set_at if self.playing else 0.0)

    def current_seq(self, now: float) -> int:
        # A hair of slack: boundary timers land exactly on k*D.
        return int((self.position_at(now) + 1e-9) // self.segment_s)

    def anchor(self, now: float, seq: int) -> None:
        """The first fragment hls.js asks for (the live sync position)."""
        self.start_seq = seq
        self.position, self.set_at, self.playing = seq * self.segment_s, now, False
        self.generation += 1

    def play(self, now: float) -> None:
        """The fragment at the playhead is delivered: start or resume."""
        if self.first_frame_at is None:
            self.first_frame_at = now
        elif self.stall_since is not None:
            self.stalled_s += now - self.stall_since
        self.stall_since = None
        self.set_at, self.playing = now, True
        self.generation += 1

    def stall(self, now: float) -> None:
        """Reached a boundary whose next fragment is missing."""
        self.position = round(self.position_at(now) / self.segment_s) * self.segment_s
        self.set_at, self.playing = now, False
        self.stalls += 1
        self.stall_since = now
        self.generation += 1

    def jump(self, now: float, seq: int) -> None:
        """Live catch-up: seek to `seq` (the stall, if any, goes on until it is delivered)."""
        self.position, self.set_at, self.playing = seq * self.segment_s, now, False
        if self.started and self.stall_since is None:
            self.stall_since = now
            self.stalls += 1
        self.jumps += 1
        self.generation += 1

    def next_boundary(self, now: float) -> float:
        position = self.position_at(now)
        end = (int((position + 1e-9) // self.segment_s) + 1) * self.segment_s
        return now + (end - position)

    def finish(self, now: float) -> None:
        """The run ends: close an open stall."""
        if self.stall_since is not None and self.started:
            self.stalled_s += now - self.stall_since
            self.stall_since = now

    def watch_s(self, now: float) -> float:
        return now - self.first_frame_at if self.first_frame_at is not None else 0.0
