"""The modelled origin link: one egress capacity shared fairly by every transfer in progress
(processor sharing), a per-request latency, a bounded number of transfers served at once and a
bounded wait queue behind them (an overflowing queue answers 503). A herd of fetches therefore
makes every fetch slow, which is the congestion a flash crowd meets.

Processor sharing is computed in virtual time: `v` is how many bytes any one active transfer
has received since the link started, growing at `capacity / active` bytes per second. A
transfer's milestones (piece ends, or just its end) are fixed points in `v`, kept in one heap;
only the next of them is ever scheduled, so a change in the number of transfers costs
O(log n), not O(n).

With viewer downlinks (`SimConfig.peer_down_x`) `FlowOriginLink` keeps the latency, slots and
queue but hands each admitted transfer to the max-min `FlowNetwork` (bench/sim/flows.py): its
rate is then also bounded by its fair share of its viewer's downlink."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from swarmcast.bench.sim.events import EventQueue
from swarmcast.bench.sim.flows import Downlink, Flow, FlowNetwork

_EPSILON_BYTES = 1e-3


@dataclass(eq=False)
class Transfer:
    """One HTTP response body. `marks` are cumulative byte offsets (ascending, the last one is
    the size) at which `on_mark(transfer, index)` fires; `on_fail` fires instead of all marks
    when the origin refuses the request (queue full)."""

    size: int
    marks: list[int]
    on_mark: Callable[[Transfer, int], None]
    on_fail: Callable[[Transfer], None]
    seq: int = -1
    redundant: bool = False
    """Metrics only: not the swarm's first copy of the segment from the origin (another
    transfer of it started earlier, or a member holds it complete; `OriginLink.mark_held`
    flips transfers still running when a member completes the segment)."""
    requested_at: float = 0.0
    admitted_at: float | None = None
    next_mark: int = 0
    start_v: float = 0.0
    downlink: Downlink | None = None
    """The viewer's downlink (set by its HttpClient; used by FlowOriginLink only)."""
    flow: Flow | None = None
    extra: dict[str, object] = field(default_factory=dict)


Meter = Callable[[float, float, float, float], None]
"""(t0, t1, bytes of first-copy transfers, bytes of redundant ones) that flowed in [t0, t1)."""


class OriginLink:
    def __init__(
        self,
        queue: EventQueue,
        capacity_bytes_per_s: float,
        latency_s: float,
        slots: int,
        queue_limit: int,
        meter: Meter | None = None,
    ) -> None:
        if capacity_bytes_per_s <= 0 or slots < 1 or queue_limit < 0:
            raise ValueError("capacity > 0, slots >= 1, queue_limit >= 0")
        self.queue = queue
        self.capacity = capacity_bytes_per_s
        self.latency = latency_s
        self.slots = slots
        self.queue_limit = queue_limit
        self.meter = meter
        self.active = 0
        self.active_redundant = 0
        self.waiting: deque[Transfer] = deque()
        self.refused = 0
        self.bytes_served = 0
        self.peak_in_flight = 0
        self._heap: list[tuple[float, int, Transfer]] = []
        self._order = 0
        self._v = 0.0
        self._t = 0.0
        self._generation = 0
        self._by_seq: dict[int, list[Transfer]] = {}

    @property
    def in_flight(self) -> int:
        """Requests being served or waiting at the origin."""
        return self.active + len(self.waiting)

    def submit(self, transfer: Transfer) -> None:
        """The client sends the request now; it reaches the origin after the latency."""
        transfer.requested_at = self.queue.now
        self._by_seq.setdefault(transfer.seq, []).append(transfer)
        self.queue.at(self.queue.now + self.latency, self._arrive, transfer)

    def flush(self) -> None:
        """Meter what flowed up to now (the meter otherwise only runs when transfers change)."""
        self._advance(self.queue.now)

    def mark_held(self, seq: int) -> None:
        """A swarm member completed `seq`: its transfers still running are redundant from now."""
        self._advance(self.queue.now)
        for transfer in self._by_seq.get(seq, ()):
            if not transfer.redundant:
                transfer.redundant = True
                if transfer.admitted_at is not None:
                    self.active_redundant += 1

    def _forget(self, transfer: Transfer) -> None:
        transfers = self._by_seq.get(transfer.seq)
        if transfers is not None:
            transfers.remove(transfer)
            if not transfers:
                del self._by_seq[transfer.seq]

    # --- internals ------------------------------------------------------------------------

    def _arrive(self, transfer: Transfer) -> None:
        self._advance(self.queue.now)
        if self.active < self.slots:
            self._admit(transfer)
        elif len(self.waiting) < self.queue_limit:
            self.waiting.append(transfer)
        else:
            self.refused += 1
            self._forget(transfer)
            self.queue.at(self.queue.now + self.latency, transfer.on_fail, transfer)
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        self._reschedule()

    def _admit(self, transfer: Transfer) -> None:
        transfer.admitted_at = self.queue.now
        transfer.start_v = self._v
        self.active += 1
        self.active_redundant += transfer.redundant
        self._push(transfer)

    def _push(self, transfer: Transfer) -> None:
        self._order += 1
        mark = transfer.start_v + transfer.marks[transfer.next_mark]
        heapq.heappush(self._heap, (mark, self._order, transfer))

    def _advance(self, now: float) -> None:
        if self.active and now > self._t:
            per_transfer = (now - self._t) * self.capacity / self.active
            self._v += per_transfer
            if self.meter is not None:
                redundant = per_transfer * self.active_redundant
                self.meter(self._t, now, per_transfer * self.active - redundant, redundant)
        self._t = now

    def _reschedule(self) -> None:
        self._generation += 1
        if self._heap:
            wait = (self._heap[0][0] - self._v) * self.active / self.capacity
            self.queue.at(self._t + max(0.0, wait), self._wake, self._generation)

    def _finished(self, transfer: Transfer) -> None:
        """`transfer`'s last byte is out: it leaves the served set."""
        self.active -= 1
        self.active_redundant -= transfer.redundant
        self.bytes_served += transfer.size
        self._forget(transfer)

    def _admit_waiting(self) -> None:
        while self.waiting and self.active < self.slots:
            self._admit(self.waiting.popleft())

    def _wake(self, generation: int) -> None:
        if generation != self._generation:
            return
        self._advance(self.queue.now)
        fired: list[tuple[Transfer, int]] = []
        heap = self._heap
        while heap and heap[0][0] <= self._v + _EPSILON_BYTES:
            _, _, transfer = heapq.heappop(heap)
            fired.append((transfer, transfer.next_mark))
            transfer.next_mark += 1
            if transfer.next_mark < len(transfer.marks):
                self._push(transfer)
            else:
                self._finished(transfer)
        self._admit_waiting()
        self._reschedule()
        for transfer, index in fired:
            transfer.on_mark(transfer, index)


