"""Upload side of the pure scheduler: upload slots (choke/unchoke), per-peer request queues and
the optional rate cap. No I/O; actions go to the `emit` callback given by `PieceScheduler`.

Semantics (shared with the TypeScript port):
- On connect a peer gets UNCHOKE if a slot is free, else CHOKE.
- A request from a choked peer is rejected (`choked`) and the peer is queued for a slot; the
  longest-waiting peer gets the next free slot. An unchoked peer that has asked for nothing for
  `idle_unchoke_timeout_s` gives its slot up when someone is waiting.
- Choking a peer drops its queued pieces without REJECTs (the peer drops its requests too).
- Queued pieces are sent round-robin over peers, one piece at a time, within the rate cap.
  Every scheduler event first sends what the cap allows by then (`catch_up`): a timer due
  before an event that the event loop handled first must not be lost with the re-armed timer.
- `set_limits` changes the cap and slots in a running session (the operator's upload policy):
  fewer slots choke the excess holders, idle ones first (oldest request first, then id); more
  slots go to waiting peers. A new rate starts a full bucket; the same rate keeps the bucket.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from swarmcast.peer.download_state import SegmentState
from swarmcast.peer.scheduler_actions import Action, Choke, RejectRequest, SendPiece, Unchoke
from swarmcast.peer.scheduler_config import SchedulerConfig
from swarmcast.peer.scheduler_stats import SchedulerStats
from swarmcast.protocol.token_bucket import TokenBucket


@dataclass(frozen=True)
class LocalSegment:
    """A complete, verified segment we can serve."""

    piece_count: int
    size: int
    piece_size: int

    def piece_bytes(self, index: int) -> int:
        return min(self.piece_size, self.size - index * self.piece_size)


@dataclass
class _QueuedPiece:
    request_id: int
    seq: int
    index: int
    size: int


@dataclass
class _Downloader:
    unchoked: bool = False
    waiting_since: float | None = None
    last_request_at: float = 0.0
    queue: deque[_QueuedPiece] = field(default_factory=deque)


class UploadScheduler:
    """Decides which peer gets which of our pieces, and when."""

    def __init__(
        self,
        config: SchedulerConfig,
        emit: Callable[[Action], None],
        local_segments: dict[int, LocalSegment],
        stats: SchedulerStats,
        now: float,
        partial_segments: Mapping[int, SegmentState] | None = None,
    ) -> None:
        self._config = config
        self._emit = emit
        self._local = local_segments
        # Incomplete segments: their verified pieces are served too (cut-through relay).
        self._partial: Mapping[int, SegmentState] = (
            partial_segments if partial_segments is not None else {}
        )
        self._stats = stats
        self._peers: dict[str, _Downloader] = {}
        self._last_served: str | None = None
        self._bucket = (
            TokenBucket(config.upload_rate_bytes_per_s, config.upload_burst_bytes, now)
            if config.upload_rate_bytes_per_s is not None
            else None
        )
        self._slots = config.upload_slots  # the config's, until `set_limits`

    def set_limits(self, now: float, rate_bytes_per_s: float | None, slots: int) -> None:
        """New cap (None: none) and slots for the running session (see the module notes)."""
        if (rate_bytes_per_s is not None and rate_bytes_per_s <= 0) or slots < 0:
            raise ValueError("upload rate must be > 0 or None and slots >= 0")
        if rate_bytes_per_s != (self._bucket.rate if self._bucket is not None else None):
            self._bucket = (
                TokenBucket(rate_bytes_per_s, self._config.upload_burst_bytes, now)
                if rate_bytes_per_s is not None
                else None
            )
        self._slots = slots
        holders = sorted(
            (bool(d.queue), d.last_request_at, pid) for pid, d in self._peers.items() if d.unchoked
        )
        for _, _, peer_id in holders[: max(0, len(holders) - slots)]:
            downloader = self._peers[peer_id]
            downloader.unchoked = False
            downloader.waiting_since = now  # it wanted to download: first in line for a slot
            downloader.queue.clear()
            self._emit(Choke(peer_id))
        self._fill_free_slots(now)
        self.pump(now)

    # --- peers ----------------------------------------------------------------------------

    def peer_connected(self, now: float, peer_id: str) -> None:
        downloader = _Downloader(last_request_at=now)
        self._peers[peer_id] = downloader
        if self._unchoked_count() < self._slots:
            downloader.unchoked = True
            self._emit(Unchoke(peer_id))
        else:
            self._emit(Choke(peer_id))

    def peer_closed(self, now: float, peer_id: str) -> None:
        downloader = self._peers.pop(peer_id, None)
        if downloader is not None and downloader.unchoked:
            self._fill_free_slots(now)

    # --- requests -------------------------------------------------------------------------

    def request(
        self, now: float, peer_id: str, request_id: int, seq: int, first: int, count: int
    ) -> None:
        downloader = self._peers.get(peer_id)
        if downloader is None:
            return
        downloader.last_request_at = now
        if not downloader.unchoked:
            if downloader.waiting_since is None:
                downloader.waiting_since = now
            self._emit(RejectRequest(peer_id, request_id, "choked"))
            self._fill_free_slots(now)
            return
        segment: LocalSegment | SegmentState | None = self._local.get(seq)
        if segment is None:
            segment = self._partial.get(seq)
            if segment is None:
                self._emit(RejectRequest(peer_id, request_id, "not_have"))
                return
        if count < 1 or first < 0 or first + count > segment.piece_count:
            self._emit(RejectRequest(peer_id, request_id, "bad_request"))
            return
        if isinstance(segment, SegmentState) and not all(segment.have[first : first + count]):
            self._emit(RejectRequest(peer_id, request_id, "not_have"))
            return
        if len(downloader.queue) + count > self._config.max_upload_queue_pieces:
            self._emit(RejectRequest(peer_id, request_id, "busy"))
            return
        for index in range(first, first + count):
            downloader.queue.append(
                _QueuedPiece(request_id, seq, index, segment.piece_bytes(index))
            )
        self.pump(now)

    def cancel(self, now: float, peer_id: str, request_id: int) -> None:
        downloader = self._peers.get(peer_id)
        if downloader is not None:
            downloader.queue = deque(p for p in downloader.queue if p.request_id != request_id)

    def segment_removed(self, seq: int) -> None:
        """Queued pieces of an evicted segment can no longer be sent (the peer's request
        times out on its side and it goes elsewhere)."""
        for downloader in self._peers.values():
            downloader.queue = deque(p for p in downloader.queue if p.seq != seq)

    # --- sending --------------------------------------------------------------------------

    def pump(self, now: float) -> None:
        """Emit SendPiece for as many queued pieces as the cap allows, round-robin."""
        while True:
            peer_id = self._next_peer()
            if peer_id is None:
                return
            piece = self._peers[peer_id].queue[0]
            if self._bucket is not None and not self._bucket.try_consume(now, piece.size):
                return
            self._peers[peer_id].queue.popleft()
            self._last_served = peer_id
            self._stats.bytes_uploaded += piece.size
            self._stats.pieces_uploaded += 1
            self._emit(SendPiece(peer_id, piece.request_id, piece.seq, piece.index))

    def catch_up(self, now: float) -> None:
        """Send what the cap allows by now (the scheduler calls it at every event). Without a
        cap nothing waits in the queues, so this acts only under one."""
        if self._bucket is not None:
            self.pump(now)

    def _next_peer(self) -> str | None:
        ready = sorted(pid for pid, d in self._peers.items() if d.unchoked and d.queue)
        if not ready:
            return None
        if self._last_served is not None:
            for peer_id in ready:
                if peer_id > self._last_served:
                    return peer_id
        return ready[0]

    # --- time -----------------------------------------------------------------------------

    def next_timer(self, now: float) -> float | None:
        times: list[float] = []
        if self._bucket is not None:
            peer_id = self._next_peer()
            if peer_id is not None:
                times.append(self._bucket.ready_at(now, self._peers[peer_id].queue[0].size))
        waiting = False  # any(...) over a generator costs more than the loop (every event)
        for d in self._peers.values():
            if not d.unchoked and d.waiting_since is not None:
                waiting = True
                break
        if waiting:
            times.extend(
                d.last_request_at + self._config.idle_unchoke_timeout_s
                for d in self._peers.values()
                if d.unchoked and not d.queue
            )
        future = [t for t in times if t > now]
        return min(future) if future else None

    def handle_timer(self, now: float) -> None:
        self._rotate_idle(now)
        self.pump(now)

    def _waiting(self) -> list[str]:
        waiting = [
            (d.waiting_since, pid)
            for pid, d in self._peers.items()
            if not d.unchoked and d.waiting_since is not None
        ]
        return [pid for _, pid in sorted(waiting)]

    def _unchoked_count(self) -> int:
        return sum(1 for d in self._peers.values() if d.unchoked)

    def _fill_free_slots(self, now: float) -> None:
        for peer_id in self._waiting():
            if self._unchoked_count() >= self._slots:
                return
            self._unchoke(now, peer_id)

    def _unchoke(self, now: float, peer_id: str) -> None:
        downloader = self._peers[peer_id]
        downloader.unchoked = True
        downloader.waiting_since = None
        downloader.last_request_at = now  # a fresh slot holder gets a full idle period
        self._emit(Unchoke(peer_id))

    def _rotate_idle(self, now: float) -> None:
        """Hand the slots of idle unchoked peers to peers waiting for one."""
        waiting = self._waiting()
        if not waiting:
            return
        idle = sorted(
            (d.last_request_at, pid)
            for pid, d in self._peers.items()
            if d.unchoked
            and not d.queue
            and now >= d.last_request_at + self._config.idle_unchoke_timeout_s
        )
        for (_, idle_id), waiting_id in zip(idle, waiting, strict=False):
            self._peers[idle_id].unchoked = False
            self._emit(Choke(idle_id))
            self._unchoke(now, waiting_id)
