"""The player's own plain-HTTP loads, and what else shares the downlink with the scheduler's
origin fetches (the deadline-order rules' view of it, and the fallback points' `shared_link_x`).

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

from collections.abc import Iterable
from dataclasses import dataclass

from swarmcast.peer.deadline_clock import DeadlineClock
from swarmcast.peer.download_state import UNASSIGNED, SegmentState
from swarmcast.peer.scheduler_config import SchedulerConfig


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


def downlink_shared_rate(clock: DeadlineClock, config: SchedulerConfig) -> float | None:
    """The origin rate an earlier segment's transfer keeps beside one more fetch
    (`new_fetch_share_x`; None: the rule is off, or the link is not measured yet)."""
    share = config.new_fetch_share_x
    if share <= 0 or not clock.http_rate_known:
        return None
    return clock.http_rate / share


def tight_link_budget(
    clock: DeadlineClock, config: SchedulerConfig, segments: Iterable[SegmentState]
) -> float | None:
    """On a link whose measured origin rate is under `tight_link_x` times the bitrate, the
    bytes it carries in `tight_link_budget_s` (None: not a tight link, or not measured)."""
    horizon = config.tight_link_budget_s
    if horizon <= 0 or not clock.http_rate_known:
        return None
    bitrate = max((s.bitrate for s in segments), default=0.0)
    if bitrate <= 0 or clock.http_rate >= config.tight_link_x * bitrate:
        return None
    return clock.http_rate * horizon


def mark_link_sharing(
    segments: Iterable[SegmentState],
    loads: Iterable[PlayerLoad],
    now: float,
    clock: DeadlineClock,
    config: SchedulerConfig,
    load_bitrate: float,
) -> None:
    """Set each segment's `link_shared_bytes` (`SchedulerConfig.shared_link_x`): the transfers
    in flight on our downlink for later segments (their pieces owed by neighbours, their pieces
    coming from the origin, the player's loads of them) share the link fairly with a fetch of
    its rest, each until it ends. Earlier segments' transfers are not counted: they go first by
    the deadline-order rules (`DownlinkQueue`), and counting them sent later segments to the
    origin beside them (simulator: bench/results/sim-s50/README.md). Only on a measured link
    under `shared_link_x` times the segment's bitrate, or slower than the origin."""
    segments = list(segments)
    x = config.shared_link_x
    flows: list[tuple[int, float]] = []  # (seq, bytes still to come)
    for segment in segments:
        from_peers = from_origin = 0
        for index, (have, owner) in enumerate(zip(segment.have, segment.owner, strict=True)):
            if not have and owner != UNASSIGNED:
                if owner > 0:
                    from_peers += segment.piece_bytes(index)
                else:
                    from_origin += segment.piece_bytes(index)
        flows.extend((segment.seq, size) for size in (from_peers, from_origin) if size > 0)
    flows.extend((load.seq, load.remaining(now, clock.http_rate, load_bitrate)) for load in loads)
    for segment in segments:
        shared = 0.0
        if x > 0 and clock.http_rate_known and own_link_tight(clock, config, segment):
            missing = segment.missing_bytes()
            shared = sum(min(size, missing) for seq, size in flows if seq > segment.seq)
        segment.link_shared_bytes = shared


def thin_lead(
    clock: DeadlineClock,
    config: SchedulerConfig,
    segment: SegmentState,
    now: float,
    deadline: float,
) -> bool:
    """The segment is due within `thin_lead_origin_s`, none of it is in or on its way, and our
    link is tight at a rate that is not a crowded origin's share (`thin_lead_min_rate_x`): it
    comes from the origin now, as over plain HTTP, not from the swarm and then from a takeover
    once the swarm turns out slow. The caller asks only for a segment nothing before is missing."""
    lead = config.thin_lead_origin_s
    if lead <= 0 or deadline - now > lead or not clock.http_rate_known:
        return False
    if segment.have_count > 0 or any(owner != UNASSIGNED for owner in segment.owner):
        return False  # a copy begun goes on by the other rules
    floor = config.thin_lead_min_rate_x * segment.bitrate
    return own_link_tight(clock, config, segment) and clock.http_rate >= floor


def own_link_tight(clock: DeadlineClock, config: SchedulerConfig, segment: SegmentState) -> bool:
    """Our measured origin rate is under `shared_link_x` times the segment's bitrate, or our
    link is slower than the origin (`DeadlineClock.slow_link`): a fetch shares our own downlink
    with whatever else comes in (`mark_link_sharing`, `thin_lead`)."""
    return clock.http_rate < config.shared_link_x * segment.bitrate or clock.slow_link
