"""The viewer side of the simulated world: arrival, swarm session, playlist polls, the fragment
loader and the player, as the adapters do it around the scheduler.

- shim (hls.js + player-shim): hls.js loads the playlist, starts `live_sync_count` target
  durations behind the live edge and loads fragments one after another. A fragment asked for
  before the swarm session is up waits for it up to `join_hold_s` after arrival, then goes over
  plain HTTP; the last `pre_join_segments` of those are
  handed to the swarm store when the session starts. Neighbours assigned by signaling count as
  connecting until their first HAVE arrives (the scheduler's startup connect wait).
  Through the engine, a fragment not delivered by its playback deadline + `deadline_grace_s`
  goes over plain HTTP too (the loader's safety net), unless the engine's own delivery is
  underway (up to `safety_extensions` more grace periods: its own origin fetch or pieces
  arriving, a neighbour's copy announced, neighbours still connecting before the first frame);
  the bytes are then offered to the scheduler. hls.js reloads the playlist once per target
  duration (half that when unchanged). The election's swarm size comes from signaling
  (`shim_swarm_size`; neighbours + 1 before swarm_size_poll.ts).
- peer (the Python headless peer): joins, then polls every half target duration; the player
  plays what the scheduler completed; the swarm size comes from signaling.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from swarmcast.peer import scheduler_actions as act
from swarmcast.peer.operator_control import slots_for_budget
from swarmcast.peer.piece_scheduler import PieceScheduler
from swarmcast.peer.scheduler_config import SchedulerConfig

if TYPE_CHECKING:
    from swarmcast.bench.sim.origin import Transfer
    from swarmcast.bench.sim.swarm import SimNode, Swarm

HLS_RETRY_S = 1.0
"""hls.js retries a failed fragment load after about this long (fragLoadPolicy)."""


RECENT_JOIN_WINDOW_S = 4.0
"""The join ack's `recent_joins` window (signaling/config.py `recent_join_window_s`)."""
CROWD_RECENT_JOINS = 3
"""Recent joins that make a crowd, with at least half the swarm (startup_join.ts)."""


