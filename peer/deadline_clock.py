"""Time side of the pure scheduler: where the playhead is, when each segment is due, and when
its HTTP fallback must start given what is missing and how fast the origin has been."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from swarmcast.peer.download_state import SegmentState
from swarmcast.peer.scheduler_config import SchedulerConfig


class MediaSpan(Protocol):
    """A stretch of media on the playhead's timeline (a segment, a player load)."""

    @property
    def start(self) -> float: ...

    @property
    def duration(self) -> float: ...


@dataclass(frozen=True)
class Playhead:
    """Where playback is: at wall time `set_at` it was at media time `position`, advancing in
    real time if `playing`. Deadlines of segments follow from it."""

    set_at: float
    position: float
    playing: bool

    def position_at(self, now: float) -> float:
        return self.position + (now - self.set_at if self.playing else 0.0)

    def played(self, segment: MediaSpan) -> bool:
        """The segment ends at or before the position."""
        return segment.start + segment.duration <= self.position

    def deadline(self, segment: MediaSpan, startup_deadline_s: float) -> float | None:
        """When playback reaches the segment's start; None if it was already played. While
        not playing, as if playback started `startup_deadline_s` after `set_at`."""
        if self.played(segment):
            return None
        ahead = max(0.0, segment.start - self.position)
        return self.set_at + ahead + (0.0 if self.playing else startup_deadline_s)

    def waiting_on(self, segment: MediaSpan, slack_s: float = 0.0) -> bool:
        """Not playing (startup or stall) and this is the segment playback waits for: it starts
        at most `slack_s` after the position (see `SchedulerConfig.stall_slack_s`)."""
        return not self.playing and segment.start <= self.position + slack_s


