"""The simulated world: viewers (each with the real `PieceScheduler`), the origin link, peer
links and the neighbour matcher (the real `signaling.swarm_matcher`), and the routing of every
scheduler action. Viewer-side behaviour (playlist, loader, player) lives in `bench.sim.viewer`;
the peer messages (uplinks, latency, ordered channels) in `bench.sim.peer_channel`.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from swarmcast.bench.sim.config import SimConfig
from swarmcast.bench.sim.events import EventQueue
from swarmcast.bench.sim.flows import Downlink, FlowNetwork, Uplink
from swarmcast.bench.sim.metrics import Recorder
from swarmcast.bench.sim.origin import FlowOriginLink, HttpClient, OriginLink, Transfer
from swarmcast.bench.sim.peer_channel import PeerChannel
from swarmcast.bench.sim.player import Player
from swarmcast.peer import scheduler_actions as act
from swarmcast.peer.piece_scheduler import PieceScheduler
from swarmcast.signaling.swarm_matcher import PeerInfo, SwarmView, apply_plan, plan_join

MAX_PIECES_PER_REQUEST = 16
"""What every viewer announces in HELLO (player-shim DEFAULT_OPTIONS.maxPiecesPerRequest)."""


@dataclass(eq=False)
class SimNode:
    """One viewer: its scheduler (once its swarm session is up), links, player and loader."""

    index: int
    peer_id: str
    arrives_at: float
    up_rate: float
    player: Player
    http: HttpClient
    sched: PieceScheduler | None = None
    neighbours: dict[str, SimNode] = field(default_factory=dict)
    """Connected (HELLO exchanged) neighbours."""
    assigned: set[str] = field(default_factory=set)
    """Neighbours signaling assigned (connected or not yet)."""
    announced: set[str] = field(default_factory=set)
    """Neighbours whose first HAVE arrived; the other assigned ones are still connecting."""
    fetch_reasons: dict[int, str] = field(default_factory=dict)
    """trace: the scheduler's last stated reason (on_decision) for an origin fetch, by seq."""
    pre_join: list[int] = field(default_factory=list)
    """shim: fragments hls.js loaded over plain HTTP before the session was up."""
    latency: dict[str, float] = field(default_factory=dict)
    out_last: dict[str, float] = field(default_factory=dict)
    up_free: float = 0.0
    timer_at: float | None = None
    newest: int = -1
    known: set[int] = field(default_factory=set)
    added: set[int] = field(default_factory=set)
    player_fetching: set[int] = field(default_factory=set)
    player_loads: set[int] = field(default_factory=set)
    """Fragments hls.js's own loader has in flight over plain HTTP (any kind): the scheduler is
    told (hls_loader.ts -> PieceScheduler.player_load), also when it joins while they run."""
    """Fragments the loader's safety net fetches over plain HTTP (the scheduler forgot them)."""
    learned_at: dict[int, float] = field(default_factory=dict)
    """When its playlist first listed each segment (the blocking-reload test reads it)."""
    download_rate: float | None = None
    """The player's last plain-HTTP load rate (the shim's download meter, `shim_startup_plan`)."""
    download_rate_at: float | None = None
    """When that load completed (the meter dates its samples: `DeadlineClock.seed_http_rate`)."""
    startup_http: bool = False
    """shim startup plan: fragments before the first frame go over plain HTTP (origin-fast)."""
    media_slow: bool = False
    """A startup fragment over plain HTTP was slow (`slow_media_share`)."""
    complete: set[int] = field(default_factory=set)
    delivered: set[int] = field(default_factory=set)
    want: int | None = None
    loading: bool = False
    load_generation: int = 0
    safety_extensions: int = 0
    sched_fetches: Counter[int] = field(default_factory=Counter)
    last_piece_at: dict[int, float] = field(default_factory=dict)
    partial_at: dict[int, float] = field(default_factory=dict)
    """shim: when a neighbour last announced a copy of each segment (HAVE_PIECES), for the
    loader's safety net (swarm_session.ts deliveryUnderway)."""
    origin_bytes: Counter[str] = field(default_factory=Counter)
    peer_bytes: int = 0
    sent: Counter[str] = field(default_factory=Counter)
    """Peer messages this viewer sent, by wire type (HAVE_PIECES, HAVE_DELTA, PIECE, ...)."""
    down_rate: float | None = None
    """Its downlink capacity (`peer_down_x`); None: unlimited."""
    downlink: Downlink | None = None
    uplink: Uplink | None = None
    """With downlinks: its pieces as flows on the receivers' downlinks (else `up_free`)."""


