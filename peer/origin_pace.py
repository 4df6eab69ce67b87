"""How the origin's pace bounds a playing member's wait for the swarm: whether the origin is
known fast enough (our own fresh fetch would beat the deadline), too slow to help (waiting for
the swarm is then the better bet), and the latest moment a wait for an election turn, a first
round from neighbours or a copy still arriving may last. Pure judgements of the scheduler's
clock and book; `peer.origin_gate` applies them."""

from __future__ import annotations

from swarmcast.peer.deadline_clock import DeadlineClock
from swarmcast.peer.download_book import DownloadBook
from swarmcast.peer.download_state import SegmentState
from swarmcast.peer.scheduler_config import SchedulerConfig


class OriginPace:
    """The origin-pace judgements of one scheduler (see the module docstring)."""

    def __init__(self, config: SchedulerConfig, book: DownloadBook, clock: DeadlineClock) -> None:
        self.config = config
        self.book = book
        self.clock = clock
        # The member's upload cap in force (None: none); kept current by the scheduler.
        self.upload_cap: float | None = config.upload_rate_bytes_per_s
        # Its upload capacity measured while backlogged (peer/uplink_meter.py; None: not yet).
        self.measured_uplink: float | None = None

    def hold_limit(self, now: float, segment: SegmentState, deadline: float) -> float | None:
        """The latest a playing member's takeover waits for the swarm (its live election turn, a
        first round from neighbours): `deadline - http_margin_s`, while its origin can still
        beat the deadline. On small uplinks a new segment's relayed copy reaches members seconds
        after it appears, and waiting past that made a slow swarm's late copy this member's
        stall. The fallback point instead when the origin is known fast there
        (`fast_at_fallback`): `deadline - http_margin_s` left no time for the transfer, and a
        newcomer's next segment after its first stalled (simulator, cable + DSL audience). Else,
        while our own origin rate is fresh (`own_rate_fresh_s`), at most
        `own_fetch_hold_slack_s` past the fallback point: on a tight downlink the transfer
        takes longer than the margin. None (no limit) while not playing, or when the origin is
        too slow to help: then waiting for the swarm is the better bet."""
        if not self.clock.playing:
            return None
        if self.fast_at_fallback(now, segment, deadline):
            fallback = self.clock.fallback_at(segment, deadline)
            return min(deadline - self.config.http_margin_s, fallback)
        if self.origin_too_slow(now, segment, deadline):
            return None
        limit = deadline - self.config.http_margin_s
        slack = self.config.own_fetch_hold_slack_s
        if slack >= 0 and self.clock.rate_fresh(now, self.config.own_rate_fresh_s):
            limit = min(limit, self.clock.fallback_at(segment, deadline) + slack)
        return limit

    def playing_limit(self, now: float, segment: SegmentState, deadline: float) -> float:
        """How long a playing member waits for a neighbour's copy still arriving:
        `deadline - http_margin_s`; the fallback point instead when the origin is known fast there
        (`fast_at_fallback`) and the copy would miss the deadline at its pace (`copy_late`): the
        copy is slow because of its holder's link, and waiting for it (or for its first pieces)
        to `deadline - http_margin_s` left a whole transfer for after that moment."""
        limit = deadline - self.config.http_margin_s
        if self.copy_late(now, segment, deadline) and self.fast_at_fallback(now, segment, deadline):
            limit = min(limit, self.clock.fallback_at(segment, deadline))
        return limit

    def origin_too_slow(self, now: float, segment: SegmentState, deadline: float) -> bool:
        """Fetching what is missing would not beat the deadline (`DeadlineClock.origin_too_slow`:
        at the slower of our own fetches and neighbours' copies). A member on a small uplink
        (`small_uplink`) that has measured the origin itself within `own_rate_fresh_s` goes by its
        own fetches: in a swarm of home uplinks a copy arrives slowly because every relay's
        uplink is slow, not because the origin is, and the slower rate said "too slow" of a fast
        origin, so playing members waited for a relayed copy (and for their election turn) past
        the deadline. An older measurement is not trusted: in a flash crowd it predates the
        congestion (simulator: worst stall share 48 -> 69 % without the freshness bound, 52 %
        with it). On a congested origin with fast uplinks both rates are the origin's. Also
        at the rate a neighbour's origin fetch of the segment is getting right now, as it says
        (`origin_copy_rate`): the averages lag a congestion that has just begun, and a takeover
        then only adds a download beside the copy it waits for (lab: four members took a
        segment over at its fallback point with estimates of 0.6-1.4 MB/s while the elected
        member's copy arrived at 90 kB/s; bench/results/flash-crowd/README.md, session 15)."""
        if self.fast_at_fallback(now, segment, deadline):
            return False
        measured = self.clock.http_measured_at
        fresh = measured is not None and now - measured <= self.config.own_rate_fresh_s
        own = fresh and self.small_uplink(segment)
        live = (
            self.book.origin_copy_rate(now, segment.seq)
            if self.config.origin_copy_rate and not own
            else None
        )
        return self.clock.origin_too_slow(segment, deadline, now, own_fetches=own, live_rate=live)

    def origin_known_fast(self, now: float, segment: SegmentState, deadline: float) -> bool:
        """Our own origin rate was measured within `fast_origin_fresh_s` (our last fetch, or a
        dated seed: the player's own load, `DeadlineClock.seed_http_rate`) and, at that rate, a
        fetch of what is missing would arrive by the deadline. A copy that is slow then is slow
        because of its holder's link, not the origin: in the realistic lab cable viewers waited
        past their deadline for 360p copies that DSL members were fetching at 0.4 Mbit/s and
        relaying at 0.15-0.3 Mbit/s, while their own fetches took 0.7 s. Only our own fetch
        counts: a neighbour's word of its origin rate is one fetch's rate, and on a congested
        origin every member that took it for its own took the copies it waited for over at
        once (simulator, flash crowd of 36 at 3.35x: 0.12 -> 7.09 % of watch time stalled).
        Nor a rate under `fast_origin_min_x` times the bitrate: a newcomer's share of a crowded
        origin passed for fast and its takeover started a stall wave (simulator, flash crowd
        of 27 at 2.91x: 0.31 -> 6.84 %)."""
        fresh_s = self.config.fast_origin_fresh_s
        if fresh_s <= 0 or not self.clock.rate_fresh(now, fresh_s):
            return False
        rate = self.clock.http_rate
        if rate <= 0 or rate < self.config.fast_origin_min_x * segment.bitrate:
            return False
        return now + segment.missing_bytes() / rate <= deadline

    def fast_at_fallback(self, now: float, segment: SegmentState, deadline: float) -> bool:
        """`origin_known_fast` as of the fallback point (or now, before it): past that point the
        time left shrinks as the member waits, and judged now the origin would look slow merely
        because the member waited."""
        at = min(now, self.clock.fallback_at(segment, deadline))
        return self.origin_known_fast(at, segment, deadline)

    def copy_late(self, now: float, segment: SegmentState, deadline: float) -> bool:
        """At the pace its pieces have reached us since we first asked a neighbour for it, the
        copy would complete after `deadline`, or none of it reached us yet (not asked: no). A
        copy that keeps that pace is worth waiting for to the end: on a tight downlink of our
        own the origin would be no faster (simulator, steady audience on 1.1-2x downlinks:
        taking such copies over at the fallback point cost 5 points of offload)."""
        since = segment.peer_wait_since
        if since is None:
            return False
        if segment.peer_bytes <= 0 or now <= since:
            return True
        rate = segment.peer_bytes / (now - since)
        return now + segment.missing_bytes() / rate > deadline

    def uplink(self) -> float | None:
        """Our upload cap in force, else our capacity measured while backlogged (bytes/s; None:
        neither known)."""
        return self.upload_cap if self.upload_cap is not None else self.measured_uplink

    def weak_uplink(self, bitrate: float) -> bool:
        """Our uplink (`uplink`) is below `weak_uplink_x` times `bitrate` (bytes/s): we could not
        relay one copy of a segment within its duration."""
        cap = self.uplink()
        x = self.config.weak_uplink_x
        return cap is not None and x > 0 and bitrate > 0 and cap < x * bitrate

    def small_uplink(self, segment: SegmentState) -> bool:
        """Our upload cap is below `small_uplink_x` times the segment's bitrate; without a cap,
        our measured capacity (only ever measured while backlogged: an idle member's small
        upload says nothing of its link)."""
        cap = self.uplink()
        x = self.config.small_uplink_x
        if cap is None or x <= 0 or segment.duration <= 0:
            return False
        return cap < x * segment.bitrate
