"""What a simulated run measures: bytes by source per second, origin load, and the collapse
test of issue 8 (offload below 20% for at least 10 s while peers hold the segments).

"While peers hold the segments" is measured as: at least half of the window's origin bytes
are redundant, i.e. for segments a swarm member already holds complete or already asked the
origin for (copies beyond the swarm's first). A cold start, where the first copy of each
segment must come from the origin, is not a collapse; a herd of viewers each downloading its
own copy is, whether or not one of them has finished yet."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

COLLAPSE_OFFLOAD = 0.2
COLLAPSE_WINDOW_S = 10
COLLAPSE_REDUNDANT_SHARE = 0.5
"""A low-offload window counts as a collapse only if at least this share of its origin bytes
are redundant copies."""


@dataclass
class Recorder:
    """Per-second bins over the run (bin i covers [i, i+1) s)."""

    duration_s: float
    origin_first: list[float] = field(default_factory=list)
    origin_redundant: list[float] = field(default_factory=list)
    peer: list[float] = field(default_factory=list)
    requests_outstanding: list[int] = field(default_factory=list)
    fetches_started: list[int] = field(default_factory=list)
    stalled_viewers: list[int] = field(default_factory=list)
    playing_viewers: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = math.ceil(self.duration_s) + 1
        self.origin_first = [0.0] * n
        self.origin_redundant = [0.0] * n
        self.peer = [0.0] * n
        self.requests_outstanding = [0] * n
        self.fetches_started = [0] * n
        self.stalled_viewers = [0] * n
        self.playing_viewers = [0] * n

    def _bin(self, t: float) -> int:
        return min(len(self.peer) - 1, max(0, int(t)))

    def origin_flow(self, t0: float, t1: float, first: float, redundant: float) -> None:
        """Spread bytes that flowed evenly over [t0, t1) into the bins."""
        lo, hi = self._bin(t0), self._bin(t1)
        if lo == hi or t1 <= t0:
            self.origin_first[lo] += first
            self.origin_redundant[lo] += redundant
            return
        span = t1 - t0
        for b in range(lo, hi + 1):
            share = (min(t1, b + 1.0) - max(t0, float(b))) / span
            if share > 0:
                self.origin_first[b] += first * share
                self.origin_redundant[b] += redundant * share

    def peer_bytes(self, t: float, size: int) -> None:
        self.peer[self._bin(t)] += size

    def in_flight(self, t: float, count: int) -> None:
        b = self._bin(t)
        if count > self.requests_outstanding[b]:
            self.requests_outstanding[b] = count

    def fetch_started(self, t: float) -> None:
        self.fetches_started[self._bin(t)] += 1

    def offload_series(self) -> list[float | None]:
        out: list[float | None] = []
        for o1, o2, p in zip(self.origin_first, self.origin_redundant, self.peer, strict=True):
            total = o1 + o2 + p
            out.append(round(p / total, 3) if total > 0 else None)
        return out

    def collapses(self) -> list[tuple[int, int]]:
        """Collapsed intervals [start, end) in whole seconds: at least 10 consecutive seconds
        with traffic and offload below 20% each, at least half of whose origin bytes are
        redundant copies."""
        intervals: list[tuple[int, int]] = []
        run_start: int | None = None
        n = len(self.peer)
        for b in range(n + 1):
            low = False
            if b < n:
                origin = self.origin_first[b] + self.origin_redundant[b]
                total = origin + self.peer[b]
                low = total > 0 and self.peer[b] / total < COLLAPSE_OFFLOAD
            if low and run_start is None:
                run_start = b
            elif not low and run_start is not None:
                if b - run_start >= COLLAPSE_WINDOW_S and self._redundant_share(run_start, b) >= (
                    COLLAPSE_REDUNDANT_SHARE
                ):
                    intervals.append((run_start, b))
                run_start = None
        return intervals

    def _redundant_share(self, start: int, end: int) -> float:
        redundant = sum(self.origin_redundant[start:end])
        origin = redundant + sum(self.origin_first[start:end])
        return redundant / origin if origin > 0 else 0.0

    def series_json(self) -> dict[str, Any]:
        return {
            "origin_bytes": [
                round(a + b) for a, b in zip(self.origin_first, self.origin_redundant, strict=True)
            ],
            "origin_bytes_redundant": [round(b) for b in self.origin_redundant],
            "peer_bytes": [round(p) for p in self.peer],
            "offload": self.offload_series(),
            "http_requests_outstanding_max": self.requests_outstanding,
            "origin_fetches_started": self.fetches_started,
            "stalled_viewers": self.stalled_viewers,
            "playing_viewers": self.playing_viewers,
        }


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in [0, 100]); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]