class Swarm:
    """One seeded run. `run()` then `result()`; `trace` keeps a per-decision log."""

    def __init__(
        self,
        config: SimConfig,
        seed: int,
        *,
        trace: bool = False,
        progress: Callable[[Swarm], None] | None = None,
    ) -> None:
        from swarmcast.bench.sim.viewer import ViewerLogic  # the two halves of one world

        self.cfg = config
        self.seed = seed
        self.progress = progress
        """Called with the swarm every 10 simulated seconds (long runs report where they are);
        it only reads, so it changes nothing."""
        self.rng = random.Random(seed)
        self.q = EventQueue()
        self.rec = Recorder(config.duration_s)
        self.network: FlowNetwork | None = None
        """With downlinks (`peer_down_x`): the max-min shared origin egress and downlinks."""
        self.origin: OriginLink
        if config.peer_down_x is None:
            self.origin = OriginLink(
                self.q,
                config.cap_x * config.bitrate_bytes,
                config.origin_latency_s,
                config.origin_slots,
                config.origin_queue,
                meter=self.rec.origin_flow,
            )
        else:
            self.network = FlowNetwork(
                self.q, config.cap_x * config.bitrate_bytes, meter=self.rec.origin_flow
            )
            self.origin = FlowOriginLink(
                self.network, config.origin_latency_s, config.origin_slots, config.origin_queue
            )
        self.sched_config = config.scheduler_config()
        self.trace: list[dict[str, Any]] | None = [] if trace else None
        self.view = SwarmView()
        self.holders: Counter[int] = Counter()
        self.seq_fetches: Counter[int] = Counter()
        self.seq_origin_bytes: Counter[int] = Counter()
        self.unknown_actions: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self.http_outstanding = 0
        """Media requests sent by viewers and not answered yet (in browsers or at the origin)."""
        count = int((config.stream_age_s + config.duration_s) / config.segment_s) + 4
        nominal = config.bitrate_bytes * config.segment_s
        sizes = random.Random(seed * 7919 + 1)
        self.sizes = [
            max(1, int(nominal * (1 + config.size_jitter * (2 * sizes.random() - 1))))
            for _ in range(count)
        ]
        self.nodes = self._make_nodes()
        self.by_id = {node.peer_id: node for node in self.nodes}
        self.viewers = ViewerLogic(self)
        self.channel = PeerChannel(self)
        self.routes: dict[type[act.Action], Callable[[SimNode, Any], None]] = {
            act.RequestPieces: self.channel.on_request,
            act.CancelRequest: self.channel.on_cancel,
            act.SendPiece: self.channel.on_send_piece,
            act.RejectRequest: self.channel.on_reject,
            act.Choke: self.channel.on_choke,
            act.Unchoke: self.channel.on_unchoke,
            act.SendHave: self.channel.on_send_have,
            act.AnnounceHave: self.channel.on_announce_have,
            act.AnnouncePieces: self.channel.on_announce_pieces,
            act.FetchHttp: self._on_fetch_http,
            act.AbandonPeer: self._on_abandon,
            act.DropPeer: self._on_drop,
            act.DeadlineMissed: self._on_deadline_missed,
        }

    # --- setup ----------------------------------------------------------------------------

    def _make_nodes(self) -> list[SimNode]:
        cfg, rng = self.cfg, self.rng
        n, window = cfg.peers, cfg.arrival_window_s
        if cfg.scenario == "flash":
            arrivals = sorted(rng.uniform(0.0, window) for _ in range(n))
        else:
            step = window / n
            arrivals = [i * step + rng.uniform(0.0, step) for i in range(n)]
        # Downlinks come from their own rng: a seed's other draws are those without them.
        down_rng = random.Random(f"downlink/{self.seed}")
        class_rng = random.Random(f"access-class/{self.seed}")
        nodes = []
        for i, at in enumerate(arrivals):
            peer_id = f"{rng.getrandbits(48):012x}"
            up = rng.uniform(*cfg.peer_up_x) * cfg.bitrate_bytes
            small = cfg.small_share > 0 and class_rng.random() < cfg.small_share
            if small:
                up = class_rng.uniform(*cfg.small_up_x) * cfg.bitrate_bytes
            if self.network is None or cfg.peer_down_x is None:
                client = HttpClient(self.origin, cfg.client_connections)
                nodes.append(SimNode(i, peer_id, at, up, Player(at, cfg.segment_s), client))
                continue
            down = down_rng.uniform(*cfg.peer_down_x) * cfg.bitrate_bytes
            if small:
                down = class_rng.uniform(*cfg.small_down_x) * cfg.bitrate_bytes
            downlink = self.network.downlink(down)
            client = HttpClient(self.origin, cfg.client_connections, downlink)
            node = SimNode(i, peer_id, at, up, Player(at, cfg.segment_s), client)
            node.down_rate, node.downlink = down, downlink
            node.uplink = Uplink(self.network, up)
            nodes.append(node)
        return nodes

    # --- the stream -----------------------------------------------------------------------

    def published_at(self, seq: int) -> float:
        """When segment `seq` appears in the origin's playlist."""
        return (seq + 1) * self.cfg.segment_s - self.cfg.stream_age_s

    def newest_at(self, t: float) -> int:
        return math.floor((t + self.cfg.stream_age_s) / self.cfg.segment_s + 1e-9) - 1

    # --- running --------------------------------------------------------------------------

    def run(self) -> None:
        for node in self.nodes:
            self.q.at(node.arrives_at, self.viewers.arrive, node)
        for second in range(int(self.cfg.duration_s) + 1):
            self.q.at(second + 0.5, self._sample)
        self.q.run_until(self.cfg.duration_s)
        self.origin.flush()
        for node in self.nodes:
            node.player.finish(self.cfg.duration_s)

    def _sample(self) -> None:
        self.origin.flush()
        playing = stalled = 0
        for node in self.nodes:
            player = node.player
            if player.playing:
                playing += 1
            elif player.started:
                stalled += 1
        b = int(self.q.now)
        self.rec.playing_viewers[b] = playing
        self.rec.stalled_viewers[b] = stalled
        if self.progress is not None and b % 10 == 0:
            self.progress(self)

    def drain(self, node: SimNode) -> None:
        """Carry out the scheduler's actions (carrying them out may add more), then re-arm
        its timer."""
        sched = node.sched
        if sched is None:
            return
        routes = self.routes
        while True:
            actions = sched.pop_actions()
            if not actions:
                break
            for action in actions:
                route = routes.get(type(action))
                if route is None:
                    self._unknown(node, action)
                else:
                    route(node, action)
        when = sched.next_timer()
        if when != node.timer_at:
            node.timer_at = when
            if when is not None:
                self.q.at(when, self._timer, node, when)

    def _timer(self, node: SimNode, when: float) -> None:
        if node.timer_at != when or node.sched is None:
            return
        node.timer_at = None
        node.sched.handle_timer(self.q.now)
        self.drain(node)

    def _unknown(self, node: SimNode, action: act.Action) -> None:
        """An action this simulator cannot route yet: counted and reported, never silent."""
        self.unknown_actions[action.kind] += 1

    # --- the matcher and links ------------------------------------------------------------

    def join_swarm(self, node: SimNode) -> None:
        """Signaling: match the newcomer with the real matcher, connect the links it adds."""
        now = self.q.now
        info = PeerInfo(
            node.peer_id,
            f"net-{node.index}",
            now,
            self.cfg.neighbours,
            upload_budget_bps=int(node.up_rate * 8),
        )
        plan = plan_join(self.view, info, now)
        self.view = apply_plan(self.view, plan, now)
        for removed in plan.removed_links:
            first, second = sorted(removed)
            self._disconnect(self.by_id[first], self.by_id[second])
        for link in plan.added_links:
            a, b = self.by_id[link.a], self.by_id[link.b]
            a.assigned.add(b.peer_id)
            b.assigned.add(a.peer_id)
            self.viewers.neighbours_changed(a)
            self.viewers.neighbours_changed(b)
            delay = self.rng.uniform(*self.cfg.connect_delay_s)
            self.q.at(now + delay, self._connect, a, b)

    def _connect(self, a: SimNode, b: SimNode) -> None:
        if b.peer_id not in self.view.neighbours(a.peer_id) or b.peer_id in a.neighbours:
            return  # unlinked by a later plan before the data channel opened
        assert a.sched is not None and b.sched is not None
        latency = self.rng.uniform(*self.cfg.pair_latency_s)
        now = self.q.now
        for me, other in ((a, b), (b, a)):
            me.neighbours[other.peer_id] = other
            me.latency[other.peer_id] = latency
        a.sched.peer_connected(now, b.peer_id, max_pieces_per_request=MAX_PIECES_PER_REQUEST)
        b.sched.peer_connected(now, a.peer_id, max_pieces_per_request=MAX_PIECES_PER_REQUEST)
        self.drain(a)
        self.drain(b)

    def _disconnect(self, a: SimNode, b: SimNode) -> None:
        now = self.q.now
        for me, other in ((a, b), (b, a)):
            me.assigned.discard(other.peer_id)
            me.announced.discard(other.peer_id)
            self.viewers.neighbours_changed(me)
            if me.uplink is not None:
                me.uplink.close(other.peer_id)
            if me.neighbours.pop(other.peer_id, None) is not None and me.sched is not None:
                me.out_last.pop(other.peer_id, None)
                me.sched.peer_closed(now, other.peer_id)
                self.drain(me)

    # --- routing: the actions that are no peer message (those: `bench.sim.peer_channel`) --

    def _on_fetch_http(self, node: SimNode, a: act.FetchHttp) -> None:
        size = self.segment_size(a.seq)
        piece = self.cfg.piece_size
        start = a.first_piece * piece
        ends = [
            min((i + 1) * piece, size) - start
            for i in range(a.first_piece, a.first_piece + a.piece_count)
        ]
        marks = ends if self.cfg.http_progressive else ends[-1:]
        if self.trace is not None:
            self.viewers.trace_fetch(node, a)
        node.sched_fetches[a.seq] += 1

        def on_mark(transfer: Transfer, index: int) -> None:
            sched = node.sched
            assert sched is not None
            now = self.q.now
            last = index == len(transfer.marks) - 1
            if last:
                node.sched_fetches[a.seq] -= 1
                self.origin_done(node, "scheduler", a.seq, transfer.size)
            pieces = (
                [a.first_piece + index]
                if self.cfg.http_progressive
                else range(a.first_piece, a.first_piece + a.piece_count)
            )
            for i in pieces:
                sched.http_piece_received(now, a.fetch_id, a.seq, i, True)
            self.drain(node)

        def on_fail(transfer: Transfer) -> None:
            assert node.sched is not None
            node.sched_fetches[a.seq] -= 1
            node.sched.http_failed(self.q.now, a.fetch_id)
            self.drain(node)

        self.origin_request(node, a.seq, ends[-1], marks, on_mark, on_fail)

    def _on_abandon(self, node: SimNode, a: act.AbandonPeer) -> None:
        self.counts[f"abandon_{a.reason}"] += 1

    def _on_drop(self, node: SimNode, a: act.DropPeer) -> None:
        self.counts[f"drop_{a.reason}"] += 1
        other = self.by_id.get(a.peer)
        if other is not None:
            self._disconnect(node, other)

    def _on_deadline_missed(self, node: SimNode, a: act.DeadlineMissed) -> None:
        self.counts["deadline_missed"] += 1

    # --- origin ---------------------------------------------------------------------------

    def origin_request(
        self,
        node: SimNode,
        seq: int,
        size: int,
        marks: list[int],
        on_mark: Callable[[Transfer, int], None],
        on_fail: Callable[[Transfer], None],
    ) -> None:
        """A media request from `node` to the origin, for metrics tagged with whether it is
        redundant (the swarm holds `seq` or already asked the origin for it)."""
        redundant = self.holders[seq] > 0 or self.seq_fetches[seq] > 0

        def mark(transfer: Transfer, index: int) -> None:
            if index == len(transfer.marks) - 1:
                self.http_outstanding -= 1
            on_mark(transfer, index)

        def fail(transfer: Transfer) -> None:
            self.http_outstanding -= 1
            on_fail(transfer)

        transfer = Transfer(size, marks, mark, fail, seq=seq, redundant=redundant)
        self.seq_fetches[seq] += 1
        self.http_outstanding += 1
        self.rec.fetch_started(self.q.now)
        self.rec.in_flight(self.q.now, self.http_outstanding)
        node.http.request(transfer)

    def origin_done(self, node: SimNode, kind: str, seq: int, size: int) -> None:
        """A media response from the origin completed (`kind`: who asked for it)."""
        node.origin_bytes[kind] += size
        self.seq_origin_bytes[seq] += size

    # --- sizes ----------------------------------------------------------------------------

    def segment_size(self, seq: int) -> int:
        return self.sizes[seq % len(self.sizes)]

    def piece_count(self, seq: int) -> int:
        return -(-self.segment_size(seq) // self.cfg.piece_size)

    def piece_bytes(self, seq: int, index: int) -> int:
        piece = self.cfg.piece_size
        return min(piece, self.segment_size(seq) - index * piece)
