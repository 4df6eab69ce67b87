"""The peer's pure download/upload scheduler: events in (with `now`), actions out. No I/O.

Download policy, per incomplete segment (deadline = when the playhead reaches its start); the
timing rules for the origin live in `peer.origin_gate`:
- From `deadline - http_margin_s - missing_bytes / http_rate` on (the *fallback point*), every
  missing piece comes from the origin: peer requests still owing those pieces are cancelled (and
  a peer that had been sitting on them is abandoned as slow) and the missing pieces are fetched
  with Range requests, one per contiguous run. The rate is at least the segment's own bitrate;
  a segment that usable neighbours hold and none was asked for yet first gets one round from
  them (`peer_silence_timeout_s`); a new live segment nobody holds waits for the election below;
  while a neighbour's copy of it is still arriving (HAVE_PIECES with new pieces within
  the progress timeout: `origin_progress_timeout_s`, longer when copies have been arriving
  slowly) the takeover waits for that copy (cut-through).
- Before that, pieces are requested from neighbours that announced the segment, in full or in
  part (only the announced pieces): urgent segments (due within `urgent_window_s`)
  earliest-deadline-first, the rest rarest-first; blocks of `request_block_pieces` go to the
  least-loaded eligible peer, so a segment is spread over peers.
- A new live segment that no usable neighbour holds is taken from HTTP after the member's
  election delay (see `peer.election`), even when playback is blocked on it; any other segment
  playback is blocked on with no holder is fetched at once, unless neighbours are still
  connecting (startup: they hold what a newcomer needs; at most `connect_wait_s`); an edge
  seeder (`seeder=True`) takes everything from HTTP.
- Every origin fetch is announced at once (HAVE_PIECES, no pieces yet), then every
  `origin_announce_pieces` pieces as they arrive, and pieces of incomplete segments are served:
  neighbours relay an origin download while it is still running instead of fetching the segment
  a second time. A copy taken from peers is announced the same way (when a neighbour's copy is
  first seen or requested, then every `relay_announce_pieces` pieces), so members several hops
  from the fetcher hear of it within a few message latencies instead of after several whole
  transfers, and do not fetch their own. The complete segment's HAVE goes out at once. Adapters
  send no HAVE_PIECES of a segment to a neighbour that holds it (`neighbour_holds`).
- A peer owing pieces that sends nothing for `peer_silence_timeout_s` is abandoned; a peer that
  sends a piece failing verification is dropped (GOODBYE bad-piece + report).

The entry points for what neighbours announce and ask (HAVE, HAVE_DELTA, HAVE_PIECES, CHOKE,
REQUEST, CANCEL, the upload limits) and the HAVE_PIECES this member sends are in
`peer.scheduler_neighbours`, which `PieceScheduler` mixes in.
"""

from __future__ import annotations

from typing import Any

from swarmcast.peer.deadline_clock import DeadlineClock, Playhead
from swarmcast.peer.download_book import DownloadBook
from swarmcast.peer.download_state import UNASSIGNED, RemotePeer, SegmentState
from swarmcast.peer.origin_gate import EDGE_SEEDER_CAPABILITY, OriginGate
from swarmcast.peer.peer_requests import owed_budget, request_from_peers
from swarmcast.peer.player_loads import (
    DownlinkQueue,
    PlayerLoad,
    downlink_shared_rate,
    mark_link_sharing,
    thin_lead,
    tight_link_budget,
)
from swarmcast.peer.scheduler_actions import (
    AbandonPeer,
    AbandonReason,
    Action,
    DeadlineMissed,
    DecisionHook,
    DropPeer,
    RejectReason,
    SendHave,
)
from swarmcast.peer.scheduler_config import SchedulerConfig
from swarmcast.peer.scheduler_neighbours import MAX_PIECES_PER_SEGMENT, SchedulerNeighbours
from swarmcast.peer.scheduler_stats import SchedulerStats
from swarmcast.peer.scheduler_timers import next_timer, silent_at
from swarmcast.peer.upload_scheduler import UploadScheduler

__all__ = ["EDGE_SEEDER_CAPABILITY", "MAX_PIECES_PER_SEGMENT", "PieceScheduler"]


