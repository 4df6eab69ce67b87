"""An optional per-peer timeline (`swarmcast peer --timeline FILE`): what the peer saw and
decided, per segment, with wall-clock times, in the same event format as the browser shim's
(player-shim/src/timeline.ts), so `e2e.lab.timeline_report` reads and plots both.

`EventTimeline` is the bounded ring; `NodeTimeline` is what `PeerNode` calls, one line per event
(a no-op when the timeline is off), and keeps the bookkeeping (open transfers, neighbours' HAVEs)
out of the node.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from swarmcast.peer import scheduler_actions as act
from swarmcast.peer.segment_store import CompleteView
from swarmcast.protocol import wire

if TYPE_CHECKING:
    from swarmcast.peer.peer_node import PeerNode

DEFAULT_TIMELINE_CAPACITY = 5000
MAX_OPEN_TRANSFERS = 1000  # a leak guard, not a limit: the oldest open transfer is forgotten


def wall_ms() -> float:
    return time.time() * 1000.0


class EventTimeline:
    """The last `capacity` events, oldest first; transfers as `<kind>-start`/`<kind>-end`."""

    def __init__(
        self, capacity: int = DEFAULT_TIMELINE_CAPACITY, wall: Callable[[], float] = wall_ms
    ) -> None:
        if capacity <= 0:
            raise ValueError(f"timeline capacity must be positive, not {capacity}")
        self.capacity = capacity
        self.recorded = 0
        self._wall = wall
        self._ring: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._open: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def record(self, kind: str, seq: int | None, **detail: Any) -> None:
        event: dict[str, Any] = {**detail, "t": round(self._wall(), 1), "kind": kind}
        if seq is not None:
            event["seq"] = seq
        self._ring.append(event)
        self.recorded += 1

    def begin(self, transfer_id: str, kind: str, seq: int, **detail: Any) -> None:
        if len(self._open) >= MAX_OPEN_TRANSFERS:
            self._open.popitem(last=False)
        self._open[transfer_id] = {
            "t0": round(self._wall(), 1), "kind": kind, "seq": seq, "bytes": 0, "detail": detail,
        }  # fmt: skip
        self.record(f"{kind}-start", seq, id=transfer_id, **detail)

    def progress(self, transfer_id: str, nbytes: int) -> bool:
        transfer = self._open.get(transfer_id)
        if transfer is not None:
            transfer["bytes"] += nbytes
        return transfer is not None

    def end(self, transfer_id: str, outcome: str, **detail: Any) -> None:
        transfer = self._open.pop(transfer_id, None)
        if transfer is None:
            return
        self.record(
            f"{transfer['kind']}-end", transfer["seq"], id=transfer_id,
            **{**transfer["detail"], **detail}, t0=transfer["t0"], bytes=transfer["bytes"],
            outcome=outcome,
        )  # fmt: skip

    def open_ids(self, prefix: str) -> list[str]:
        return [key for key in self._open if key.startswith(prefix)]

    def events(self) -> list[dict[str, Any]]:
        return list(self._ring)

    def dump(self) -> dict[str, Any]:
        return {"capacity": self.capacity, "recorded": self.recorded, "events": self.events()}


class NodeTimeline:
    """The node's recorder; every method does nothing when `timeline` is None."""

    def __init__(self, timeline: EventTimeline | None) -> None:
        self.timeline = timeline
        self._haves: dict[str, set[int]] = {}
        self._owed: dict[str, int] = {}  # pieces still owed per open peer request
        self._node: PeerNode | None = None
        self._stall_since: float | None = None

    def attach(self, node: PeerNode) -> None:
        """The node whose playhead, playlist and scheduler the records describe."""
        self._node = node

    def _context(self, seq: int) -> dict[str, Any]:
        """A decision's context: due in (s), playing, the HTTP rate estimate."""
        node = self._node
        if node is None or not hasattr(node, "sched"):
            return {}
        playhead = node.playhead
        span = node.feed.timeline.spans.get(seq) if hasattr(node, "feed") else None
        due = None
        if span is not None and playhead is not None:
            due = round(span[0] - playhead.position_at(node.now()), 2)
        return {
            "dueS": due,
            "playing": bool(playhead and playhead.playing),
            "httpRate": round(node.sched.clock.http_rate),
        }

    def decision(self, now: float, seq: int, kind: str, detail: dict[str, Any]) -> None:
        """The scheduler's `on_decision` hook."""
        if self.timeline is None:
            return
        extra = {**self._context(seq), "holders": self.holders(seq)} if seq >= 0 else {}
        self.timeline.record("decision", seq if seq >= 0 else None, why=kind, **detail, **extra)

    def segment_added(self, seq: int, start: float, size: int, live_edge: bool) -> None:
        if self.timeline is not None:
            self.timeline.record("segment-added", seq, start=start, size=size,
                                 liveEdge=live_edge, holders=self.holders(seq))  # fmt: skip

    def message(self, peer: str, message: wire.Message) -> None:
        """A frame from a neighbour after HELLO."""
        tl = self.timeline
        if tl is None:
            return
        match message:
            case wire.Have():
                seqs = set(message.seqs())
                self._haves[peer] = seqs
                tl.record("have", None, peer=peer, count=len(seqs), max=max(seqs, default=None))
            case wire.HaveDelta(seq):
                self._haves.setdefault(peer, set()).add(seq)
                tl.record("have-delta", seq, peer=peer)
            case wire.Piece(request_id, _seq, _index, data):
                key = f"req:{peer}:{request_id}"
                if tl.progress(key, len(data)):
                    self._owed[key] = self._owed.get(key, 1) - 1
                    if self._owed[key] <= 0:
                        del self._owed[key]
                        tl.end(key, "ok")
            case wire.Reject(request_id, reason):
                tl.end(f"req:{peer}:{request_id}", "rejected", reason=int(reason))
            case wire.Choke() | wire.Unchoke():
                tl.record("choke" if isinstance(message, wire.Choke) else "unchoke", None,
                          peer=peer)  # fmt: skip

    def action(self, action: act.Action) -> None:
        """A scheduler action about to be carried out."""
        tl = self.timeline
        if tl is None:
            return
        match action:
            case act.RequestPieces(peer, request_id, seq, _first, count):
                key = f"req:{peer}:{request_id}"
                self._owed[key] = count
                tl.begin(key, "peer", seq, peer=peer, pieces=count)
            case act.CancelRequest(peer, request_id):
                self._owed.pop(f"req:{peer}:{request_id}", None)
                tl.end(f"req:{peer}:{request_id}", "cancelled")
            case act.AnnounceHave():
                self._buffer()
            case act.DeadlineMissed(seq):
                tl.record("deadline-missed", seq, **self._context(seq))
            case act.DropPeer(peer, reason):
                tl.record("drop-peer", None, peer=peer, reason=reason)

    async def fetch(self, action: act.FetchHttp, download: Awaitable[None]) -> None:
        """Run an origin download (`peer.origin_fetch.fetch_pieces`), recorded as a transfer:
        its bytes are the pieces of its range held afterwards (outcome "ok" if all are)."""
        tl, node = self.timeline, self._node
        if tl is None or node is None:
            return await download
        key = f"http:{action.fetch_id}"
        tl.begin(key, "http", action.seq, pieces=action.piece_count, **self._context(action.seq))
        outcome = "error"
        try:
            await download
            outcome = "ok"
        finally:
            indexes = range(action.first_piece, action.first_piece + action.piece_count)
            held = [i for i in indexes if node.store.has_piece(action.seq, i)]
            record = node.store.record(action.seq)
            if record is not None:
                tl.progress(key, sum(len(range(*record.piece_range(i))) for i in held))
            tl.end(key, outcome if len(held) == action.piece_count else "incomplete")

    def peer_opened(self, peer: str) -> None:
        if self.timeline is not None:
            self.timeline.record("peer-open", None, peer=peer)

    def peer_closed(self, peer: str, reason: str) -> None:
        if self.timeline is None:
            return
        self._haves.pop(peer, None)
        for key in self.timeline.open_ids(f"req:{peer}:"):
            self._owed.pop(key, None)
            self.timeline.end(key, "peer-closed")
        self.timeline.record("peer-close", None, peer=peer, reason=reason)

    def playhead_changed(self, now: float) -> None:
        """The simulated player started, stalled or resumed: a stall event and a buffer sample
        (the browser's `stall` and `buffer` events have the same fields)."""
        playhead = self._node.playhead if self._node is not None else None
        if self.timeline is None or playhead is None:
            return
        pos = round(playhead.position_at(now), 2)
        if playhead.playing and self._stall_since is not None:
            ms = round((now - self._stall_since) * 1000)
            self.timeline.record("stall", None, phase="end", pos=pos, ms=ms)
            self._stall_since = None
        elif not playhead.playing and playhead.started and self._stall_since is None:
            self._stall_since = now
            self.timeline.record("stall", None, phase="start", pos=pos)
        self._buffer()

    def _buffer(self) -> None:
        """A sample of the seconds of complete media ahead of the simulated playhead."""
        node = self._node
        if self.timeline is None or node is None or node.playhead is None:
            return
        playhead, media, complete = node.playhead, node.feed.timeline, CompleteView(node.store)
        now = node.now()
        position = playhead.position_at(now)
        seq = media.seq_at(position)
        ahead = 0.0
        while seq is not None and seq in complete and seq in media.spans:
            start, duration = media.spans[seq]
            ahead += start + duration - max(start, position)
            seq += 1
        self.timeline.record("buffer", None, ahead=round(ahead, 2), pos=round(position, 2),
                             paused=not playhead.playing)  # fmt: skip

    def holders(self, seq: int) -> int:
        return sum(1 for seqs in self._haves.values() if seq in seqs)

    def dump(self) -> dict[str, Any] | None:
        return self.timeline.dump() if self.timeline is not None else None
