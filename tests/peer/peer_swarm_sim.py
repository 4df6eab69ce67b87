"""Deterministic discrete-event simulation of a swarm of schedulers, for scenarios of kind
"swarm" (format: tests/vectors/scheduler/README.md). Links are ordered FIFO pipes with a
latency and a rate; the origin answers each fetch after a latency at a rate; no sockets."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from peer_scenario_runner import ScenarioFailure, make_scheduler

from swarmcast.peer.election import election_hash
from swarmcast.peer.piece_scheduler import PieceScheduler

Json = dict[str, Any]
CONTROL_BYTES = 16  # every non-PIECE message is this big on the wire model


@dataclass
class _Node:
    node_id: str
    sched: PieceScheduler
    neighbours: set[str]
    seeder: bool
    alive: bool = True
    corrupt: bool = False
    silent_from: float | None = None
    timer_gen: int = 0
    http_seqs: set[int] = field(default_factory=set)


class SwarmSim:
    def __init__(self, scenario: Json) -> None:
        self.scenario = scenario
        stream = scenario["stream"]
        self.first_seq = int(stream.get("first_seq", 0))
        self.count = int(stream["segments"])
        self.interval = float(stream["interval_s"])
        self.size = int(stream["size"])
        self.piece_size = int(stream["piece_size"])
        self.link_latency = float(scenario["link"]["latency_s"])
        self.link_rate = float(scenario["link"]["rate_bytes_per_s"])
        self.http_latency = float(scenario["http"]["latency_s"])
        self.http_rate = float(scenario["http"]["rate_bytes_per_s"])
        ids = scenario.get("node_ids") or [f"p{i:02d}" for i in range(int(scenario["nodes"]))]
        seeders = set(scenario.get("seeders", []))
        adjacency = _adjacency(ids, scenario.get("neighbours", "all"))
        self.nodes: dict[str, _Node] = {}
        for node_id in ids:
            sched = make_scheduler({**scenario, "seeder": node_id in seeders}, node_id)
            self.nodes[node_id] = _Node(node_id, sched, adjacency[node_id], node_id in seeders)
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._link_free: dict[tuple[str, str], float] = {}
        self.now = 0.0
        self.missed: list[tuple[str, int]] = []
        self.drops: list[tuple[str, str]] = []
        self.abandons: list[tuple[str, str, str]] = []

    # --- event queue ----------------------------------------------------------------------

    def at(self, when: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._queue, (when, next(self._order), fn))

    def on_node(self, node: _Node, fn: Callable[[PieceScheduler, float], None]) -> None:
        """Run `fn` on a live node now, then route its actions and re-arm its timer."""
        if not node.alive:
            return
        fn(node.sched, self.now)
        self._route(node)
        self._arm(node)

    def _arm(self, node: _Node) -> None:
        node.timer_gen += 1
        generation = node.timer_gen
        when = node.sched.next_timer()
        if when is None:
            return

        def fire() -> None:
            if node.timer_gen == generation:
                self.on_node(node, lambda s, now: s.handle_timer(now))

        self.at(when, fire)

    def run(self) -> None:
        scenario = self.scenario
        delay = float(scenario["playback_delay_s"])
        duration = float(scenario["stream"].get("duration_s", self.interval))
        size = int(scenario.get("swarm_size", len(self.nodes)))
        spread = float(scenario.get("poll_spread_s", 0.0))
        for node in self.nodes.values():
            self.on_node(node, lambda s, now: s.set_swarm_size(now, size))
            if not node.seeder:
                self.on_node(node, lambda s, now: s.set_playhead(now, -delay, True))
        for a_id in sorted(self.nodes):
            for b_id in sorted(self.nodes[a_id].neighbours):
                if a_id < b_id:
                    self._connect(self.nodes[a_id], self.nodes[b_id])
                    self._connect(self.nodes[b_id], self.nodes[a_id])
        for k in range(self.count):
            for index, node in enumerate(self.nodes.values()):
                learn_at = k * self.interval + spread * index / len(self.nodes)
                self.at(learn_at, self._add_segment(node, k, duration))
        for fault in scenario.get("faults", []):
            self._schedule_fault(fault)
        end = float(scenario.get("run_until_s", self.count * self.interval + delay + 2.0))
        while self._queue and self._queue[0][0] <= end:
            when, _, fn = heapq.heappop(self._queue)
            self.now = when
            fn()

    # --- scripted inputs ------------------------------------------------------------------

    def _connect(self, node: _Node, other: _Node) -> None:
        caps = 1 | (2 if other.seeder else 0)
        self.on_node(node, lambda s, now: s.peer_connected(now, other.node_id, capabilities=caps))

    def _add_segment(self, node: _Node, k: int, duration: float) -> Callable[[], None]:
        seq = self.first_seq + k

        def add() -> None:
            self.on_node(
                node,
                lambda s, now: s.segment_added(
                    now,
                    seq,
                    size=self.size,
                    piece_size=self.piece_size,
                    start=k * duration,
                    duration=duration,
                    live_edge=True,
                ),
            )

        return add

    def _schedule_fault(self, fault: Json) -> None:
        node = self.nodes[fault["node"]]
        when = float(fault.get("at", 0.0))
        if fault.get("corrupt"):
            node.corrupt = True
        if "silent_from" in fault:
            node.silent_from = float(fault["silent_from"])
        if fault.get("kill"):

            def kill() -> None:
                node.alive = False
                for other_id in sorted(node.neighbours):
                    other = self.nodes[other_id]
                    detect = self.now + float(fault.get("close_detect_s", 0.0))
                    self.at(
                        detect,
                        self._deliver(other, lambda s, now: s.peer_closed(now, node.node_id)),
                    )

            self.at(when, kill)

    # --- routing --------------------------------------------------------------------------

    def _deliver(
        self, node: _Node, fn: Callable[[PieceScheduler, float], None]
    ) -> Callable[[], None]:
        return lambda: self.on_node(node, fn)

    def _send(
        self, src: _Node, dst_id: str, size: int, fn: Callable[[PieceScheduler, float], None]
    ) -> None:
        """One message over the ordered src->dst channel."""
        if src.silent_from is not None and self.now >= src.silent_from:
            return
        dst = self.nodes.get(dst_id)
        if dst is None or dst_id not in src.neighbours:
            return
        key = (src.node_id, dst_id)
        start = max(self.now, self._link_free.get(key, 0.0))
        done = start + size / self.link_rate
        self._link_free[key] = done
        src_id = src.node_id

        def arrive() -> None:  # a dropped connection loses what was still in the pipe
            if src_id in dst.neighbours:
                self.on_node(dst, fn)

        self.at(done + self.link_latency, arrive)

    def _piece_bytes(self, index: int) -> int:
        return min(self.piece_size, self.size - index * self.piece_size)

    def _route(self, node: _Node) -> None:
        me = node.node_id
        for action in node.sched.pop_actions():
            a = action.to_json()
            kind = a["action"]
            if kind == "request":
                self._send(
                    node,
                    a["peer"],
                    CONTROL_BYTES,
                    lambda s, now, a=a: s.upload_request(
                        now, me, a["request_id"], a["seq"], a["first_piece"], a["piece_count"]
                    ),
                )
            elif kind == "cancel":
                self._send(
                    node,
                    a["peer"],
                    CONTROL_BYTES,
                    lambda s, now, a=a: s.upload_cancel(now, me, a["request_id"]),
                )
            elif kind == "send_piece":
                valid = not node.corrupt
                self._send(
                    node,
                    a["peer"],
                    self._piece_bytes(a["index"]),
                    lambda s, now, a=a, v=valid: s.piece_received(
                        now, me, a["request_id"], a["seq"], a["index"], v
                    ),
                )
            elif kind == "reject":
                self._send(
                    node,
                    a["peer"],
                    CONTROL_BYTES,
                    lambda s, now, a=a: s.request_rejected(now, me, a["request_id"], a["reason"]),
                )
            elif kind in ("choke", "unchoke"):
                choked = kind == "choke"
                self._send(
                    node,
                    a["peer"],
                    CONTROL_BYTES,
                    lambda s, now, c=choked: s.peer_choked(now, me, c),
                )
            elif kind == "send_have":
                self._send(
                    node,
                    a["peer"],
                    CONTROL_BYTES,
                    lambda s, now, a=a: s.peer_have(now, me, a["seqs"]),
                )
            elif kind == "announce_have":
                for other in sorted(node.neighbours):
                    self._send(
                        node,
                        other,
                        CONTROL_BYTES,
                        lambda s, now, a=a: s.peer_have_delta(now, me, a["seq"]),
                    )
            elif kind == "announce_pieces":
                for other in sorted(node.neighbours):
                    self._send(
                        node,
                        other,
                        CONTROL_BYTES,
                        lambda s, now, a=a: s.peer_have_pieces(
                            now, me, a["seq"], list(a["pieces"]), a.get("origin_rate", 0)
                        ),
                    )
            elif kind == "http_fetch":
                self._http(node, a)
            elif kind == "drop_peer":
                self.drops.append((me, a["peer"]))
                self._send(node, a["peer"], CONTROL_BYTES, lambda s, now: s.peer_closed(now, me))
                node.neighbours.discard(a["peer"])
                self.nodes[a["peer"]].neighbours.discard(me)
            elif kind == "abandon_peer":
                self.abandons.append((me, a["peer"], a["reason"]))
            elif kind == "deadline_missed":
                self.missed.append((me, a["seq"]))
            else:
                raise ScenarioFailure(f"simulator cannot route {kind}")

    def _http(self, node: _Node, a: Json) -> None:
        node.http_seqs.add(a["seq"])
        done = self.now + self.http_latency
        for index in range(a["first_piece"], a["first_piece"] + a["piece_count"]):
            done += self._piece_bytes(index) / self.http_rate
            self.at(
                done,
                self._deliver(
                    node,
                    lambda s, now, i=index: s.http_piece_received(
                        now, a["fetch_id"], a["seq"], i, True
                    ),
                ),
            )

    # --- results --------------------------------------------------------------------------

    def metrics(self) -> dict[str, float]:
        viewers = [n for n in self.nodes.values() if not n.seeder]
        http = sum(n.sched.stats.bytes_from_http for n in viewers)
        peers = sum(n.sched.stats.bytes_from_peers for n in viewers)
        per_seq = [
            sum(1 for n in viewers if seq in n.http_seqs)
            for seq in range(self.first_seq, self.first_seq + self.count)
        ]
        incomplete = sum(
            1
            for n in viewers
            if n.alive
            for seq in range(self.first_seq, self.first_seq + self.count)
            if seq not in n.sched.complete_seqs()
        )
        return {
            "offload": peers / (http + peers) if http + peers else 0.0,
            "missed_deadlines": float(len(self.missed)),
            "http_nodes_per_segment_mean": sum(per_seq) / len(per_seq),
            "http_nodes_per_segment_max": float(max(per_seq)),
            "bad_pieces": float(sum(n.sched.stats.bad_pieces for n in self.nodes.values())),
            "drops": float(len(self.drops)),
            "abandons": float(len(self.abandons)),
            "incomplete_segments": float(incomplete),
        }


def _adjacency(ids: list[str], spec: Any) -> dict[str, set[str]]:
    adjacency: dict[str, set[str]] = {i: set() for i in ids}
    if spec == "all":
        for a in ids:
            adjacency[a] = {b for b in ids if b != a}
    elif isinstance(spec, dict) and "ring" in spec:
        n = len(ids)
        for i, a in enumerate(ids):
            for step in range(1, int(spec["ring"]) + 1):
                for b in (ids[(i + step) % n], ids[(i - step) % n]):
                    if b != a:
                        adjacency[a].add(b)
                        adjacency[b].add(a)
    elif isinstance(spec, dict) and "random" in spec:
        # Degree-capped random graph, deterministic in any port: each node in id order links
        # to the others in the order of the hash of the ordered pair while both have fewer
        # than `random` links (like signaling's K neighbours).
        salt, degree = int(spec.get("seed", 0)), int(spec["random"])
        for a in ids:
            others = sorted(
                (b for b in ids if b != a), key=lambda b: election_hash(f"{a}>{b}", salt)
            )
            for b in others:
                if len(adjacency[a]) >= degree:
                    break
                if len(adjacency[b]) < degree:
                    adjacency[a].add(b)
                    adjacency[b].add(a)
    else:
        for a, others in spec.items():
            for b in others:
                adjacency[a].add(b)
                adjacency[b].add(a)
    return adjacency


def run_swarm(scenario: Json) -> dict[str, float]:
    """Run a "swarm" scenario and check its `expect` bounds; returns the metrics."""
    sim = SwarmSim(scenario)
    sim.run()
    metrics = sim.metrics()
    for name, bounds in scenario.get("expect", {}).items():
        value = metrics[name]
        if "min" in bounds and value < bounds["min"]:
            raise ScenarioFailure(f"{scenario['name']}: {name} = {value} < {bounds['min']}")
        if "max" in bounds and value > bounds["max"]:
            raise ScenarioFailure(f"{scenario['name']}: {name} = {value} > {bounds['max']}")
    return metrics
