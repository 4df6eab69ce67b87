"""The download side's bookkeeping for `peer.piece_scheduler`: segments being fetched, complete
local segments, neighbours, and requests/fetches in flight, kept consistent with each other
(releasing a request frees its pieces, a complete segment moves to `local`). No policy, no I/O."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from swarmcast.peer.download_state import HttpFetch, PeerRequest, RemotePeer, SegmentState
from swarmcast.peer.scheduler_actions import (
    Action,
    AnnounceHave,
    CancelRequest,
    FetchHttp,
    RequestPieces,
)
from swarmcast.peer.scheduler_stats import SchedulerStats
from swarmcast.peer.upload_scheduler import LocalSegment

_T = TypeVar("_T")


class DownloadBook:
    """What the scheduler knows and has in flight; `emit` receives the actions that follow
    directly from a bookkeeping change (REQUEST, CANCEL, HTTP fetch, HAVE_DELTA)."""

    def __init__(
        self,
        emit: Callable[[Action], None],
        stats: SchedulerStats,
        relay_every: int = 0,
        origin_every: int = 1,
    ) -> None:
        self.segments: dict[int, SegmentState] = {}
        self.local: dict[int, LocalSegment] = {}
        self.peers: dict[str, RemotePeer] = {}  # change through add_peer / forget_peer
        self._by_id: list[RemotePeer] = []
        self.requests: dict[int, PeerRequest] = {}
        self.fetches: dict[int, HttpFetch] = {}
        self._emit = emit
        self._stats = stats
        # Copies taken from peers are announced too (HAVE_PIECES when the first request goes out,
        # then every `relay_every` pieces), so members several hops from the origin fetcher learn
        # that a copy is on its way and relay it (0: only origin copies are announced).
        self._relay_every = relay_every
        # Origin copies: announced when the fetch starts, then every `origin_every` pieces.
        self._origin_every = max(1, origin_every)
        self.promise_s = 0.0  # see usable_holders; set by the scheduler from its config
        self._next_request_id = 1
        self._next_fetch_id = 1

    # --- opening requests and fetches -----------------------------------------------------

    def open_request(
        self, now: float, peer: RemotePeer, segment: SegmentState, first: int, end: int
    ) -> None:
        """Ask `peer` for pieces [first, end) of `segment`."""
        request = PeerRequest(
            self._next_request_id, peer.peer_id, segment.seq, set(range(first, end)), now
        )
        self._next_request_id += 1
        segment.assign(first, end, request.request_id)
        segment.requested = True
        if segment.peer_wait_since is None:
            segment.peer_wait_since = now
        if self._relay_every > 0 and segment.announced_count < 0:
            segment.announce_pending = True
        peer.requests[request.request_id] = request
        self.requests[request.request_id] = request
        self._stats.requests_sent += 1
        self._emit(RequestPieces(peer.peer_id, request.request_id, segment.seq, first, end - first))

    def open_fetch(self, now: float, segment: SegmentState, first: int, end: int) -> None:
        """Fetch pieces [first, end) of `segment` from the origin."""
        size = sum(segment.piece_bytes(i) for i in range(first, end))
        fetch = HttpFetch(
            self._next_fetch_id,
            segment.seq,
            set(range(first, end)),
            now,
            size,
            segment.piece_size,
            segment.size,
        )
        self._next_fetch_id += 1
        segment.assign(first, end, -fetch.fetch_id)
        segment.announce_pending = True  # neighbours wait for this copy instead of fetching
        self.fetches[fetch.fetch_id] = fetch
        self._stats.http_fetches += 1
        self._emit(FetchHttp(fetch.fetch_id, segment.seq, first, end - first))

    # --- results --------------------------------------------------------------------------

    def store_piece(self, segment: SegmentState, index: int, *, from_origin: bool = False) -> None:
        """Record a verified piece; a segment that completes moves to `local` and is announced.
        Pieces of an incomplete segment are announced (HAVE_PIECES) once `origin_every` of
        them (origin pieces) or `relay_every` (pieces from peers) were not announced yet."""
        if segment.have[index]:
            self._stats.duplicate_bytes += segment.piece_bytes(index)
            return
        segment.mark_have(index)
        if not segment.complete:
            # Relayed before the segment is complete (cut-through): the origin copy is the one
            # neighbours wait for; pieces from peers they can get from those peers.
            fresh = segment.have_count - max(0, segment.announced_count)
            if from_origin:
                due = fresh >= self._origin_every
            else:
                due = self._relay_every > 0 and fresh >= self._relay_every
            segment.announce_pending = segment.announce_pending or due
            return
        for request in [r for r in self.requests.values() if r.seq == segment.seq]:
            self._emit(CancelRequest(request.peer_id, request.request_id))
            self.remove_request(request)
        del self.segments[segment.seq]  # fetches still running finish as duplicates
        self.local[segment.seq] = LocalSegment(
            segment.piece_count, segment.size, segment.piece_size
        )
        self._stats.segments_completed += 1
        self._emit(AnnounceHave(segment.seq))

    def fail_fetch(self, fetch_id: int) -> SegmentState | None:
        """Forget a failed fetch and free its pieces; returns the segment it was for, if any
        is still wanted (None also when the fetch is unknown)."""
        fetch = self.fetches.pop(fetch_id, None)
        if fetch is None:
            return None
        self._stats.http_failures += 1
        segment = self.segments.get(fetch.seq)
        if segment is not None:
            for index in fetch.pending:
                segment.unassign(index, -fetch_id)
        return segment

    # --- queries --------------------------------------------------------------------------

    def add_peer(self, peer: RemotePeer) -> None:
        self.peers[peer.peer_id] = peer
        self._by_id = sorted(self.peers.values(), key=lambda p: p.peer_id)

    def peers_by_id(self) -> list[RemotePeer]:
        """The neighbours sorted by id (kept sorted: asked for on every scheduling pass)."""
        return self._by_id

    def usable_holders(self, now: float, seq: int) -> list[RemotePeer]:
        """Neighbours that announced all or part of `seq` and may be asked now, by id. A copy
        announced with no piece yet counts only while that word is fresh (`promise_s`): a
        neighbour whose copy never started must not hold our own fetch back."""
        promise = self.promise_s
        out = []
        for p in self._by_id:
            if p.choking_us or now < p.cooldown_until:
                continue
            if seq in p.haves:
                out.append(p)
                continue
            held = p.partial.get(seq)
            if held is None:
                continue
            if held or promise <= 0 or now - p.partial_at.get(seq, -1e18) < promise:
                out.append(p)  # pieces, or a fresh word of a copy that is starting
        return out

    def partial_to_forget(self, peer: RemotePeer) -> int:
        """Which of `peer`'s partial copies to forget when it announced more than we keep
        (`max_partial_per_peer`): one of a segment we no longer need (complete here, played or
        dropped; the oldest first), else the one we need last (the highest seq). Forgetting the
        oldest instead dropped the copy a long stall waits on as soon as the word of the 16th
        newer segment arrived, for every stalled neighbour of it in the same second: all took
        the rest from the origin at once (bench/results/sim-congestion-notes.md, seeds 192
        and 210)."""
        newest = max(max(self.segments, default=-1), max(self.local, default=-1))
        done = [seq for seq in peer.partial if seq not in self.segments and seq <= newest]
        return min(done) if done else max(peer.partial)

    def origin_copy_rate(self, now: float, seq: int) -> float | None:
        """How fast the fastest usable neighbour's origin fetch of `seq` is arriving, in
        bytes/s, as that neighbour last said (None: none said). The sender measures it: when
        its words reach us says as much about its uplink's queue as about the origin (on small
        uplinks a fast origin looked slow, bench/results/flash-crowd/sim-s15/README.md)."""
        said = [p.origin_rate.get(seq) for p in self._by_id]
        return max(self._usable_said(now, said), default=None)

    def origin_fetch_rate(self, now: float, seq: int) -> int:
        """How fast our own origin fetches of `seq` are arriving, in bytes/s: their bytes so
        far over the time since the first began (0: none running, or no byte yet)."""
        received = 0
        began: float | None = None
        for fetch in self.fetches.values():
            if fetch.seq != seq:
                continue
            received += fetch.size - sum(fetch.piece_bytes(i) for i in fetch.pending)
            began = fetch.sent_at if began is None else min(began, fetch.sent_at)
        if began is None or received <= 0 or now <= began:
            return 0
        return int(received / (now - began))

    def latest_progress(self, now: float, seq: int) -> float | None:
        """When a usable neighbour last announced progress on its partial copy of `seq`."""
        said = [p.partial_at.get(seq) for p in self._by_id]
        return max(self._usable_said(now, said), default=None)

    def _usable_said(self, now: float, said: list[_T | None]) -> list[_T]:
        """What each neighbour said (`said`, in `_by_id` order; None: nothing), kept for the
        ones we may ask now: not choking us, not cooling down."""
        return [
            value
            for p, value in zip(self._by_id, said, strict=True)
            if value is not None and not p.choking_us and now >= p.cooldown_until
        ]

    # --- forgetting -----------------------------------------------------------------------

    def cancel_request(self, request: PeerRequest) -> None:
        """Send CANCEL for `request` and release its pieces."""
        self._emit(CancelRequest(request.peer_id, request.request_id))
        self.release_request(request)

    def release_request(self, request: PeerRequest) -> None:
        """Forget a request; its pieces become unassigned (late PIECEs are still welcome)."""
        segment = self.segments.get(request.seq)
        if segment is not None:
            for index in request.pending:
                segment.unassign(index, request.request_id)
        self.remove_request(request)

    def remove_request(self, request: PeerRequest) -> None:
        self.requests.pop(request.request_id, None)
        peer = self.peers.get(request.peer_id)
        if peer is not None:
            peer.requests.pop(request.request_id, None)

    def forget_peer(self, peer_id: str) -> bool:
        """Remove a neighbour and release its requests; False if it was unknown."""
        peer = self.peers.get(peer_id)
        if peer is None:
            return False
        for request in list(peer.requests.values()):
            self.release_request(request)
        del self.peers[peer_id]
        self._by_id = [p for p in self._by_id if p.peer_id != peer_id]
        return True

    def drop_segment(self, seq: int) -> None:
        """Stop fetching `seq`: cancel its peer requests and forget its HTTP fetches."""
        segment = self.segments.pop(seq, None)
        if segment is None:
            return
        for request in [r for r in self.requests.values() if r.seq == seq]:
            self._emit(CancelRequest(request.peer_id, request.request_id))
            self.remove_request(request)
        for fetch_id in [f for f, fetch in self.fetches.items() if fetch.seq == seq]:
            del self.fetches[fetch_id]