class DeadlineClock:
    """Deadlines from the playhead; fallback points from the HTTP throughput estimate."""

    def __init__(self, config: SchedulerConfig) -> None:
        self.config = config
        self.playhead: Playhead | None = None
        self.http_rate = config.http_rate_estimate_bytes_per_s
        self.http_rate_known = False
        """`http_rate` is a measurement (a fetch of ours, or a seed), not the config's guess."""
        # How fast neighbours' copies still arriving progress (HAVE_PIECES): the rate at which
        # the swarm gets segments from the origin, also where we never fetched ourselves.
        self.copy_rate = config.http_rate_estimate_bytes_per_s
        self.origin_copies_rate = config.http_rate_estimate_bytes_per_s
        """The origin rates neighbours said of their copies (HAVE_PIECES origin_rate: the
        holder's own fetch, or for a relayed copy the fetch it comes from, timed by the sender),
        averaged as `copy_rate` is: the origin's speed without the relays' uplinks
        (`slow_origin_by_origin_copies`)."""
        self.neighbour_origin_rate = 0.0
        """The fastest origin rate a neighbour said (HAVE_PIECES origin_rate) lately, bytes/s."""
        self.neighbour_origin_rate_at = -math.inf
        self.slow_link = False
        """Our link is slower than the origin (`slow_link_reserve_x`); kept by the scheduler."""
        self.http_measured_at: float | None = None
        """When our last origin fetch completed (None: none yet, `http_rate` is the config's
        guess); given by the scheduler."""
        self.http_rate_at: float | None = None
        """When the link rate in `http_rate` was last measured: our own fetch, or a seed that
        says when it was measured (`seed_http_rate`)."""
        self.head_missing = False
        """Not playing, and the segment playback waits on is still missing (`update_head`)."""
        self.head_missing_at: float | None = None
        """When a pass last found that segment missing, or found it in: later segments' startup
        deadlines count from then (`later_wait_for_head`)."""
        self._piece_size = 0
        self._timeout = -1.0
        """`progress_timeout()` for the current rates and piece size (-1: to compute). It is
        asked for several times per segment on every event; its inputs change far less often."""

    @property
    def piece_size(self) -> int:
        """Of the stream's segments (the latest added), for `progress_timeout`."""
        return self._piece_size

    @piece_size.setter
    def piece_size(self, value: int) -> None:
        if value != self._piece_size:
            self._piece_size = value
            self._timeout = -1.0

    @property
    def playing(self) -> bool:
        return self.playhead is not None and self.playhead.playing

    def deadline(self, segment: SegmentState) -> float | None:
        """The playhead's deadline; while not playing, a segment after the one playback waits on
        is due from `head_missing_at` when that is later than the playhead's setting."""
        playhead = self.playhead
        if playhead is None:
            return None
        deadline = playhead.deadline(segment, self.config.startup_deadline_s)
        held = self.head_missing_at
        if deadline is None or held is None or playhead.playing or held <= playhead.set_at:
            return deadline
        if self.waiting_on(segment):
            return deadline
        return deadline + (held - playhead.set_at)

    def deadline_of(self, span: MediaSpan) -> float | None:
        """The playhead's own deadline for `span` (a player load: what playback waits on or
        reaches next, so no later startup deadline of `later_wait_for_head`)."""
        if self.playhead is None:
            return None
        return self.playhead.deadline(span, self.config.startup_deadline_s)

    def waits_for_head(self, segment: SegmentState) -> bool:
        """Not playing, the segment playback waits on is still missing and `segment` comes after
        it: its deadline moves with every pass (so it sets no timer of its own)."""
        return self.head_missing and not self.waiting_on(segment)

    def update_head(self, now: float, segments: Iterable[SegmentState]) -> None:
        """Before a scheduling pass: whether, not playing, a segment playback waits on is still
        missing; while it is, and at the pass that finds it in, `head_missing_at` is now (see
        `later_wait_for_head`)."""
        playhead = self.playhead
        if not self.config.later_wait_for_head or playhead is None or playhead.playing:
            self.head_missing = False
            return
        missing = any(
            s.have_count < len(s.have) and self.waiting_on(s) and not playhead.played(s)
            for s in segments
        )
        if missing or self.head_missing:
            self.head_missing_at = now
        self.head_missing = missing

    def waiting_on(self, segment: SegmentState) -> bool:
        """Playback waits for this segment (startup or stall)."""
        slack = self.config.stall_slack_s
        return self.playhead is not None and self.playhead.waiting_on(segment, slack)

    def fallback_at(self, segment: SegmentState, deadline: float) -> float:
        """From then on every missing piece comes from HTTP.

        The reserve plans with at least the segment's own bitrate: an origin slower than that
        cannot carry even one viewer, and a lower estimate is what a herd of simultaneous
        fallbacks measures (each gets 1/N of a congested link). Planning with it would start
        every member's fallback before any peer could relay the segment, and the resulting herd
        would make the low estimate true: a feedback loop that ends in CDN-only with overhead.
        """
        rate = max(self.http_rate, segment.bitrate)
        transfer = (segment.missing_bytes() + segment.link_shared_bytes) / rate
        if self.slow_link:
            transfer *= self.config.slow_link_reserve_x
        return deadline - self.config.http_margin_s - transfer

    def neighbour_origin_rate_said(self, now: float, rate: float) -> None:
        """A neighbour said its origin fetch arrives at `rate` bytes/s (HAVE_PIECES): the
        fastest such word within `own_rate_fresh_s` is kept, and every word averaged into
        `origin_copies_rate`."""
        weight = self.config.http_rate_ewma_weight
        self.origin_copies_rate = (1 - weight) * self.origin_copies_rate + weight * rate
        stale = now - self.neighbour_origin_rate_at > self.config.own_rate_fresh_s
        if stale or rate >= self.neighbour_origin_rate:
            self.neighbour_origin_rate = rate
            self.neighbour_origin_rate_at = now

    def update_slow_link(self, now: float) -> None:
        """Whether our link is slower than the origin (`slow_link_reserve_x`): a neighbour's
        recent origin rate is that many times ours."""
        x = self.config.slow_link_reserve_x
        fresh = now - self.neighbour_origin_rate_at <= self.config.own_rate_fresh_s
        self.slow_link = x > 1 and fresh and self.neighbour_origin_rate >= x * self.http_rate

    def rate_fresh(self, now: float, within_s: float) -> bool:
        """`http_rate` was measured (our own fetch, or a dated seed) within `within_s`."""
        return self.http_rate_at is not None and now - self.http_rate_at <= within_s

    def seed_http_rate(self, rate: float, measured_at: float | None = None) -> None:
        """A rate of the member's link measured outside this scheduler (the browser's download
        meter: its own HTTP loads, an earlier rendition's fetches) replaces the config's guess
        until a fetch of ours is measured: the 2 MB/s guess on a 1 Mbit/s downlink put every
        fallback point about a second late (realistic lab, bench/results/realistic-README.md,
        session 22). Both ports have it; only the shim calls it."""
        if self.http_measured_at is None and rate > 0:
            self.http_rate = rate
            if measured_at is not None:
                self.http_rate_at = measured_at
            self.http_rate_known = True
            self._timeout = -1.0

    def http_fetch_done(self, size: int, elapsed: float, now: float | None = None) -> None:
        """An origin fetch of ours brought `size` bytes in `elapsed` seconds. The first
        measurement replaces the config's guess rather than being averaged into it: blended
        (weight `http_rate_ewma_weight`), a newcomer on a downlink of 1.1-2x the bitrate still
        planned with 1.4 MB/s after its first fetch, about six times its link, and took its
        fallbacks and the swarm's first copies too late (simulator, steady audience on tight
        downlinks: bench/results/sim-s30/README.md)."""
        if now is not None:
            self.http_measured_at = now
            self.http_rate_at = now
        if elapsed > 0:
            weight = self.config.http_rate_ewma_weight if self.http_rate_known else 1.0
            self.http_rate = (1 - weight) * self.http_rate + weight * (size / elapsed)
            self.http_rate_known = True
            self._timeout = -1.0

    def copy_progress(self, size: int, elapsed: float) -> None:
        """A neighbour's copy gained `size` bytes in `elapsed` seconds."""
        if elapsed > 0:
            weight = self.config.http_rate_ewma_weight
            self.copy_rate = (1 - weight) * self.copy_rate + weight * (size / elapsed)
            self._timeout = -1.0

    def progress_timeout(self) -> float:
        """How long a neighbour's copy may go without news (HAVE_PIECES) before it counts as
        stale: `progress_timeout_pieces` pieces at the rate copies have been getting, within
        [`origin_progress_timeout_s`, `progress_timeout_max_s`]. Neighbours announce a copy
        every `origin_announce_pieces` / `relay_announce_pieces` pieces (the swarm runs one
        config), so the pieces count that many times over: between two announcements a copy
        arriving at the usual rate still counts as progressing."""
        if self._timeout < 0:
            base = self.config.origin_progress_timeout_s
            span = max(1, self.config.origin_announce_pieces, self.config.relay_announce_pieces)
            pieces = self.config.progress_timeout_pieces * span
            if pieces <= 0 or self._piece_size <= 0:
                self._timeout = base
            else:
                rate = min(self.http_rate, self.copy_rate)
                scaled = pieces * self._piece_size / rate
                self._timeout = max(base, min(self.config.progress_timeout_max_s, scaled))
        return self._timeout

    def origin_too_slow(
        self,
        segment: SegmentState,
        deadline: float,
        now: float,
        *,
        own_fetches: bool = False,
        live_rate: float | None = None,
    ) -> bool:
        """Fetching what is missing would not beat the deadline at the rate the swarm's copies
        from the origin (`slow_origin_by_origin_copies`; else every copy) or our own fetches
        have been getting: a takeover would only add load.
        With `own_fetches`, at the rate of our own fetches alone (see `OriginGate`); else also
        at `live_rate`, the rate a neighbour's origin fetch of the segment gets right now."""
        copies = (
            self.origin_copies_rate if self.config.slow_origin_by_origin_copies else self.copy_rate
        )
        rate = self.http_rate if own_fetches else min(self.http_rate, copies)
        if live_rate is not None and not own_fetches:
            rate = min(rate, live_rate)
        return now + segment.missing_bytes() / rate > deadline
