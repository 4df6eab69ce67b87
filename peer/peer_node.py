"""The Python peer: the asyncio adapter around the pure `PieceScheduler`. It feeds the scheduler
events (playlist, playhead, signaling, data channels, HTTP results) with `now = loop.time()`,
and carries out its actions. Viewer (simulated playhead) or edge seeder (`seed=True`).
Signaling, neighbours and the operator's control live in `peer.swarm_membership`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import Counter
from collections.abc import Coroutine
from typing import Any

from swarmcast.peer import scheduler_actions as act
from swarmcast.peer.aiortc_timing import fit_to_transport
from swarmcast.peer.beacons import beacon_loop, send_beacon
from swarmcast.peer.event_timeline import EventTimeline, NodeTimeline
from swarmcast.peer.live_feed import LiveFeed, NewSegment
from swarmcast.peer.measured_cap import MeasuredCapConfig, MeasuredUploadCap
from swarmcast.peer.neighbour_guard import NeighbourGuard, Verdict
from swarmcast.peer.node_stats import node_stats
from swarmcast.peer.operator_control import OperatorControl, UploadLimits
from swarmcast.peer.origin_client import OriginClient, wait_for_stream
from swarmcast.peer.origin_fetch import fetch_pieces, verify_into_store
from swarmcast.peer.peer_config import PeerConfig
from swarmcast.peer.peer_link import PeerLink
from swarmcast.peer.piece_scheduler import PieceScheduler
from swarmcast.peer.queue_delay import QueueDelay
from swarmcast.peer.segment_store import CompleteView, SegmentStore
from swarmcast.peer.signaling_client import SignalingClient, SignalingRefused
from swarmcast.peer.sim_playhead import SimulatedPlayhead
from swarmcast.peer.swarm_membership import SwarmMembership
from swarmcast.peer.uplink_meter import UplinkMeter
from swarmcast.peer.wire_translate import (
    broadcast_frame,
    feed_control_frame,
    frame_for,
    frame_for_neighbour,
    superseded_announcements,
)
from swarmcast.protocol import wire
from swarmcast.protocol.integrity import DEFAULT_PIECE_SIZE

log = logging.getLogger(__name__)

UNREACHABLE_REASONS = ("connect timeout", "connection failed")


class PeerNode(SwarmMembership):
    """Start with `await start()`, stop with `await stop()`; `stats()` any time after start."""

    def __init__(self, config: PeerConfig) -> None:
        self.config = config
        self.loop = asyncio.get_running_loop()
        self.started_at = self.loop.time()
        # Every neighbour a link was made for -> seconds from start until it opened (None: never).
        self.link_log: dict[str, float | None] = {}
        self.pair_log: dict[str, str] = {}  # neighbour -> its link's candidate-pair types
        self.signal_log: dict[str, set[str]] = {}  # neighbour -> addresses its signals showed
        self.origin = OriginClient(config.origin_url, config.stream, config.http_timeout_s)
        self.links: dict[str, PeerLink] = {}
        self.peer_id = ""
        self.rendition = config.rendition or ""
        self.dropped_peers: list[str] = []
        self.uploaded_bytes_closed = 0
        self.frames_closed: dict[str, Counter[str]] = {"sent": Counter(), "received": Counter()}
        self.superseded_announcements = 0  # AnnouncePieces not sent (a later one replaced it)
        self.announcements_to_holders = 0  # HAVE_PIECES not sent to a neighbour holding seq
        self._ice_servers = config.ice_servers
        self._relay_only = False  # set by each join ack (a relay-only stream)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._stopping = False
        self._piece_size = DEFAULT_PIECE_SIZE
        self._announced: set[str] = set()  # neighbours whose first HAVE arrived
        self._highest_known = -1
        self._joined = self._running = False
        self._mode_lock = asyncio.Lock()
        self.guard = NeighbourGuard(config.neighbour_guard)
        sched_cfg = config.scheduler
        self.operator = OperatorControl(
            config.viewer_key or secrets.token_hex(12),
            page_allows=config.p2p,
            rate_bytes_per_s=sched_cfg.upload_rate_bytes_per_s,
            slots=sched_cfg.upload_slots,
            budget_bps=config.upload_budget_bps,
        )
        self.uplink = UplinkMeter()
        share = config.upload_share_of_measured
        self.upload_cap = MeasuredUploadCap(MeasuredCapConfig(share=share))
        self.queue_delay = QueueDelay()
        self._round_trips = {}
        self._applied_limits: UploadLimits | None = None
        capacity = config.timeline_capacity
        self.tl = NodeTimeline(EventTimeline(capacity) if capacity else None)
        self.tl.attach(self)
        # Set in start():
        self.store: SegmentStore
        self.sched: PieceScheduler
        self.feed: LiveFeed
        self.signaling: SignalingClient
        self.playhead: SimulatedPlayhead | None = None

    def now(self) -> float:
        return self.loop.time()

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        cfg = self.config
        needed = 0.0 if cfg.seed else cfg.live_delay_segments
        key, self.rendition = await wait_for_stream(
            self.origin, self.rendition, needed, cfg.start_timeout_s
        )
        self.store = SegmentStore(key, cfg.stream, self.rendition, cfg.max_store_segments)
        self.signaling = await self._connect()
        hook = self.tl.decision if self.tl.timeline is not None else None
        self.sched = PieceScheduler(
            fit_to_transport(cfg.scheduler),
            self.operator.viewer_key,
            self.now(),
            seeder=cfg.seed,
            on_decision=hook,
        )  # the local id becomes the join ack's peer id
        self.sched.set_swarm_size(self.now(), 1)
        self.feed = LiveFeed(
            self.origin,
            self.store,
            self.rendition,
            self._on_segment,
            self._on_evicted,
            cfg.playlist_poll_s,
            cfg.playlist_poke_min_s,
        )
        if cfg.beacon_interval_s is not None:  # the first ack brings the stream's control
            try:
                await send_beacon(self, 1)
            except Exception as exc:  # refused or lost: pushes and later acks still tell us
                log.info("first beacon not delivered: %s", exc)
        ack = None
        if self.operator.mode != "off":
            try:
                ack = await self._join_call()
            except SignalingRefused as exc:
                if exc.code != "p2p-off":  # the kill switch came on after our beacon
                    raise
        self._membership = self.operator.mode if ack is not None else "off"
        if ack is not None:
            self.peer_id = self.sched.local_peer_id = ack.peer_id
            self._joined = True
            self._adopt_ice(ack)
            self.sched.set_swarm_size(self.now(), len(ack.neighbours) + 1)
        # Neighbours from the join count as connecting from now on, so the first segments
        # wait briefly for them instead of coming from the origin before any link opens.
        self._update_connecting()
        playlist = await self.feed.first_poll()
        if not cfg.seed:
            spans = self.feed.timeline.spans
            first = min((start for start, _ in spans.values()), default=0.0)
            end = max((start + length for start, length in spans.values()), default=0.0)
            position = max(first, end - cfg.live_delay_segments * playlist.target_duration)
            self.playhead = SimulatedPlayhead(position, set_at=self.now())
            self.sched.set_playhead(self.now(), position, False)
        # The current set, not the ack's: events since the join may have changed it (§4.3).
        for neighbour in list(self.signaling.neighbours.values()):
            await self._add_neighbour(neighbour)
        self._running = True
        self._spawn(self.feed.run())
        if cfg.swarm_size_poll_s is not None:
            self._spawn(self._track_swarm_size(cfg.swarm_size_poll_s))
        if cfg.beacon_interval_s is not None:  # to the operator (docs/operator.md)
            self._spawn(beacon_loop(self, cfg.beacon_interval_s, first_seq=2))
        self.apply_upload_limits()
        self._spawn(self._follow_measured_cap())
        if self.operator.mode != self._membership:
            self._spawn(self._follow_mode())  # the control changed while we were starting
        self._pump()
        log.info(
            "peer %s: %s with %d neighbours (P2P %s)",
            self.peer_id or "-",
            ack.swarm if ack else "not in a swarm",
            len(ack.neighbours) if ack else 0,
            self.operator.mode,
        )

    async def stop(self) -> None:
        self._stopping = True
        if self._timer is not None:
            self._timer.cancel()
        await asyncio.gather(
            *(
                link.close("shutting down", wire.GoodbyeReason.SHUTTING_DOWN)
                for link in list(self.links.values())
            ),
            return_exceptions=True,
        )
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self.signaling.close()
        await self.origin.close()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("peer task failed", exc_info=task.exception())

    # --- the scheduler loop ---------------------------------------------------------------

    def _pump(self) -> None:
        """Carry out the scheduler's actions, advance the simulated player, re-arm the timer."""
        if self._stopping:
            return
        while True:
            actions = self.sched.pop_actions()
            skip = superseded_announcements(actions)
            for position, action in enumerate(actions):
                if position in skip:
                    self.tl.action(action)  # decided, superseded before it left
                    self.superseded_announcements += 1
                    continue
                self._dispatch(action)
            now = self.now()
            if self.playhead is not None and self.playhead.step(
                now, self.feed.timeline, CompleteView(self.store)
            ):
                self.sched.set_playhead(now, self.playhead.position, self.playhead.playing)
                self.tl.playhead_changed(now)
                continue
            if not actions:
                break
        self._arm()

    def _arm(self) -> None:
        times = [self.sched.next_timer()]
        if self.playhead is not None:
            times.append(self.playhead.next_boundary(self.now(), self.feed.timeline))
        future = [t for t in times if t is not None]
        when = min(future) if future else None
        if self._timer is not None:
            if when is not None and self._timer.when() == when:
                return  # already armed for that moment (most events leave it unchanged)
            self._timer.cancel()
        self._timer = self.loop.call_at(when, self._on_timer) if when is not None else None

    def _on_timer(self) -> None:
        self._timer = None
        now = self.now()
        when = self.sched.next_timer()
        if when is not None and when <= now:
            self.sched.handle_timer(now)
        self._pump()

    def _dispatch(self, action: act.Action) -> None:
        self.tl.action(action)
        link = self.links.get(getattr(action, "peer", ""))
        frame = frame_for(action, self.store)
        if frame is not None:
            if link is not None:
                link.send(frame)
            return
        if (frame := broadcast_frame(action)) is not None:
            seq = action.seq if isinstance(action, act.AnnouncePieces) else None
            for peer_id, other in self.links.items():
                if other.hello is None:
                    continue
                if seq is not None and self.sched.neighbour_holds(peer_id, seq):
                    self.announcements_to_holders += 1  # it holds the whole segment
                    continue
                other.send(frame_for_neighbour(frame, other.hello.capabilities))
            return
        match action:
            case act.FetchHttp():
                fetch = fetch_pieces(
                    action, origin=self.origin, store=self.store, sched=self.sched,
                    rendition=self.rendition, uri=self.feed.uris.get(action.seq),
                    now=self.now, pump=self._pump,
                )  # fmt: skip
                self._spawn(self._fetched(action, self.tl.fetch(action, fetch)))
            case act.DropPeer(peer, reason):
                if link:
                    link.mute()  # frames already queued behind the bad one are not trusted
                self._spawn(self._drop(peer, reason))
            case act.AbandonPeer(peer, reason):
                log.info("abandoned peer %s (%s)", peer, reason)
            case act.DeadlineMissed(seq):
                log.warning("segment %d missed its playback deadline", seq)

    async def _fetched(self, action: act.FetchHttp, fetch: Coroutine[Any, Any, Any]) -> None:
        """An origin fetch; in shadow mode its bytes count as saved when a neighbour held them."""
        await fetch
        record = self.store.record(action.seq)
        if record is not None:
            start = action.first_piece * self._piece_size
            size = min(action.piece_count * self._piece_size, record.size - start)
            self.operator.fetched_from_origin(action.seq, max(0, size))

    # --- playlist -------------------------------------------------------------------------

    def _on_segment(self, segment: NewSegment) -> None:
        self._piece_size = segment.piece_size
        self._highest_known = max(self._highest_known, segment.seq)
        self.tl.segment_added(segment.seq, segment.start, segment.size, segment.live_edge)
        self.sched.segment_added(
            self.now(),
            segment.seq,
            size=segment.size,
            piece_size=segment.piece_size,
            start=segment.start,
            duration=segment.duration,
            live_edge=segment.live_edge,
        )
        self._pump()

    def _on_evicted(self, seq: int) -> None:
        self.sched.segment_removed(self.now(), seq)
        self.feed.timeline.forget_before(seq)

    # --- data channels (LinkHandlers) -----------------------------------------------------

    def link_open(self, link: PeerLink) -> None:
        self.link_log[link.peer_id] = round(self.now() - self.started_at, 3)
        if pair := link.candidate_pair():
            self.pair_log[link.peer_id] = pair
            # How the link opened, for reachability-aware matching (docs/protocol.md §4.2).
            self._spawn(self._report_path(link.peer_id, "relay" if "relay" in pair else "direct"))
        capabilities = wire.CAP_CAN_UPLOAD | wire.CAP_ORIGIN_RATE
        capabilities |= wire.CAP_EDGE_SEEDER if self.config.seed else 0
        swarm_id = f"{self.config.stream}/{self.rendition}"
        link.send(
            wire.Hello(capabilities, self._piece_size, self.config.max_pieces_per_request, swarm_id)
        )

    def link_violation(self, link: PeerLink, reason: str) -> None:
        """An undecodable frame (the link closes itself): report the peer, refuse its offers."""
        if self._stopping or self.guard.is_refused(self.now(), link.peer_id):
            return
        log.info("peer %s broke the protocol: %s", link.peer_id, reason)
        self.guard.refuse(self.now(), link.peer_id)
        self.dropped_peers.append(link.peer_id)
        self._spawn(self._report(link.peer_id, "protocol-error"))

    def _update_connecting(self) -> None:
        """Neighbours with no HAVE yet count as connecting: startup waits for them briefly
        (not in shadow mode: its links never serve)."""
        connecting = sum(1 for peer_id in self.links if peer_id not in self._announced)
        serving = self.operator.mode == "on" and self._joined
        self.sched.set_connecting_peers(self.now(), connecting if serving else 0)
        if self._running:
            self._pump()

    def link_closed(self, link: PeerLink, reason: str) -> None:
        if self.links.get(link.peer_id) is link:
            del self.links[link.peer_id]
            self.guard.forget(link.peer_id)
            self.operator.neighbour_gone(link.peer_id)
            self._announced.discard(link.peer_id)
            if not self._stopping:
                self._update_connecting()
        self.uploaded_bytes_closed += link.piece_bytes_sent
        self.frames_closed["sent"].update(link.frames_sent)
        self.frames_closed["received"].update(link.frames_received)
        if link.hello is None and not self._stopping and reason in UNREACHABLE_REASONS:
            # Never got through (ICE failed or timed out): let signaling pick another
            # neighbour; "unreachable" never counts against the other peer.
            self._spawn(self._report(link.peer_id, "unreachable"))
        if link.hello is not None and not self._stopping:
            log.info("link to %s closed: %s", link.peer_id, reason)
            self.tl.peer_closed(link.peer_id, reason)
            self.sched.peer_closed(self.now(), link.peer_id)
            self._pump()

    def link_message(self, link: PeerLink, message: wire.Message) -> None:
        now, peer = self.now(), link.peer_id
        if link.hello is None:
            if not self._accept_hello(link, message):
                self._spawn(link.close("bad HELLO", wire.GoodbyeReason.PROTOCOL_ERROR))
                return
        else:
            self._on_wire(now, peer, message)
        self._pump()

    def _accept_hello(self, link: PeerLink, message: wire.Message) -> bool:
        swarm_id = f"{self.config.stream}/{self.rendition}"
        if not isinstance(message, wire.Hello) or message.swarm_id != swarm_id:
            return False
        if message.piece_size != self._piece_size:
            return False
        link.hello = message
        self.tl.peer_opened(link.peer_id)
        if self.operator.mode == "shadow":
            return True  # linked and measured, never a source: the scheduler does not see it
        self.sched.peer_connected(
            self.now(),
            link.peer_id,
            capabilities=message.capabilities,
            max_pieces_per_request=message.max_pieces_per_request,
        )
        return True

    def _on_wire(self, now: float, peer: str, message: wire.Message) -> None:
        link = self.links[peer]
        self.tl.message(peer, message)
        if self.operator.mode == "shadow" and not isinstance(message, wire.Goodbye | wire.Hello):
            if isinstance(message, wire.Have | wire.HaveDelta | wire.HavePieces):
                seqs = message.seqs() if isinstance(message, wire.Have) else [message.seq]
                self.operator.neighbour_has(peer, seqs)
            return  # shadow: nothing from a neighbour reaches the scheduler
        match message:
            case wire.Piece(request_id, seq, index, data):
                if self.store.record(seq) is None:
                    return  # never requested (we request only what we hold a record for)
                valid = verify_into_store(self.store, seq, index, data)
                self.sched.piece_received(now, peer, request_id, seq, index, valid)
            case wire.Goodbye():
                self._spawn(link.close("goodbye"))
            case wire.Hello():
                self._spawn(link.close("second HELLO", wire.GoodbyeReason.PROTOCOL_ERROR))
            case wire.Request() | wire.Cancel():
                verdict = self.guard.request(now, peer, link.pieces_sent)
                if verdict.refused:
                    self._on_announce(now, link, verdict)
                    return
                if isinstance(message, wire.Cancel):
                    link.purge(message.request_id)
                feed_control_frame(self.sched, now, peer, message)
            case wire.Have():
                self._on_announce(
                    now, link, self.guard.have(now, peer, message.seqs(), self._highest_known)
                )
                if peer not in self._announced:
                    self._announced.add(peer)
                    self._update_connecting()
            case wire.HaveDelta(seq):
                self._on_announce(
                    now, link, self.guard.have_delta(now, peer, seq, self._highest_known)
                )
            case wire.HavePieces(seq):
                verdict = self.guard.have_pieces(now, peer, seq, self._highest_known)
                self._on_announce(now, link, verdict, message)
            case _:
                feed_control_frame(self.sched, now, peer, message)

    def _on_announce(
        self, now: float, link: PeerLink, verdict: Verdict, pieces: wire.HavePieces | None = None
    ) -> None:
        """Only frames the guard passed reach the scheduler (§5.1); a neighbour that keeps
        sending others is dropped, reported and refused."""
        if pieces is not None:  # the scheduler bounds what it keeps of partial copies
            if verdict.seqs:
                feed_control_frame(self.sched, now, link.peer_id, pieces)
        elif verdict.replace:
            self.sched.peer_have(now, link.peer_id, sorted(verdict.seqs))
        elif verdict.seqs:
            self.sched.peer_have_delta(now, link.peer_id, min(verdict.seqs))
        if verdict.drop:
            link.mute()
            self.guard.refuse(now, link.peer_id)
            self._spawn(self._drop(link.peer_id, "protocol_error"))
        elif (newest := verdict.newest) is not None and newest > self._highest_known:
            self.feed.poke()  # LiveFeed rate-limits these polls

    # --- stats ----------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """The stats JSON (CLI output, SIGUSR1, --stats-json): see `peer.node_stats`."""
        return node_stats(self)