class PieceScheduler(SchedulerNeighbours):
    """One swarm member's scheduler. Call the event methods, then drain `pop_actions()`; call
    `handle_timer(now)` when `next_timer()` is reached. The event methods for neighbours'
    announcements and requests are in `SchedulerNeighbours` (`peer.scheduler_neighbours`)."""

    def __init__(
        self,
        config: SchedulerConfig,
        local_peer_id: str,
        now: float,
        *,
        seeder: bool = False,
        on_decision: DecisionHook | None = None,
    ) -> None:
        self.config = config
        self.on_decision = on_decision  # optional observer (timeline); never changes policy
        self.local_peer_id = local_peer_id
        self.seeder = seeder
        self.stats = SchedulerStats()
        # The latest segment's bitrate (bits/s): what the measured upload cap compares with.
        self.stream_bitrate_bps: float | None = None
        # The player's own plain-HTTP loads in flight, by seq (`player_load`).
        self.player_loads: dict[int, PlayerLoad] = {}
        self._now = now
        self._actions: list[Action] = []
        self.book = DownloadBook(
            self._actions.append,
            self.stats,
            config.relay_announce_pieces,
            config.origin_announce_pieces,
        )
        self.clock = DeadlineClock(config)
        self.book.promise_s = self.clock.progress_timeout()  # kept current by _schedule
        self.gate = OriginGate(config, self.book, self.clock, on_decision, local_peer_id)
        self.upload = UploadScheduler(
            config, self._actions.append, self.book.local, self.stats, now, self.book.segments
        )

    # --- output ---------------------------------------------------------------------------

    def pop_actions(self) -> list[Action]:
        actions = list(self._actions)
        self._actions.clear()
        return actions

    # --- swarm events ---------------------------------------------------------------------

    def peer_connected(
        self, now: float, peer_id: str, *, capabilities: int = 1, max_pieces_per_request: int = 16
    ) -> None:
        self._advance(now)
        if peer_id in self.book.peers:
            return
        self.book.add_peer(RemotePeer(peer_id, capabilities, max(1, max_pieces_per_request)))
        self._actions.append(SendHave(peer_id, tuple(sorted(self.book.local))))
        self.upload.peer_connected(now, peer_id)
        self._schedule(now)

    def peer_closed(self, now: float, peer_id: str) -> None:
        self._advance(now)
        if self.book.forget_peer(peer_id):
            self.upload.peer_closed(now, peer_id)
            self._schedule(now)

    def set_swarm_size(self, now: float, size: int) -> None:
        """Members of our swarm (from signaling); sizes the live HTTP-first election."""
        self._advance(now)
        self.gate.swarm_size = max(1, size)

    def set_connecting_peers(self, now: float, count: int) -> None:
        """`count` assigned neighbours are still connecting (no HELLO yet). A newcomer's
        startup segments are what its neighbours just played: while they connect, a blocked
        segment nobody holds waits for them up to `connect_wait_s` (from the first report of
        connecting neighbours) instead of every newcomer of a flash crowd pulling its startup
        segments from the origin."""
        self._advance(now)
        self.gate.set_connecting(now, count)
        self._schedule(now)

    # --- segments and playhead ------------------------------------------------------------

    def segment_added(
        self,
        now: float,
        seq: int,
        *,
        size: int,
        piece_size: int,
        start: float,
        duration: float,
        live_edge: bool = False,
    ) -> None:
        """A segment whose integrity record we hold. `start` is its media time on the
        playhead's timeline; `live_edge` marks a segment that just appeared at the live edge."""
        self._advance(now)
        if seq in self.book.segments or seq in self.book.local or size <= 0 or piece_size <= 0:
            return
        count = -(-size // piece_size)
        self.clock.piece_size = piece_size
        if duration > 0:
            self.stream_bitrate_bps = size * 8 / duration
        pieces_false, owners = [False] * count, [UNASSIGNED] * count
        segment = SegmentState(seq, size, piece_size, start, duration, None, pieces_false, owners)
        if live_edge:
            turn = self.gate.http_first_at(now, self.local_peer_id, seq, segment.bitrate)
            self._decided(now, seq, "election-wait", http_first_in_s=turn - now)
            segment.http_first_at = turn
            segment.election_delay = turn - now
        self.book.segments[seq] = segment
        self._schedule(now)

    def segment_removed(self, now: float, seq: int) -> None:
        """The store evicted `seq` (or the window moved past it): stop fetching and serving it."""
        self._advance(now)
        self.book.drop_segment(seq)
        self.book.local.pop(seq, None)
        self.upload.segment_removed(seq)
        self._schedule(now)

    def set_playhead(self, now: float, position: float, playing: bool) -> None:
        """The playhead is at media time `position`; if `playing`, it advances in real time."""
        self._advance(now)
        self.clock.playhead = Playhead(now, position, playing)
        self._schedule(now)

    def player_load(
        self, now: float, seq: int, *, start: float, duration: float, size: int = 0
    ) -> None:
        """The player loads this fragment (media time `start`, about `size` bytes; 0: unknown)
        over plain HTTP itself: its bytes share our downlink and are due before later segments'
        (`peer.player_loads`). Ended by `player_load_ended`."""
        self._advance(now)
        self.player_loads[seq] = PlayerLoad(seq, start, duration, max(0, size), now)
        self._schedule(now)

    def player_load_ended(self, now: float, seq: int) -> None:
        """The player's load of `seq` completed, failed or was aborted."""
        self._advance(now)
        if self.player_loads.pop(seq, None) is not None:
            self._schedule(now)

    # --- download results -----------------------------------------------------------------

    def piece_received(
        self, now: float, peer_id: str, request_id: int, seq: int, index: int, valid: bool
    ) -> None:
        """A PIECE from a peer, after the adapter checked it against the integrity record."""
        self._advance(now)
        peer = self.book.peers.get(peer_id)
        if not valid:
            self.stats.bad_pieces += 1
            if peer is not None:
                self.book.forget_peer(peer_id)
                self.upload.peer_closed(now, peer_id)
                self._actions.append(DropPeer(peer_id, "bad_piece"))
            self._schedule(now)
            return
        segment = self.book.segments.get(seq)
        if peer is not None:
            request = peer.requests.get(request_id)
            if request is not None and request.seq == seq and index in request.pending:
                peer.piece_owed_arrived(now, request.sent_at, self.config.peer_pace_ewma_weight)
                request.pending.discard(index)
                if not request.pending:
                    self.book.remove_request(request)
            peer.last_piece_at = now
        if segment is not None and 0 <= index < segment.piece_count:
            self.stats.bytes_from_peers += segment.piece_bytes(index)
            segment.peer_bytes += segment.piece_bytes(index)
            self.book.store_piece(segment, index)
        self._schedule(now)

    def request_rejected(
        self, now: float, peer_id: str, request_id: int, reason: RejectReason
    ) -> None:
        self._advance(now)
        peer = self.book.peers.get(peer_id)
        request = self.book.requests.get(request_id)
        if peer is None or request is None or request.peer_id != peer_id:
            return
        self.book.release_request(request)
        if reason == "choked":
            peer.choking_us = True
        elif reason == "busy":
            peer.cooldown_until = now + self.config.busy_backoff_s
        else:  # not_have, bad_request: the announcement was wrong or stale
            peer.haves.discard(request.seq)
        self._schedule(now)

    def http_piece_received(
        self, now: float, fetch_id: int, seq: int, index: int, valid: bool
    ) -> None:
        """A piece of an HTTP response, checked against the integrity record."""
        self._advance(now)
        fetch = self.book.fetches.get(fetch_id)
        if not valid:
            self.stats.bad_pieces += 1
            if fetch is not None:
                self.http_failed(now, fetch_id)
            return
        segment = self.book.segments.get(seq)
        if segment is not None and 0 <= index < segment.piece_count:
            self.stats.bytes_from_http += segment.piece_bytes(index)
            self.book.store_piece(segment, index, from_origin=True)
        elif fetch is not None and fetch.seq == seq and index in fetch.pending:
            # The segment completed from other sources meanwhile: origin load all the same.
            self.stats.bytes_from_http += fetch.piece_bytes(index)
            self.stats.duplicate_bytes += fetch.piece_bytes(index)
        if fetch is not None:
            fetch.pending.discard(index)
            if not fetch.pending:
                self.book.fetches.pop(fetch_id, None)
                self.clock.http_fetch_done(fetch.size, now - fetch.sent_at, now)
        self._schedule(now)

    def http_failed(self, now: float, fetch_id: int) -> None:
        """The fetch failed (network error, bad status, bad piece): retry after a pause."""
        self._advance(now)
        if fetch_id not in self.book.fetches:
            return
        segment = self.book.fail_fetch(fetch_id)
        if segment is not None:
            segment.http_retry_at = now + self.config.http_retry_s
        self._schedule(now)

    # --- time -----------------------------------------------------------------------------

    def _advance(self, now: float) -> None:
        """Every event first lets the upload side catch up: under a rate cap, queued pieces
        that became sendable since the last pump go out now. `next_timer` only reports times
        after `now`, so a piece that came due between two events (bucket refilled meanwhile)
        would otherwise wait for an unrelated timer: a capped seeder went silent to all its
        neighbours for seconds (bench/results/nat/README.md, session 11)."""
        self._now = now
        self.upload.catch_up(now)

    def next_timer(self) -> float | None:
        """The next time at which something changes without an event (None: never)."""
        return next_timer(self._now, self.book, self.clock, self.gate, self.upload, self.config)

    def handle_timer(self, now: float) -> None:
        self._now = now
        for peer in list(self.book.peers_by_id()):
            if peer.requests and now >= silent_at(peer, self.config.peer_silence_timeout_s):
                self._abandon(now, peer, "silent")
        self.upload.handle_timer(now)
        self._schedule(now)

    @property
    def swarm_size(self) -> int:
        return self.gate.swarm_size

    def complete_seqs(self) -> list[int]:
        """Complete, verified segments we can serve (what HAVE announces)."""
        return sorted(self.book.local)

    def snapshot(self) -> dict[str, Any]:
        """Stats plus a little state, for the CLI's stats JSON."""
        return {
            **self.stats.to_json(),
            "complete_segments": len(self.book.local),
            "peers": len(self.book.peers),
            "http_rate_estimate": round(self.clock.http_rate),
        }

    # --- internals: planning --------------------------------------------------------------

    def _schedule(self, now: float) -> None:
        """Re-plan every incomplete segment; runs after every event and timer."""
        self.clock.update_slow_link(now)
        self.clock.update_head(now, self.book.segments.values())
        self._check_deadlines(now)
        self.book.promise_s = self.clock.progress_timeout()
        # (segment, deadline, usable holders), holders computed once per pass
        assignable: list[tuple[SegmentState, float, list[RemotePeer]]] = []
        link_budget = tight_link_budget(self.clock, self.config, self.book.segments.values())
        shared_rate = downlink_shared_rate(self.clock, self.config)
        load_bitrate = (self.stream_bitrate_bps or 0.0) / 8  # a player load's size when not known
        segments, loads_in_flight = self.book.segments.values(), self.player_loads.values()
        mark_link_sharing(segments, loads_in_flight, now, self.clock, self.config, load_bitrate)
        # What is due before each segment (deadline order): see `peer.player_loads`.
        earlier = DownlinkQueue(now, shared_rate, self.config.http_margin_s)
        share = self.config.player_loads_share_link  # the player's loads in flight, by seq
        loads = sorted(self.player_loads.values(), key=lambda load: load.seq) if share else []
        for seq in sorted(self.book.segments):
            segment = self.book.segments[seq]
            while loads and loads[0].seq <= seq:
                load = loads.pop(0)
                earlier.add_load(
                    load, self.clock.deadline_of(load), self.clock.http_rate, load_bitrate
                )
            deadline = self.clock.deadline(segment)
            if deadline is None and not self.seeder:
                continue
            late_before = earlier.late
            head = earlier.missing == 0  # nothing due before it is missing
            link_full = late_before or (link_budget is not None and earlier.missing >= link_budget)
            missing = segment.missing_bytes()
            passed = deadline is not None and deadline + self.config.stall_report_grace_s <= now
            if passed and not self.clock.waiting_on(segment):
                missing = 0  # played or skipped (its bytes came some other way): holds nothing
            earlier.add(missing, deadline)
            if self.seeder or deadline is None:
                why = "seeder" if self.seeder else "no-deadline"
                self._fetch_http(now, segment, take_over=False, reason=why)
                continue
            if now >= self.gate.takeover_at(now, segment, deadline):
                if late_before and not self.clock.waiting_on(segment):
                    continue  # earliest deadline first: see `new_fetch_share_x`
                early = now < self.clock.fallback_at(segment, deadline)
                race = self.gate.stalled_race_at(segment)
                why = "pace-takeover" if early else "fallback-takeover"
                if race is not None and now >= race:
                    why = "race-takeover"
                self._fetch_http(now, segment, take_over=True, reason=why)
                continue
            if head and thin_lead(self.clock, self.config, segment, now, deadline):
                self._fetch_http(now, segment, take_over=False, reason="thin-lead")
                continue
            holders = self.book.usable_holders(now, segment.seq)
            if holders and late_before and self._downlink_first(segment):
                continue  # our own downlink is the bottleneck: see `slow_link_holds_peer_requests`
            if holders:
                if self.config.relay_announce_pieces > 0 and segment.announced_count < 0:
                    segment.announce_pending = True  # a copy is coming: tell ours it is
                if deadline - now <= self.config.prefetch_horizon_s:
                    assignable.append((segment, deadline, holders))
            elif link_full and not self.clock.waiting_on(segment):
                continue  # a tight link is busy with earlier segments: this one's turn waits
            elif head and self._catch_up(now, segment):
                self._fetch_http(now, segment, take_over=False, reason="catch-up")
            elif self.gate.may_fetch_unheld(now, segment):
                if self.gate.blocked_election(now, self.local_peer_id, segment):
                    continue  # neighbours are as blocked as we are: one of them goes first
                turn = segment.http_first_at is not None and now >= segment.http_first_at
                why = "election-turn" if turn else "blocked-no-holder"
                self._fetch_http(now, segment, take_over=False, reason=why)
        window = self.config.urgent_window_s
        urgent = [item for item in assignable if item[1] - now <= window]
        background = [item for item in assignable if item[1] - now > window]
        urgent.sort(key=lambda item: (item[1], item[0].seq))
        background.sort(key=lambda item: (len(item[2]), item[1], item[0].seq))
        budget = owed_budget(self.book, self.config, self.clock.slow_link, self.clock.http_rate)
        spread = self.local_peer_id if self.config.spread_single_holder else None
        for segment, deadline, holders in urgent + background:
            spread_as = spread if deadline - now > window else None  # never an urgent segment
            request_from_peers(
                self.book, self.config, now, segment, holders, self.on_decision, budget, spread_as
            )
        # The requests just sent share the link too: for the timers.
        mark_link_sharing(segments, loads_in_flight, now, self.clock, self.config, load_bitrate)
        self._announce_partial(now)

    def _catch_up(self, now: float, segment: SegmentState) -> bool:
        """A playing member's next segment that no neighbour holds, published before it learned
        of it (not at the live edge: no election), comes from the origin at once when nothing
        due before it is missing (`catch_up_unheld`)."""
        return (
            self.config.catch_up_unheld
            and segment.http_first_at is None
            and self.clock.playing
            and not self.gate.connect_wait(now)
        )

    def _downlink_first(self, segment: SegmentState) -> bool:
        """New peer requests for this later segment wait for earlier ones on a link slower
        than the origin (`slow_link_holds_peer_requests`); never what playback waits on."""
        hold = self.config.slow_link_holds_peer_requests and self.clock.slow_link
        return hold and not self.clock.waiting_on(segment)

    def _fetch_http(
        self, now: float, segment: SegmentState, *, take_over: bool, reason: str
    ) -> None:
        """Fetch the segment's missing pieces from the origin. With `take_over`, pieces still
        owed by peers are cancelled there and fetched too (the fallback point was reached)."""
        if now < segment.http_retry_at or (segment.free_count <= 0 and segment.peer_owed <= 0):
            return  # everything missing is on its way from the origin already
        if take_over and segment.peer_owed > 0:
            for request_id in segment.owing_request_ids():
                request = self.book.requests.get(request_id)
                if request is None:  # cancelled with its peer, abandoned just above
                    continue
                peer = self.book.peers[request.peer_id]
                self.book.cancel_request(request)
                # A pace takeover judged this segment only: its other requests may be on time.
                slow = now - request.sent_at >= self.config.peer_silence_timeout_s
                if slow and reason != "pace-takeover":
                    self._abandon(now, peer, "slow")
        index = 0
        while (run := segment.free_run(index, segment.piece_count)) is not None:
            first, index = run
            self.book.open_fetch(now, segment, first, index)
            self._decided(now, segment.seq, reason, first_piece=first, piece_count=index - first)

    # --- internals: peers and deadlines --------------------------------------------------

    def _abandon(self, now: float, peer: RemotePeer, reason: AbandonReason) -> None:
        for request in sorted(peer.requests.values(), key=lambda r: r.request_id):
            self.book.cancel_request(request)
        if peer.cooldown_until <= now:
            self.stats.peers_abandoned += 1
            self._actions.append(AbandonPeer(peer.peer_id, reason))
            self._decided(now, -1, "abandon-peer", peer=peer.peer_id, reason=reason)
        peer.cooldown_until = now + self.config.peer_cooldown_s

    def _decided(self, now: float, seq: int, kind: str, **detail: Any) -> None:
        if self.on_decision is not None:
            self.on_decision(now, seq, kind, detail)

    def _check_deadlines(self, now: float) -> None:
        """Count stalls, and drop segments the playhead has left behind."""
        playhead = self.clock.playhead
        if playhead is None:
            return
        current = playhead.position_at(now)
        for seq in sorted(self.book.segments):
            segment = self.book.segments[seq]
            if segment.start + segment.duration <= current:
                self.book.drop_segment(seq)
                continue
            deadline = self.clock.deadline(segment)
            overdue = playhead.playing and deadline is not None and now >= deadline
            if overdue and not segment.missed:
                segment.missed = True
                self.stats.missed_deadlines += 1
                self._actions.append(DeadlineMissed(seq))
