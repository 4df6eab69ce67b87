"""Shared bottlenecks for the simulator's viewer downlinks (`SimConfig.peer_down_x`).

Why: on a real access line (the lab's `realistic` scenario: DSL 0.8-1.5 Mbit/s, mobile
0.45-0.9) the viewer's own downlink, not the origin, limits its origin fetches, and everything
it receives at once shares that line: a takeover fetch of a segment a neighbour failed to
deliver, the next segment's election-turn fetch and the peer pieces arriving from neighbours.
An urgent fetch then finishes late. Without this module each viewer's downlink is unlimited.

The model: every byte a viewer receives is a flow on its downlink; flows share it max-min
fairly (progressive filling, as TCP flows at a home router's bottleneck). An origin transfer is
also limited by its fair share of the origin egress, a peer piece by its sender's uplink. The
structure keeps max-min cheap: every flow crosses one downlink and at most the origin, and the
origin transfers of one downlink are alike, so
1. a downlink's `threshold` is its water level with its origin transfers uncapped (peer pieces
   capped at their sender's uplink): the most one of its origin transfers can get;
2. the origin `level` water-fills the egress over the viewers' origin transfers, each capped
   at its downlink's threshold; an origin transfer gets min(level, threshold), and capacity a
   downlink-limited transfer cannot use goes to the others;
3. peer pieces water-fill what their downlink has left.
Rates change only when a downlink's set of flows changes: its threshold and the origin level
are recomputed, and only downlinks whose rates changed are advanced and rescheduled. Each
downlink has one pending wake-up (its next mark), invalidated by a generation counter as in
`OriginLink`.

`Uplink` is the sender side of peer pieces in this model: an ordered channel per destination
with one piece on the wire at a time, and the channels sending at once, sharing the uplink
max-min: each piece's cap on its receiver's downlink is its sender's share, recomputed when the
sender's set of pieces in flight changes (the approximation: `Uplink`). Before it (af49ea63)
one FIFO carried all of a sender's pieces; a piece to a congested downlink then held up every
other neighbour's while the uplink idled: in the 24-seed flash bench (8-40 peers, cap 2-4x,
60 s) that head-of-line blocking made most of the stall share. Stall share median / p95 /
worst, 2026-12-04: `peer_down_x=1.5,4` 17.8% / - / 80% with the FIFO, 0.1% / 1.7% / 2.8%
shared (no downlinks: 0.0% / 0.9% / 1.3%); `peer_down_x=1.1,2` 45.4% / 84.2% / 94.4% with
the FIFO, 2.7% / 8.5% / 12.9% shared."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from swarmcast.bench.sim.events import EventQueue

UNLIMITED = math.inf
_EPSILON_BYTES = 1e-3
_EPSILON_S = 1e-9
"""A mark this close (in bytes, or seconds at the flow's rate) counts as reached: float error
must not leave a wake-up that makes no progress."""

Meter = Callable[[float, float, float, float], None]
"""(t0, t1, bytes of first-copy origin transfers, bytes of redundant ones) in [t0, t1)."""


@dataclass(eq=False)
class Flow:
    """Bytes to one viewer over its downlink. `marks` are cumulative byte offsets (ascending,
    the last one is the size) at which `on_mark(flow, index)` fires. `cap`: a rate it never
    exceeds (a peer piece: its sender's uplink); `origin`: it also shares the origin egress."""

    marks: list[int]
    on_mark: Callable[[Flow, int], None]
    cap: float = UNLIMITED
    origin: bool = False
    redundant: bool = False
    """Metering of origin flows: not the swarm's first copy of the segment."""
    done: float = 0.0
    rate: float = 0.0
    next_mark: int = 0
    downlink: Downlink | None = None


@dataclass(eq=False)
class Downlink:
    """One viewer's access downlink and the flows on it."""

    index: int
    capacity: float
    flows: list[Flow] = field(default_factory=list)
    origin_flows: int = 0
    threshold: float = UNLIMITED
    origin_rate: float = 0.0
    """The rate of each of its origin flows now."""
    t: float = 0.0
    """Flows' `done` are counted up to this time."""
    generation: int = 0


def water_level(capacity: float, caps: list[float], uncapped: int) -> float:
    """The common rate of `capacity` filled over flows with these caps plus `uncapped` flows
    without one (UNLIMITED if every flow is capped below it)."""
    remaining, count = capacity, len(caps) + uncapped
    for cap in sorted(caps):
        if cap * count >= remaining:
            break
        remaining -= cap
        count -= 1
    return remaining / count if count else UNLIMITED


class FlowNetwork:
    """The origin egress and every viewer downlink of one run, shared max-min fairly."""

    def __init__(
        self, queue: EventQueue, origin_capacity: float = UNLIMITED, meter: Meter | None = None
    ) -> None:
        if origin_capacity <= 0:
            raise ValueError("origin capacity > 0")
        self.queue = queue
        self.origin_capacity = origin_capacity
        self.meter = meter
        self.level = UNLIMITED
        """The origin's fair share per transfer (UNLIMITED while the origin is no bottleneck)."""
        self.downlinks: list[Downlink] = []
        self._loaded: dict[int, Downlink] = {}
        """Downlinks with origin flows, by index (insertion order: deterministic)."""
        self.recomputes = 0

    def downlink(self, capacity: float) -> Downlink:
        if not 0 < capacity < UNLIMITED:
            raise ValueError("a downlink's capacity is finite and > 0")
        link = Downlink(len(self.downlinks), capacity)
        self.downlinks.append(link)
        return link

    def start(self, flow: Flow, downlink: Downlink) -> None:
        """`flow` starts now on `downlink`."""
        self._advance(downlink, self.queue.now)
        flow.downlink = downlink
        downlink.flows.append(flow)
        downlink.origin_flows += flow.origin
        self._changed(downlink)

    def cancel(self, flow: Flow) -> bool:
        """Stop `flow` now (no more marks); False if it already finished."""
        link = flow.downlink
        if link is None or flow not in link.flows:
            return False
        self._advance(link, self.queue.now)
        link.flows.remove(flow)
        link.origin_flows -= flow.origin
        self._changed(link)
        return True

    def set_cap(self, flow: Flow, cap: float) -> None:
        """`flow`'s cap changes now (a peer piece: its sender's share of its uplink)."""
        link = flow.downlink
        if link is None or flow.next_mark == len(flow.marks):
            flow.cap = cap
            return
        self._advance(link, self.queue.now)
        flow.cap = cap
        self._changed(link)

    def allowance(self, flow: Flow, downlink: Downlink) -> float:
        """The rate peer piece `flow` would get on `downlink` (on it or about to start) with no
        cap of its own, the other flows as they are and the origin level as it is (not
        recomputed for the change: an approximation for sharing the sender's uplink)."""
        caps = [f.cap for f in downlink.flows if not f.origin and f is not flow]
        n = downlink.origin_flows
        threshold = water_level(downlink.capacity, caps, n + 1)
        if n and self.level < threshold:  # origin-limited: the pieces share what is left
            return water_level(downlink.capacity - self.level * n, caps, 1)
        return threshold

    def advance(self, downlink: Downlink) -> None:
        """Count (and meter) the bytes that flowed on `downlink` up to now."""
        self._advance(downlink, self.queue.now)

    def flush(self) -> None:
        """Meter what flowed up to now on every downlink."""
        now = self.queue.now
        for link in self.downlinks:
            self._advance(link, now)

    # --- internals ------------------------------------------------------------------------

    def _advance(self, link: Downlink, now: float) -> None:
        elapsed = now - link.t
        if elapsed > 0 and link.flows:
            first = redundant = 0.0
            for flow in link.flows:
                moved = flow.rate * elapsed
                flow.done += moved
                if flow.origin:
                    if flow.redundant:
                        redundant += moved
                    else:
                        first += moved
            if self.meter is not None and (first or redundant):
                self.meter(link.t, now, first, redundant)
        link.t = now

    def _changed(self, link: Downlink) -> None:
        """`link`'s flows changed (it is advanced to now): new rates where they change."""
        self.recomputes += 1
        link.threshold = water_level(
            link.capacity, [f.cap for f in link.flows if not f.origin], link.origin_flows
        )
        touches_origin = link.origin_flows > 0 or link.index in self._loaded
        if link.origin_flows > 0:
            self._loaded[link.index] = link
        else:
            self._loaded.pop(link.index, None)
        if touches_origin:
            old = self.level
            self.level = self._origin_level()
            if self.level != old:
                now = self.queue.now
                for other in self._loaded.values():
                    if other is not link and min(self.level, other.threshold) != (
                        other.origin_rate
                    ):
                        self._advance(other, now)
                        self._assign(other)
                        self._schedule(other)
        self._assign(link)
        self._schedule(link)

    def _origin_level(self) -> float:
        if self.origin_capacity == UNLIMITED:
            return UNLIMITED
        groups = sorted((link.threshold, link.origin_flows) for link in self._loaded.values())
        remaining = self.origin_capacity
        count = sum(n for _, n in groups)
        for threshold, n in groups:
            if threshold * count >= remaining:
                break
            remaining -= threshold * n
            count -= n
        return remaining / count if count else UNLIMITED

    def _assign(self, link: Downlink) -> None:
        peer_level = link.threshold
        if link.origin_flows:
            rate = min(self.level, link.threshold)
            link.origin_rate = rate
            if rate < link.threshold:  # origin-limited: the peer pieces share what is left
                peer_level = water_level(
                    link.capacity - rate * link.origin_flows,
                    [f.cap for f in link.flows if not f.origin],
                    0,
                )
        else:
            link.origin_rate = 0.0
        for flow in link.flows:
            flow.rate = link.origin_rate if flow.origin else min(flow.cap, peer_level)

    def _schedule(self, link: Downlink) -> None:
        link.generation += 1
        soonest = UNLIMITED
        for flow in link.flows:
            wait = (flow.marks[flow.next_mark] - flow.done) / flow.rate
            if wait < soonest:
                soonest = wait
        if soonest < UNLIMITED:
            self.queue.at(link.t + max(0.0, soonest), self._wake, link, link.generation)

    def _wake(self, link: Downlink, generation: int) -> None:
        if generation != link.generation:
            return
        self._advance(link, self.queue.now)
        fired: list[tuple[Flow, int]] = []
        finished: list[Flow] = []
        for flow in link.flows:
            slack = max(_EPSILON_BYTES, flow.rate * _EPSILON_S)
            marks = flow.marks
            while flow.next_mark < len(marks) and marks[flow.next_mark] <= flow.done + slack:
                fired.append((flow, flow.next_mark))
                flow.next_mark += 1
            if flow.next_mark == len(marks):
                finished.append(flow)
        if finished:
            for flow in finished:
                link.flows.remove(flow)
                link.origin_flows -= flow.origin
            self._changed(link)
        else:
            self._schedule(link)
        for flow, index in fired:
            flow.on_mark(flow, index)


@dataclass(eq=False)
class _Message:
    destination: str
    downlink: Downlink
    latency: float
    size: int
    deliver: Callable[..., None]
    args: tuple[Any, ...]
    flow: Flow | None = None
    closed: bool = False


class Uplink:
    """One viewer's uplink in the downlink model: its data channels send at once and share it.

    Each destination's channel is ordered, as a data channel is: its pieces leave one at a time
    in the order sent, a size-0 message (HAVE, REQUEST) sent behind a piece leaves with it, and
    nothing arrives before what was sent earlier on the channel (the pair's one-way latency
    after leaving). A piece is a flow on the receiver's downlink, capped at this sender's share
    of its uplink among its pieces in flight (at most one per channel, so on distinct downlinks).

    The shares are max-min with each piece's receiver as it is when they are computed: every
    piece in flight gets the rate its downlink would allow it uncapped
    (`FlowNetwork.allowance`), the uplink is water-filled over those, and a piece whose
    downlink allows less than the level is capped at what it allows, leaving the rest to the
    others; if the downlinks allow less than the uplink in all, each piece also gets an equal
    part of the leftover. The caps always add up to the uplink rate, so the sender never sends
    faster than its uplink. Approximation: the caps are recomputed only when this sender's set
    of pieces in flight changes (a piece starts, leaves or is cut), once, with the downlinks as
    they are then; a downlink that frees up or fills meanwhile (another sender's piece, an
    origin transfer) does not move them until then. Pieces are 16 KiB, so a busy sender's set
    changes every few tens of milliseconds; the error is a piece's worth of rate."""

    def __init__(self, network: FlowNetwork, rate: float) -> None:
        self.network = network
        self.queue = network.queue
        self.rate = rate
        self.in_flight: dict[str, _Message] = {}
        """Per destination: its piece now on the wire (insertion order: deterministic)."""
        self._unsent: dict[str, deque[_Message]] = {}
        """Per destination: its pieces not yet left (the first one in flight) and the size-0
        messages queued behind them."""
        self._last_arrival: dict[str, float] = {}

    def send(
        self,
        destination: str,
        downlink: Downlink,
        latency: float,
        size: int,
        deliver: Callable[..., None],
        *args: Any,
    ) -> None:
        """`deliver(*args)` runs when the message arrives at `destination`."""
        message = _Message(destination, downlink, latency, size, deliver, args)
        unsent = self._unsent.get(destination)
        if not unsent:
            if size == 0:
                self._depart(message)
                return
            self._unsent[destination] = deque((message,))
            self._start(message)
            return
        unsent.append(message)

    def close(self, destination: str) -> None:
        """The channel closed: what it has not sent is dropped, a piece on the wire is cut."""
        self._last_arrival.pop(destination, None)
        for message in self._unsent.pop(destination, ()):
            message.closed = True
        sending = self.in_flight.get(destination)
        flow = sending.flow if sending is not None else None
        # A piece that left in this very instant is not cancelled: `_left` sees it closed.
        if flow is not None and self.network.cancel(flow):
            del self.in_flight[destination]
            self._share(None)

    def _start(self, message: _Message) -> None:
        """`message` (a piece, first on its channel) goes on the wire now."""
        message.flow = Flow([message.size], self._left, cap=self.rate)
        self.in_flight[message.destination] = message
        self._share(message)

    def _share(self, new: _Message | None) -> None:
        """The set of pieces in flight changed: each one's cap is its share of the uplink (see
        the class doc); `new`, not yet on its downlink, starts with its share."""
        network = self.network
        flows: list[Flow] = []
        allowed: list[float] = []
        for message in self.in_flight.values():
            flow = message.flow
            assert flow is not None
            if flow.next_mark == len(flow.marks):
                continue  # left in this very instant; `_left` is on its way
            flows.append(flow)
            allowed.append(network.allowance(flow, message.downlink))
        if not flows:
            return
        level = water_level(self.rate, allowed, 0)
        if level == UNLIMITED:
            extra = (self.rate - sum(allowed)) / len(flows)
            caps = [rate + extra for rate in allowed]
        else:
            caps = [min(rate, level) for rate in allowed]
        new_flow = new.flow if new is not None else None
        for flow, cap in zip(flows, caps, strict=True):
            if flow is new_flow:
                flow.cap = cap
            elif cap != flow.cap:
                network.set_cap(flow, cap)
        if new is not None and new_flow is not None:
            network.start(new_flow, new.downlink)

    def _left(self, flow: Flow, index: int) -> None:
        found = next(((d, m) for d, m in self.in_flight.items() if m.flow is flow), None)
        if found is None:
            return
        destination, message = found
        del self.in_flight[destination]
        following: _Message | None = None
        if not message.closed:
            unsent = self._unsent[destination]
            unsent.popleft()  # the piece: everything before it on the channel has left
            self._depart(message)
            while unsent and unsent[0].size == 0:
                self._depart(unsent.popleft())
            if unsent:
                following = unsent[0]
            else:
                del self._unsent[destination]
        if following is not None:
            self._start(following)
        else:
            self._share(None)

    def _depart(self, message: _Message) -> None:
        arrives = max(
            self.queue.now + message.latency, self._last_arrival.get(message.destination, 0.0)
        )
        self._last_arrival[message.destination] = arrives
        self.queue.at(arrives, message.deliver, *message.args)