class FlowOriginLink(OriginLink):
    """The origin when viewers have downlinks: the same latency, slots, wait queue and 503s,
    but an admitted transfer is a flow of the shared `FlowNetwork` (origin egress + its
    viewer's downlink, max-min fair), which also meters the origin bytes."""

    def __init__(
        self,
        network: FlowNetwork,
        latency_s: float,
        slots: int,
        queue_limit: int,
    ) -> None:
        super().__init__(network.queue, network.origin_capacity, latency_s, slots, queue_limit)
        self.network = network

    def flush(self) -> None:
        self.network.flush()

    def mark_held(self, seq: int) -> None:
        for transfer in self._by_seq.get(seq, ()):
            if transfer.redundant:
                continue
            transfer.redundant = True
            flow = transfer.flow
            if flow is not None and flow.downlink is not None:
                self.network.advance(flow.downlink)  # bytes so far were first copies
                flow.redundant = True
                self.active_redundant += 1

    def _advance(self, now: float) -> None:
        """Nothing: the network counts bytes per downlink."""

    def _reschedule(self) -> None:
        """Nothing: the network schedules each downlink's next mark."""

    def _admit(self, transfer: Transfer) -> None:
        if transfer.downlink is None:
            raise ValueError("FlowOriginLink: a transfer needs its viewer's downlink")
        transfer.admitted_at = self.queue.now
        self.active += 1
        self.active_redundant += transfer.redundant

        def on_mark(flow: Flow, index: int) -> None:
            if index == len(transfer.marks) - 1:
                self._finished(transfer)
                self._admit_waiting()
            transfer.on_mark(transfer, index)

        transfer.flow = Flow(transfer.marks, on_mark, origin=True, redundant=transfer.redundant)
        self.network.start(transfer.flow, transfer.downlink)


class HttpClient:
    """A browser's per-host connection limit (6 for HTTP/1.1 in Chromium): requests beyond it
    wait in the client, in order, before they reach the origin. `downlink`: the viewer's, for
    a FlowOriginLink."""

    def __init__(
        self, origin: OriginLink, max_connections: int, downlink: Downlink | None = None
    ) -> None:
        self.origin = origin
        self.max_connections = max(1, max_connections)
        self.downlink = downlink
        self.active = 0
        self._waiting: deque[Transfer] = deque()

    def request(self, transfer: Transfer) -> None:
        on_mark, on_fail = transfer.on_mark, transfer.on_fail

        def mark(t: Transfer, index: int) -> None:
            if index == len(t.marks) - 1:
                self._release()
            on_mark(t, index)

        def fail(t: Transfer) -> None:
            self._release()
            on_fail(t)

        transfer.on_mark, transfer.on_fail = mark, fail
        transfer.downlink = self.downlink
        if self.active < self.max_connections:
            self.active += 1
            self.origin.submit(transfer)
        else:
            self._waiting.append(transfer)

    def _release(self) -> None:
        self.active -= 1
        if self._waiting and self.active < self.max_connections:
            self.active += 1
            self.origin.submit(self._waiting.popleft())
