"""The player's own plain-HTTP loads, on the downlink the scheduler's origin fetches share.

A browser player loads some fragments over plain HTTP itself, outside the scheduler: before the
swarm is joined (a newcomer's first fragments, the first ones after a rendition switch) and when
the loader's safety net fires. Those bytes cross the same downlink as the scheduler's origin
fetches and are what playback needs next. The scheduler used not to know of them: on a DSL or
mobile page it started the next segment's fetch beside the player's load of the one before,
both shared the link and the player's load came late (realistic lab, 68 runs: 35 of 642 P2P
stalls, 64 of 915 stall seconds, were on a fragment the player loaded itself while a scheduler
fetch begun after that load ran beside it; bench/results/stalls-s49/). Counted as due before
the segments after it (`DownlinkQueue`), a load holds new fetches back as an earlier segment's
missing bytes do (`SchedulerConfig.new_fetch_share_x`, `tight_link_budget_s`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PlayerLoad:
    """A fragment the player loads over plain HTTP: its media time, and the bytes expected
    (0: unknown, then the stream's bitrate times its duration)."""

    seq: int
    start: float
    duration: float
    size: int
    since: float

    def remaining(self, now: float, link_rate: float, bitrate: float) -> float:
        """Bytes still to come, as if the load had the member's measured link to itself since it
        began (an estimate: the player reports no progress)."""
        size = self.size if self.size > 0 else bitrate * self.duration
        return max(0.0, size - max(0.0, now - self.since) * link_rate)


class DownlinkQueue:
    """One scheduling pass's view of the downlink, in deadline order: the bytes that segments
    (and player loads) due before the current one still miss, and whether one of them would miss
    its deadline beside one more fetch at `shared_rate` (None: that rule is off)."""

    def __init__(self, now: float, shared_rate: float | None, margin_s: float) -> None:
        self.now = now
        self.shared_rate = shared_rate
        self.margin_s = margin_s
        self.missing = 0.0
        self.late = False

    def add_load(
        self, load: PlayerLoad, deadline: float | None, link_rate: float, bitrate: float
    ) -> None:
        """A player load comes before the segments after it (not once played: no deadline)."""
        if deadline is not None:
            self.add(load.remaining(self.now, link_rate, bitrate), deadline)

    def add(self, missing: float, deadline: float | None) -> None:
        """Something due at `deadline` still misses `missing` bytes."""
        self.missing += missing
        if self.shared_rate is None or deadline is None or missing <= 0 or self.late:
            return
        self.late = self.now + self.missing / self.shared_rate > deadline - self.margin_s
