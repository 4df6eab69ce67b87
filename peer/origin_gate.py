"""When a segment may, or must, come from the origin: the deadline fallback point, the live
HTTP-first election (only once the segment is due within `election_horizon_s`, and not while
neighbours are still connecting), a neighbour's copy that is still arriving (cut-through; a
playing member waits for it past the deadline when the origin is too slow to do better) and
neighbours that are still connecting (startup). Pure: it reads the scheduler's book and clock,
holds the little state these rules need, and never acts itself (`peer.piece_scheduler` does)."""

from __future__ import annotations

import math

from swarmcast.peer.deadline_clock import DeadlineClock
from swarmcast.peer.download_book import DownloadBook
from swarmcast.peer.download_state import SegmentState
from swarmcast.peer.election import http_first_delay, stale_copy_delay
from swarmcast.peer.origin_pace import OriginPace
from swarmcast.peer.peer_requests import free_piece_shares
from swarmcast.peer.scheduler_actions import DecisionHook
from swarmcast.peer.scheduler_config import SchedulerConfig

EDGE_SEEDER_CAPABILITY = 0x2
"""HELLO capability bit 1: the neighbour is an edge seeder (it takes every segment from HTTP)."""


class OriginGate:
    """The origin-side timing rules of one scheduler (see the module docstring)."""

    def __init__(
        self,
        config: SchedulerConfig,
        book: DownloadBook,
        clock: DeadlineClock,
        on_decision: DecisionHook | None = None,
        local_peer_id: str = "",
    ) -> None:
        self.config = config
        self.local_peer_id = local_peer_id
        self.on_decision = on_decision  # optional observer (timeline); never changes policy
        self.book = book
        self.clock = clock
        self.swarm_size = 1
        # How the origin's pace bounds a playing member's wait (upload cap, measured uplink).
        self.pace = OriginPace(config, book, clock)
        # While assigned neighbours are still connecting: until when a blocked segment nobody
        # holds waits for them (None: no wait). See `set_connecting`.
        self.connect_wait_until: float | None = None
        # None was left connecting once: later neighbours hold no stall (`may_fetch_unheld`).
        self.links_up = False
        # Assigned neighbours still connecting, as last reported, and until when `links_hold`
        # may hold (`connect_hold_s` from the first report).
        self.connecting = 0
        self.connect_hold_until: float | None = None

    def set_connecting(self, now: float, count: int) -> None:
        """`count` assigned neighbours are still connecting; the wait starts at the first
        report and ends at `connect_wait_s` (the hold of `links_hold` at `connect_hold_s`) or
        when none is left."""
        self.connecting = max(0, count)
        if count <= 0:
            self.connect_wait_until = None
            self.links_up = True
            if self.connect_hold_until is not None:
                self.connect_hold_until = now  # the first links are up: the hold is over for good
            return
        if self.connect_wait_until is None:
            self.connect_wait_until = now + self.config.connect_wait_s
        if self.connect_hold_until is None and self.config.connect_hold_s > 0:
            self.connect_hold_until = now + self.config.connect_hold_s

    def links_hold(self, now: float, segment: SegmentState) -> bool:
        """While at least half of a member's first neighbours are still connecting (at most
        `connect_hold_s`), this member takes no live election turn for `segment`, and (see
        `takeover_at`) while not playing takes no later segment over. The election relies on
        hearing neighbours' copies: a member that hears from nobody sees every tier's turn pass,
        and a newcomer drew its tiers in a swarm of two or three (the size signaling knew when
        it joined), so with link set-up of 2-5 s every newcomer of a flash crowd took nearly
        every segment from the origin (simulator, 8 viewers over 10 s at 2x: 9.8% of watch time
        stalled, worst seed 73%; 40 viewers at 3x: none started; with this hold 1.4% and 9.8%:
        bench/results/flash-crowd/session20/README.md). When the hold ends the turn is drawn
        again from then, among the neighbours and swarm size known then. Only for the first
        links: holding again whenever signaling assigned more neighbours delayed playing
        members' turns in a 40-viewer simulated crowd (`set_connecting` ends it for good)."""
        until = self.connect_hold_until
        held = (
            segment.http_first_at is not None
            and until is not None
            and now < until
            and self.connecting > 0
            and self.connecting >= len(self.book.peers)
        )
        if held:
            segment.held_for_links = True
        elif segment.held_for_links:
            segment.held_for_links = False
            if segment.http_first_at is not None:
                segment.http_first_at = self.http_first_at(
                    now, self.local_peer_id, segment.seq, segment.bitrate
                )
                segment.election_delay = segment.http_first_at - now
        return held

    def http_first_at(self, now: float, local_peer_id: str, seq: int, bitrate: float) -> float:
        """When this member takes a new live segment nobody announced from the origin
        (`bitrate`: the segment's, bytes/s)."""
        step_back = self.config.weak_uplink_step_back_tiers
        if step_back > 0 and self.pace.weak_uplink(bitrate) and self.stronger_neighbour(bitrate):
            now += step_back * self.config.live_tier_spacing_s  # see weak_uplink_step_back_tiers
        return now + http_first_delay(
            local_peer_id,
            seq,
            neighbour_ids=self.book.peers.keys(),
            swarm_size=self.swarm_size,
            http_first_count=self.config.live_http_first_count,
            large_swarm=self.config.live_http_first_large_swarm,
            tier_spacing_s=self.config.live_tier_spacing_s,
            tier_growth=self.config.live_tier_growth,
            neighbour_stagger_s=self.config.live_neighbour_stagger_s,
            seeder_neighbour=any(
                p.capabilities & EDGE_SEEDER_CAPABILITY for p in self.book.peers.values()
            ),
            skip_empty_tiers=self.config.live_skip_empty_tiers,
            lowest_known_first=self.config.live_lowest_known_first,
        )

    def stronger_neighbour(self, bitrate: float) -> bool:
        """A neighbour has been sending us pieces (at its time per piece) at the stream's
        `bitrate` or at `stronger_neighbour_x` times our own uplink, whichever is lower: its
        uplink relays a copy sooner than ours would. Judged from what reached us, so a strong
        neighbour serving several members at once still counts against a much weaker one."""
        own = self.pace.uplink()
        floor = self.config.weak_uplink_x * bitrate
        if own is not None:
            floor = min(floor, self.config.stronger_neighbour_x * own)
        piece_size = self.clock.piece_size
        return floor > 0 and any(
            peer.piece_time_s > 0 and piece_size / peer.piece_time_s >= floor
            for peer in self.book.peers.values()
        )

    def blocked_election(self, now: float, local_peer_id: str, segment: SegmentState) -> bool:
        """Playback waits on a segment nobody holds while we have neighbours (a flash crowd
        arriving at once: they are all blocked on the same startup segment). Rather than all of
        them fetching it at the same instant, they hold the live election over it with short
        tiers (`blocked_tier_spacing_s`): the first one's fetch is announced (HAVE_PIECES) and
        the others relay it. True while this member's turn has not come."""
        if segment.http_first_at is None and self.book.peers and self.clock.waiting_on(segment):
            segment.http_first_at = now + http_first_delay(
                local_peer_id,
                segment.seq,
                neighbour_ids=self.book.peers.keys(),
                swarm_size=len(self.book.peers) + 1,  # only neighbours can relay it to us
                http_first_count=self.config.live_http_first_count,
                tier_spacing_s=self.config.blocked_tier_spacing_s,
                tier_growth=self.config.live_tier_growth,
                neighbour_stagger_s=self.config.blocked_tier_spacing_s / 2,
                seeder_neighbour=False,
            )
        return self.turn_pending(now, segment)

    def turn_pending(self, now: float, segment: SegmentState) -> bool:
        """This member's election turn for `segment` has not come, unless playback waits on it
        and a neighbour has announced it complete, usable or not (cooling down after an
        abandon, choking us). The election picks who brings the first copy, and that copy
        exists: a stalled member whose only holder went silent waited for its own turn,
        redrawn when its first links came up, until hls.js's safety net fetched the segment
        (bench/results/realistic-README.md, series 24)."""
        turn = segment.http_first_at
        return (
            turn is not None
            and now < turn
            and not (
                self.clock.waiting_on(segment)
                and any(segment.seq in p.haves for p in self.book.peers.values())
            )
        )

    def takeover_at(self, now: float, segment: SegmentState, deadline: float) -> float:
        """From then on HTTP takes over every missing piece of `segment`: the fallback point,
        held back by the live election, neighbours still connecting (startup) or a neighbour's
        copy that is still arriving; then a segment that usable neighbours hold and none was
        asked for yet gets one round from them (`peer_silence_timeout_s`). Without that round a
        stall (the blocked segment is due `startup_deadline_s` after the playhead stopped) or a
        low HTTP rate estimate puts the fallback point before any peer is asked, and every
        stalled viewer fetches from the congested origin at once. A playing member waits for
        the election and that round at most until `hold_limit`."""
        fallback = self.clock.fallback_at(segment, deadline)
        if now < fallback:
            pace = self.pace_takeover_at(now, segment, deadline)
            return fallback if pace is None else min(fallback, pace)
        # Not playing, a later segment than the one playback waits on: not while links are held.
        held = self.links_hold(now, segment)
        if held and not self.clock.playing and not self.clock.waiting_on(segment):
            return math.inf
        holders = self.book.usable_holders(now, segment.seq)
        limit = self.pace.hold_limit(now, segment, deadline)
        if segment.http_first_at is not None and now < segment.http_first_at and not holders:
            turn = segment.http_first_at if limit is None else min(segment.http_first_at, limit)
            if now < turn:
                return turn  # election_pending
        if not self.clock.playing and self.first_links_wait(now) and not holders:
            assert self.connect_wait_until is not None
            return self.connect_wait_until
        race = self.stalled_race_at(segment)
        if race is not None and now >= race:
            return race
        progress_until = self.copy_progress_until(now, segment, deadline)
        if progress_until is not None:
            return progress_until
        if segment.peer_grace_until is None:
            asked = segment.requested
            grace = self.config.peer_silence_timeout_s if holders and not asked else 0.0
            if limit is not None:
                grace = min(grace, max(0.0, limit - now))
            segment.peer_grace_until = now + grace
            if grace > 0 and self.on_decision is not None:
                self.on_decision(now, segment.seq, "peer-round", {"until_s": grace})
        return segment.peer_grace_until

    def stalled_race_at(self, segment: SegmentState) -> float | None:
        """When playback waits on `segment` and our own origin link would bring its missing
        bytes much sooner than the neighbours' copy is bringing them (`stalled_race_x`): the
        copy's time for the rest, at its rate since the segment's first request to them,
        exceeds x times our own fetch's plus `http_margin_s`. With no new piece that time grows
        as we wait, so the answer is a moment (None: not waiting on it, rule off, or no fresh
        measurement of our link: our own fetch or the download meter's dated seed, as the hold
        limit takes it; a session joined after a rendition switch has only the seed, and its
        stalled page waited 2.4 s on a slow neighbour: bench/results/sim-s49/README.md)."""
        x = self.config.stalled_race_x
        since = segment.peer_wait_since
        measured = self.clock.http_rate_at
        if x <= 0 or since is None or measured is None or not self.clock.waiting_on(segment):
            return None
        missing = segment.missing_bytes()
        if missing <= 0 or self.clock.http_rate <= 0:
            return None
        budget = x * missing / self.clock.http_rate + self.config.http_margin_s
        # copy time = missing * waited / peer_bytes > budget  <=>  waited > budget * bytes / missing
        waited = budget * segment.peer_bytes / missing if segment.peer_bytes > 0 else budget
        at = since + max(self.config.stalled_race_min_s, waited)
        return at if at <= measured + self.config.own_rate_fresh_s else None

    def pace_takeover_at(self, now: float, segment: SegmentState, deadline: float) -> float | None:
        """When a neighbour owing pieces of `segment` falls behind the pace that brings them in
        by `deadline - http_margin_s`: it sends in request order, so before this segment's last
        owed piece come all it owes us from earlier requests, each at its time per piece
        (`RemotePeer.piece_time_s`); not before `peer_pace_min_s` after the segment's first
        request to it. None while no such neighbour has a measured pace, the rule is off, or the
        origin cannot beat the deadline (`hold_limit`). Pieces nobody announced yet do not count:
        they come at the pace of the origin copy being relayed, and taking them over sent a
        simulated flash crowd's members to the congested origin together. With no new piece the
        projection slides with time (the next piece is due one piece's time after the latest)."""
        window = self.config.peer_pace_min_s
        if window <= 0 or segment.peer_owed <= 0:
            return None
        if self.pace.hold_limit(now, segment, deadline) is None:
            return None
        due = deadline - self.config.http_margin_s
        best = math.inf
        free_shares = free_piece_shares(self.book, now, segment)  # see `paced_limit`
        owing = (self.book.requests.get(o) for o in segment.owing_request_ids())
        for peer_id in {r.peer_id for r in owing if r is not None}:
            peer = self.book.peers.get(peer_id)
            if peer is None or peer.piece_time_s <= 0:
                continue
            mine = [r for r in peer.requests.values() if r.seq == segment.seq and r.pending]
            if not mine:
                continue
            last = max(r.request_id for r in mine)
            owed = sum(len(r.pending) for r in peer.requests.values() if r.request_id <= last)
            queued = owed + free_shares.get(peer_id, 0.0)
            oldest = min(r.sent_at for r in peer.requests.values() if r.pending)
            base = max(peer.last_piece_at, oldest)  # when the piece it is sending now began
            earliest = min(r.sent_at for r in mine) + window
            if base + queued * peer.piece_time_s > due:
                at = earliest  # behind pace already
            else:
                at = max(earliest, due - (queued - 1) * peer.piece_time_s)
            best = min(best, at)
        return None if best == math.inf else best

    def may_fetch_unheld(self, now: float, segment: SegmentState) -> bool:
        """A segment no usable neighbour holds goes to the origin before its fallback point:
        when playback waits on it (unless the election or the member's first links, still
        connecting, say wait: a later neighbour is nearly always a newcomer holding nothing,
        realistic-README series 24), or when this member's election turn for a new live segment
        has come (not while any neighbour connects: sim-s42). Neither while its stale-copy
        turn has not come (`stale_copy_wait`): a copy's word leaves the holders at
        the same moment for all its waiting neighbours, and a member whose election turn passed
        long ago (stalled far behind the live edge) would otherwise fetch at that moment."""
        if self.first_links_wait(now):
            return False
        wait = self.connect_wait(now)
        held = self.links_hold(now, segment)
        blocked = self.clock.waiting_on(segment) and not self.election_pending(now, segment)
        turn = blocked or (
            not held
            and not wait
            and segment.http_first_at is not None
            and now >= segment.http_first_at
            and self.within_horizon(now, segment)
        )
        return turn and not self.stale_copy_wait(now, segment)

    def within_horizon(self, now: float, segment: SegmentState) -> bool:
        """The segment is due soon enough for an election turn (`election_horizon_s`), and, if
        the horizon held the turn back, this member's election delay has passed since it came
        within the horizon: members far behind the live edge (all of them after a stall wave)
        would otherwise take their passed turns together when the segment crosses the horizon."""
        horizon = self.config.election_horizon_s
        if horizon <= 0:
            return True
        deadline = self.clock.deadline(segment)
        return deadline is not None and deadline - now <= horizon - segment.election_delay

    def timers(self, now: float, segment: SegmentState, deadline: float) -> list[float]:
        """The times at which these rules may change their answer for `segment`."""
        # A deadline that moves with every pass while the first segment is missing: no timer.
        sliding = self.clock.waits_for_head(segment)
        times = [] if sliding else [self.clock.fallback_at(segment, deadline)]
        latest = self.book.latest_progress(now, segment.seq)
        if latest is not None:
            progress_until = self._progress_until(now, segment, deadline, latest)
            if progress_until is not None:
                times.append(progress_until)
            # a copy's word goes stale (see DownloadBook.usable_holders)
            times.append(latest + self.clock.progress_timeout())
        if segment.peer_grace_until is not None:
            times.append(segment.peer_grace_until)
        if segment.http_first_at is not None:
            times.append(segment.http_first_at)
            if self.config.election_horizon_s > 0 and not sliding:
                times.append(deadline - self.config.election_horizon_s + segment.election_delay)
        if self.connect_wait_until is not None:
            times.append(self.connect_wait_until)
        if self.connect_hold_until is not None:
            times.append(self.connect_hold_until)
        race = self.stalled_race_at(segment)
        if race is not None:
            times.append(race)
        if self.clock.playing:
            times.append(deadline - self.config.http_margin_s)  # see hold_limit
            limit = self.pace.hold_limit(now, segment, deadline)
            if limit is not None:
                times.append(limit)
            pace = self.pace_takeover_at(now, segment, deadline)
            if pace is not None:
                times.append(pace)
        return times

    def election_pending(self, now: float, segment: SegmentState) -> bool:
        """A new live segment nobody usable holds, before this member's election turn: even a
        stall or a passed fallback point does not send it to the origin early. Everyone blocked
        on the newest segment at once (a starved swarm at the live edge) would otherwise fetch it
        at once; in turn, the elected members fetch it and the rest get it from them."""
        return self.turn_pending(now, segment) and not self.book.usable_holders(now, segment.seq)

    def copy_progress_until(
        self, now: float, segment: SegmentState, deadline: float
    ) -> float | None:
        """While a neighbour's copy of the segment is still arriving (its HAVE_PIECES came
        within the progress timeout, `DeadlineClock.progress_timeout`), the HTTP takeover waits
        for that copy instead of adding a second download to a possibly congested origin
        (cut-through). While playing, not past `deadline - http_margin_s`, nor past the
        fallback point when the origin is known fast there (`fast_at_fallback`) and the copy
        would miss the deadline at its pace (`copy_late`). While stalled, as long as the copy
        progresses. None when no such copy is arriving."""
        latest = self.book.latest_progress(now, segment.seq)
        if latest is None:
            return None
        return self._progress_until(now, segment, deadline, latest)

    def _progress_until(
        self, now: float, segment: SegmentState, deadline: float, latest: float
    ) -> float | None:
        """`copy_progress_until` given the neighbours' latest progress (computed once)."""
        timeout = self.clock.progress_timeout()
        until = latest + timeout
        if self.clock.playing and not (
            self.config.progress_wait_playing and self.pace.origin_too_slow(now, segment, deadline)
        ):
            until = min(until, self.pace.playing_limit(now, segment, deadline))
        elif self.config.stale_copy_tiers > 0:
            until += timeout * self.stale_turn(segment)
        return until if until > now else None

    def stale_turn(self, segment: SegmentState) -> float:
        """This member's turn, in progress timeouts, to take over a neighbour's copy that went
        stale while it waits with no deadline bound (stalled, starting, or playing on an origin
        too slow to beat the deadline). Every member waiting on one copy hears its last word at
        about the same moment (relays pass it on within a message latency), so without turns
        they all take the rest from the origin at the same instant: the takeover herd that
        drowns a congested origin. The turns are the election's tiers among the neighbours
        (`peer.election`), `stale_copy_tiers` progress timeouts apart: about one member of a
        neighbourhood goes first, its origin pieces are announced and relayed, and that fresh
        word keeps the others waiting. Computed again when the number of neighbours changed: a
        newcomer first waits on its startup segments with one or two neighbours connected, where
        nearly every member is tier 0, and a turn kept from then was 0 for most of a flash crowd
        (simulator seed 323: 8 newcomers took the same stale copy over within 0.09 s)."""
        if segment.stale_turn < 0 or segment.stale_turn_neighbours != len(self.book.peers):
            segment.stale_turn_neighbours = len(self.book.peers)
            segment.stale_turn = self.config.stale_copy_tiers * stale_copy_delay(
                self.local_peer_id,
                segment.seq,
                self.book.peers.keys(),
                self.config.live_tier_growth,
            )
        return segment.stale_turn

    def stale_copy_wait(self, now: float, segment: SegmentState) -> bool:
        """A waiting member's turn to take over a stale copy has not come (`stale_turn`): it
        does not fetch the segment as unheld either (blocked on it, or in its passed election
        turn) once the copy's word leaves the holders."""
        if self.config.stale_copy_tiers <= 0:
            return False
        deadline = self.clock.deadline(segment)
        return deadline is not None and self.copy_progress_until(now, segment, deadline) is not None

    def waits_for_copy(self, now: float, seq: int) -> bool:
        """The member waits for a neighbour's copy of `seq`, or for its turn to take a stale one
        over (`stale_copy_wait`): the player's own safety net must not fetch it then either,
        or every member's net fires at the moment the copy's word goes stale, with no turns."""
        segment = self.book.segments.get(seq)
        return segment is not None and self.stale_copy_wait(now, segment)

    def connect_wait(self, now: float) -> bool:
        """Neighbours are connecting and their wait is not over."""
        return self.connect_wait_until is not None and now < self.connect_wait_until

    def first_links_wait(self, now: float) -> bool:
        """The member's first neighbours are still connecting and their wait is not over: the
        count of connecting neighbours has never reached zero (`links_up`)."""
        return not self.links_up and self.connect_wait(now)