class ViewerLogic:
    def __init__(self, swarm: Swarm) -> None:
        self.swarm = swarm
        self.cfg = swarm.cfg
        self.q = swarm.q
        self.shim = swarm.cfg.adapter in ("shim", "cdn")  # hls.js loads the fragments
        self.p2p = swarm.cfg.adapter != "cdn"
        self.arrivals: list[float] = []

    # --- arrival and session --------------------------------------------------------------

    def arrive(self, node: SimNode) -> None:
        cfg, rng, now = self.cfg, self.swarm.rng, self.q.now
        if self.shim and self.p2p and cfg.shim_startup_plan:
            self.arrivals.append(now)
            recent = sum(1 for t in self.arrivals[:-1] if now - t <= RECENT_JOIN_WINDOW_S)
            others = len(self.swarm.view.peers)
            node.startup_http = not (recent >= CROWD_RECENT_JOINS and 2 * recent >= others)
        session_at = now + rng.uniform(*cfg.join_delay_s)
        if self.p2p:
            self.q.at(session_at, self._session, node)
        if self.shim:  # manifest + level playlist: two round trips
            self.q.at(now + 2 * cfg.origin_latency_s, self._poll, node)
        else:  # the Python peer joins first, then reads the playlist
            self.q.at(session_at + cfg.origin_latency_s, self._poll, node)

    def _session(self, node: SimNode) -> None:
        now = self.q.now
        if self.swarm.trace is not None:  # the scheduler's own reasons for origin fetches
            reasons = node.fetch_reasons

            def decided(at: float, seq: int, kind: str, detail: dict[str, Any]) -> None:
                if "piece_count" in detail and kind != "peer-request":
                    reasons[seq] = kind

            node.sched = PieceScheduler(
                self._sched_config(node), node.peer_id, now, on_decision=decided
            )
        else:
            node.sched = PieceScheduler(self._sched_config(node), node.peer_id, now)
        if node.download_rate is not None:  # swarm_membership.ts: the meter outlives the join
            node.sched.clock.seed_http_rate(node.download_rate, node.download_rate_at)
        self.swarm.join_swarm(node)  # sets the swarm size (neighbours_changed)
        if self.cfg.uplink_measured_after_s is not None:
            self.q.at(now + self.cfg.uplink_measured_after_s, self._uplink_measured, node)
        if not self.shim or self.cfg.shim_swarm_size == "signaling":
            if self.shim:  # the size as signaling knows it at the join, then polled
                node.sched.set_swarm_size(now, len(self.swarm.view.peers))
            self.q.at(now + self.cfg.swarm_size_poll_s, self._swarm_size_poll, node)
        player = node.player
        if player.start_seq is not None:
            node.sched.set_playhead(now, player.position_at(now), player.playing)
        self._add_known(node)
        for seq in node.pre_join:  # hls.js's pre-join fragments go to the swarm store
            self._offer(node, seq)
        node.pre_join.clear()
        for seq in sorted(node.player_loads):  # swarm_membership.ts: loads still in flight
            self._tell_player_load(node, seq, True)
        self._load_next(node)
        self.swarm.drain(node)

    def _sched_config(self, node: SimNode) -> SchedulerConfig:
        """The swarm's scheduler config, with this viewer's uplink as its upload cap when the
        run says schedulers know it (`uplink_known_share`)."""
        share = self.cfg.uplink_known_share
        if share <= 0:
            return self.swarm.sched_config
        rate = node.up_rate * share
        config = self.swarm.sched_config
        slots = slots_for_budget(rate * 8, config.upload_slots)  # the product's slot rule
        return dataclasses.replace(config, upload_rate_bytes_per_s=rate, upload_slots=slots)

    def _uplink_measured(self, node: SimNode) -> None:
        if node.sched is not None:
            node.sched.set_measured_uplink(self.q.now, node.up_rate)
            self.swarm.drain(node)

    def _swarm_size_poll(self, node: SimNode) -> None:
        if node.sched is not None:
            node.sched.set_swarm_size(self.q.now, len(self.swarm.view.peers))
            self.swarm.drain(node)
        self.q.at(self.q.now + self.cfg.swarm_size_poll_s, self._swarm_size_poll, node)

    def neighbours_changed(self, node: SimNode) -> None:
        """Signaling assigned or removed a neighbour. With `shim_swarm_size=neighbours` the
        shim's swarm size is its neighbour map + 1 (assigned links count at once); otherwise
        (and the Python peer) neighbours + 1 until signaling's count arrives."""
        sched = node.sched
        if sched is None:
            return
        by_neighbours = self.shim and self.cfg.shim_swarm_size == "neighbours"
        if by_neighbours or sched.swarm_size <= 1:
            sched.set_swarm_size(self.q.now, len(node.assigned) + 1)
        connecting = getattr(sched, "set_connecting_peers", None)
        if connecting is not None:  # schedulers before 275a273 have no connect wait
            connecting(self.q.now, len(node.assigned - node.announced))

    # --- playlist -------------------------------------------------------------------------

    def _poll(self, node: SimNode) -> None:
        cfg, now = self.cfg, self.q.now
        newest = self.swarm.newest_at(now - cfg.origin_latency_s / 2)
        oldest = max(node.newest + 1, newest - cfg.playlist_window + 1)
        fresh = newest > node.newest
        for seq in range(node.newest + 1, newest + 1):
            node.learned_at.setdefault(seq, now)
        for seq in range(oldest, newest + 1):
            node.known.add(seq)
        node.newest = max(node.newest, newest)
        player = node.player
        if player.start_seq is None:
            start = node.newest + 1 - round(cfg.live_sync_count)
            player.anchor(now, start)
            node.want = start
            if node.sched is not None:
                node.sched.set_playhead(now, player.position, False)
        for seq in [s for s in node.known if s <= node.newest - cfg.store_segments]:
            node.known.discard(seq)
            if seq in node.added and node.sched is not None:
                node.added.discard(seq)
                node.sched.segment_removed(now, seq)
        self._add_known(node)
        self._maybe_catch_up(node)
        self._load_next(node)
        self.swarm.drain(node)
        period = (cfg.segment_s if fresh else cfg.segment_s / 2) if self.shim else cfg.segment_s / 2
        if cfg.blocking_reload:  # held until the next segment is out
            period = max(0.0, self.swarm.published_at(node.newest + 1) - now) + cfg.origin_latency_s
        self.q.at(
            now + period + self.swarm.rng.uniform(0.0, cfg.playlist_jitter_s), self._poll, node
        )

    def _add_known(self, node: SimNode) -> None:
        """Tell the scheduler about every known segment from the playhead on (the shim's
        levelUpdated does this on every playlist refresh, the Python peer on every poll)."""
        sched = node.sched
        if sched is None or node.player.start_seq is None:
            return
        first = node.player.current_seq(self.q.now)
        for seq in sorted(node.known):
            if seq >= first:
                self._ensure_added(node, seq)

    def _ensure_added(self, node: SimNode, seq: int) -> None:
        if seq in node.added or node.sched is None or seq in node.player_fetching:
            return
        node.added.add(seq)
        d = self.cfg.segment_s
        node.sched.segment_added(
            self.q.now,
            seq,
            size=self.swarm.segment_size(seq),
            piece_size=self.cfg.piece_size,
            start=seq * d,
            duration=d,
            live_edge=True,
        )

    def _maybe_catch_up(self, node: SimNode) -> None:
        """hls.js liveMaxLatencyDuration: a stalled player far behind jumps to the live sync
        position."""
        limit = self.cfg.catchup_latency_s
        player, now = node.player, self.q.now
        if limit is None or not player.started or player.playing:
            return
        if (node.newest + 1) * self.cfg.segment_s - player.position_at(now) <= limit:
            return
        target = node.newest + 1 - round(self.cfg.live_sync_count)
        player.jump(now, target)
        if node.sched is not None:
            node.sched.set_playhead(now, player.position, False)
        node.want, node.loading = target, False
        node.load_generation += 1
        self._trace(node, "jump", target)
        self._update_player(node)

    # --- loader ---------------------------------------------------------------------------

    def _load_next(self, node: SimNode) -> None:
        """hls.js loads one fragment at a time, in order (the peer adapter has no loader:
        whatever the scheduler completes is playable)."""
        if not self.shim:
            return
        while node.want is not None and not node.loading and node.want in node.known:
            seq = node.want
            if seq in node.delivered:
                node.want = seq + 1
                continue
            hold_until = node.arrives_at + self.cfg.join_hold_s
            startup_http = node.startup_http and not node.player.started
            if self.cfg.media_slow_needs_holder and node.media_slow and not node.player.started:
                sched = node.sched
                held = sched is not None and any(seq in p.haves for p in sched.book.peers.values())
                startup_http = not held
            if startup_http:  # the hedge before the join, then the origin-fast plan
                node.loading = True
                node.load_generation += 1
                self._plain_http(node, seq, "startup")
                return
            if node.sched is None and self.p2p and self.q.now < hold_until:
                # The engine holds hls.js's first loads while the swarm session comes up.
                self.q.at(hold_until, self._load_next, node)
                return
            node.loading = True
            node.load_generation += 1
            node.safety_extensions = 0
            if node.sched is None:
                self._plain_http(node, seq, "pre_session" if self.p2p else "cdn")
                return
            self._ensure_added(node, seq)
            if seq in node.complete:
                self._deliver(node, seq)
                continue
            player = node.player
            if player.playing:
                until = max(0.0, seq * self.cfg.segment_s - player.position_at(self.q.now))
            else:
                until = self.swarm.sched_config.startup_deadline_s
            when = self.q.now + until + self.cfg.deadline_grace_s
            self.q.at(when, self._safety_net, node, seq, node.load_generation)
            return

    def _safety_net(self, node: SimNode, seq: int, generation: int) -> None:
        if generation != node.load_generation or seq in node.delivered:
            return
        now, grace = self.q.now, self.cfg.deadline_grace_s
        window = grace
        if self.cfg.safety_net_sees_copies and node.sched is not None:
            # stretched as the scheduler's progress timeout is (swarm_session.ts)
            base = node.sched.config.origin_progress_timeout_s
            if base > 0:
                window = grace * max(1.0, node.sched.clock.progress_timeout() / base)
        underway = node.sched_fetches[seq] > 0 or now - node.last_piece_at.get(seq, -1e9) < window
        if self.cfg.safety_net_sees_copies and node.sched is not None and not underway:
            # swarm_session.ts deliveryUnderway: a neighbour's copy is arriving, or (startup)
            # neighbours are still connecting and the scheduler waits for them.
            sched = node.sched
            underway = (
                now - node.partial_at.get(seq, -1e9) < window
                or sched.gate.waits_for_copy(now, seq)
                or (not sched.clock.playing and sched.gate.connect_wait(now))
            )
        if underway and node.safety_extensions < self.cfg.safety_extensions:
            node.safety_extensions += 1
            self.q.at(now + grace, self._safety_net, node, seq, generation)
            return
        if self.cfg.safety_net_drops_copy and node.sched is not None:
            # swarm_session.ts playerFetches: no origin copy of the scheduler's beside the player's
            node.player_fetching.add(seq)
            if seq in node.added and seq not in node.complete:
                node.added.discard(seq)
                node.sched.segment_removed(now, seq)
        self._plain_http(node, seq, "safety_net")

    def _plain_http(self, node: SimNode, seq: int, kind: str) -> None:
        """hls.js's own loader fetches the whole fragment (outside the scheduler)."""
        size = self.swarm.segment_size(seq)
        generation = node.load_generation
        self._trace(node, f"http_{kind}", seq)

        started_at = self.q.now
        node.player_loads.add(seq)
        self._tell_player_load(node, seq, True)

        def on_mark(transfer: Transfer, index: int) -> None:
            self.swarm.origin_done(node, kind, seq, size)
            node.player_loads.discard(seq)
            self._tell_player_load(node, seq, False)
            slow = self.q.now - started_at > self.cfg.slow_media_share * self.cfg.segment_s
            if node.startup_http and slow:
                node.startup_http = False  # media-slow: the rest of startup from the swarm
                node.media_slow = True
            if self.cfg.shim_startup_plan and self.q.now > started_at:
                # p2p_engine.ts httpTransferred: the download meter seeds the scheduler's rate
                node.download_rate = size / (self.q.now - started_at)
                node.download_rate_at = self.q.now
                if node.sched is not None:
                    node.sched.clock.seed_http_rate(node.download_rate, node.download_rate_at)
            if node.sched is None and self.cfg.pre_join_segments > 0:
                node.pre_join = [*node.pre_join, seq][-self.cfg.pre_join_segments :]
            self._offer(node, seq)
            if generation == node.load_generation:
                self._deliver(node, seq)
            self.swarm.drain(node)

        def on_fail(transfer: Transfer) -> None:
            node.player_loads.discard(seq)
            self._tell_player_load(node, seq, False)
            if generation == node.load_generation:
                self.q.at(self.q.now + HLS_RETRY_S, self._retry, node, seq, kind, generation)

        self.swarm.origin_request(node, seq, size, [size], on_mark, on_fail)

    def _tell_player_load(self, node: SimNode, seq: int, in_flight: bool) -> None:
        """hls_loader.ts `playerLoad`: the session hears of the player's own loads (size not
        known to it: the scheduler estimates it from the stream's bitrate)."""
        sched = node.sched
        if sched is None or not hasattr(sched, "player_load"):  # schedulers before it
            return
        if in_flight:
            duration = self.cfg.segment_s
            sched.player_load(self.q.now, seq, start=seq * duration, duration=duration)
        else:
            sched.player_load_ended(self.q.now, seq)
        self.swarm.drain(node)

    def _retry(self, node: SimNode, seq: int, kind: str, generation: int) -> None:
        if generation == node.load_generation and seq not in node.delivered:
            self._plain_http(node, seq, kind)

    def _offer(self, node: SimNode, seq: int) -> None:
        """offerHttp: with a session, bytes hls.js fetched itself become seedable."""
        sched = node.sched
        node.player_fetching.discard(seq)
        if sched is None or seq in node.complete:
            return
        if (seq + 1) * self.cfg.segment_s <= node.player.position_at(self.q.now):
            return
        self._ensure_added(node, seq)
        segment = sched.book.segments.get(seq)
        if segment is None:
            return
        for index in range(segment.piece_count):
            if not segment.have[index]:
                sched.http_piece_received(self.q.now, 0, seq, index, True)

    # --- completion and playback ----------------------------------------------------------

    def segment_complete(self, node: SimNode, seq: int) -> None:
        """The scheduler completed `seq` (AnnounceHave)."""
        node.complete.add(seq)
        if not self.shim or (node.want == seq and node.loading):
            self._deliver(node, seq)

    def _deliver(self, node: SimNode, seq: int) -> None:
        if seq in node.delivered:
            return
        node.delivered.add(seq)
        if node.want == seq:
            node.want, node.loading = seq + 1, False
            node.load_generation += 1
        self._update_player(node)
        self._load_next(node)

    def _update_player(self, node: SimNode) -> None:
        player, now = node.player, self.q.now
        if player.start_seq is None or player.playing:
            return
        if player.current_seq(now) not in node.delivered:
            return
        delay = self.cfg.first_frame_delay_s if self.shim else 0.0
        if not player.started and delay > 0:
            if player.ready_at is None:
                player.ready_at = now
                self.q.at(now + delay, self._update_player, node)
            if now < player.ready_at + delay:
                return
        player.play(now)
        if node.sched is not None:
            node.sched.set_playhead(now, player.position_at(now), True)
        self.q.at(player.next_boundary(now), self._boundary, node, player.generation)

    def _boundary(self, node: SimNode, generation: int) -> None:
        player, now = node.player, self.q.now
        if generation != player.generation or not player.playing:
            return
        if player.current_seq(now) in node.delivered:
            self.q.at(player.next_boundary(now), self._boundary, node, generation)
            return
        player.stall(now)
        self._trace(node, "stall", player.current_seq(now))
        if node.sched is not None:
            node.sched.set_playhead(now, player.position, False)
            self.swarm.drain(node)

    # --- trace ----------------------------------------------------------------------------

    def _trace(self, node: SimNode, event: str, seq: int, **extra: Any) -> None:
        if self.swarm.trace is not None:
            self.swarm.trace.append(
                {"t": round(self.q.now, 3), "node": node.index, "event": event, "seq": seq, **extra}
            )

    def trace_fetch(self, node: SimNode, a: act.FetchHttp) -> None:
        """Why the scheduler went to the origin, from its state right after the decision."""
        sched = node.sched
        assert sched is not None
        now = self.q.now
        segment = sched.book.segments.get(a.seq)
        holders = sum(1 for p in sched.book.peers.values() if p.holds_any(a.seq))
        reason = "other"
        info: dict[str, Any] = {}
        if segment is not None:
            deadline = sched.clock.deadline(segment)
            if deadline is not None:
                fallback = sched.clock.fallback_at(segment, deadline)
                info["due_in"] = round(deadline - now, 2)
                info["fallback_in"] = round(fallback - now, 2)
                if now >= fallback:
                    reason = "fallback"
                elif sched.clock.waiting_on(segment) and holders == 0:
                    reason = "blocked_no_holder"
            if reason == "other" and segment.http_first_at is not None and holders == 0:
                reason = "election"
            info["elected_after"] = (
                None if segment.http_first_at is None else round(segment.http_first_at - now, 2)
            )
        reason = node.fetch_reasons.pop(a.seq, reason)  # the scheduler's word when it gives one
        self._trace(
            node,
            "fetch",
            a.seq,
            pieces=a.piece_count,
            reason=reason,
            holders=holders,
            swarm_holders=self.swarm.holders[a.seq],
            neighbours=len(node.neighbours),
            playing=node.player.playing,
            rate=round(sched.clock.http_rate),
            requests_outstanding=self.swarm.http_outstanding,
            **info,
        )
