"""The neighbour-facing entry points of the pure scheduler (`peer.piece_scheduler`), split out of
it to keep each file readable: what neighbours announce (HAVE, HAVE_DELTA, HAVE_PIECES, CHOKE),
what they ask of this member (REQUEST, CANCEL, under the upload limits), and the HAVE_PIECES this
member announces. The TypeScript port splits the same way (`scheduler_neighbours.ts`).

`PieceScheduler` mixes this in; the attributes and hooks below are the scheduler's."""

from __future__ import annotations

from swarmcast.peer.deadline_clock import DeadlineClock
from swarmcast.peer.download_book import DownloadBook
from swarmcast.peer.origin_gate import OriginGate
from swarmcast.peer.scheduler_actions import Action, AnnouncePieces
from swarmcast.peer.scheduler_config import SchedulerConfig
from swarmcast.peer.upload_scheduler import UploadScheduler

MAX_PIECES_PER_SEGMENT = 65536
"""Piece indices are u16 on the wire (§5)."""


class SchedulerNeighbours:
    config: SchedulerConfig
    book: DownloadBook
    clock: DeadlineClock
    gate: OriginGate
    upload: UploadScheduler
    _actions: list[Action]

    # Hooks the scheduler provides.
    def _advance(self, now: float) -> None:
        raise NotImplementedError

    def _schedule(self, now: float) -> None:
        raise NotImplementedError

    # --- what neighbours announce --------------------------------------------------------

    def peer_have(self, now: float, peer_id: str, seqs: list[int]) -> None:
        self._advance(now)
        peer = self.book.peers.get(peer_id)
        if peer is not None:
            peer.haves = set(seqs)
            for seq in peer.haves:
                peer.forget_partial(seq)
            self._schedule(now)

    def peer_have_delta(self, now: float, peer_id: str, seq: int) -> None:
        self._advance(now)
        peer = self.book.peers.get(peer_id)
        if peer is not None:
            peer.haves.add(seq)
            peer.forget_partial(seq)
            self._schedule(now)

    def peer_have_pieces(
        self, now: float, peer_id: str, seq: int, pieces: list[int], origin_rate: int = 0
    ) -> None:
        """HAVE_PIECES: the neighbour holds these verified pieces of `seq` (none: it is fetching
        `seq` from the origin now) and announces more as they arrive; its own origin fetch of
        `seq` is arriving at `origin_rate` bytes/s (0: not said). Replaces what it said of
        `seq` before. Kept also for segments we do not know yet (the elected member's word
        usually arrives before our playlist refresh), at most `max_partial_per_peer` of them."""
        self._advance(now)
        peer = self.book.peers.get(peer_id)
        if peer is None or seq in peer.haves or seq in self.book.local:
            return
        segment = self.book.segments.get(seq)
        count = segment.piece_count if segment is not None else MAX_PIECES_PER_SEGMENT
        held = set(pieces)
        top = max(held, default=-1)
        if top >= count or (held and min(held) < 0):  # indices past the segment are dropped
            held = {i for i in held if 0 <= i < count}
            top = max(held, default=-1)
        before = peer.partial.get(seq)
        if before is None or not held <= before:
            # Progress: the first word of a copy, or pieces it did not have. Repeating itself
            # does not count, so a neighbour cannot hold our takeover back with empty promises.
            since = peer.partial_at.get(seq)
            if before is not None and since is not None and segment is not None:
                self.clock.copy_progress(len(held - before) * segment.piece_size, now - since)
            peer.partial_at[seq] = now
        peer.partial[seq] = held
        peer.partial_top[seq] = top
        if origin_rate > 0:
            peer.origin_rate[seq] = origin_rate
            self.clock.neighbour_origin_rate_said(now, origin_rate)
        else:
            peer.origin_rate.pop(seq, None)
        while len(peer.partial) > self.config.max_partial_per_peer:
            peer.forget_partial(self.book.partial_to_forget(peer))
        self._schedule(now)

    def peer_choked(self, now: float, peer_id: str, choked: bool) -> None:
        """CHOKE from `peer_id` discards our outstanding requests there; UNCHOKE lifts it."""
        self._advance(now)
        peer = self.book.peers.get(peer_id)
        if peer is None:
            return
        peer.choking_us = choked
        if choked:
            for request in list(peer.requests.values()):
                self.book.release_request(request)
        self._schedule(now)

    def neighbour_holds(self, peer_id: str, seq: int) -> bool:
        """The neighbour announced `seq` complete (HAVE / HAVE_DELTA). Adapters send it no
        HAVE_PIECES of `seq`: it ignores them (it needs nothing of a segment it holds) but pays a
        message and a scheduling pass for each."""
        peer = self.book.peers.get(peer_id)
        return peer is not None and seq in peer.haves

    # --- what neighbours ask of this member ----------------------------------------------

    def upload_request(
        self, now: float, peer_id: str, request_id: int, seq: int, first_piece: int, count: int
    ) -> None:
        self._advance(now)
        if peer_id in self.book.peers:
            self.upload.request(now, peer_id, request_id, seq, first_piece, count)

    def upload_cancel(self, now: float, peer_id: str, request_id: int) -> None:
        self._advance(now)
        self.upload.cancel(now, peer_id, request_id)

    def set_upload_limits(self, now: float, rate_bytes_per_s: float | None, slots: int) -> None:
        """The upload cap (bytes/s, None: none) and slots change in the running session."""
        self._advance(now)
        self.upload.set_limits(now, rate_bytes_per_s, slots)
        self.gate.pace.upload_cap = rate_bytes_per_s  # see OriginPace.origin_too_slow

    def set_measured_uplink(self, now: float, rate_bytes_per_s: float | None) -> None:
        """The member's upload capacity as measured while its channels were backlogged
        (peer/uplink_meter.py; None: unknown). Only the small-uplink rule reads it, and only
        when no cap is in force: it limits no upload."""
        self._advance(now)
        self.gate.pace.measured_uplink = rate_bytes_per_s

    # --- what this member announces ------------------------------------------------------

    def _announce_partial(self, now: float) -> None:
        """One HAVE_PIECES per segment whose partial holding changed since the last pass."""
        for seq in sorted(self.book.segments):
            segment = self.book.segments[seq]
            if segment.announce_pending:
                segment.announce_pending = False
                segment.announced_count = segment.have_count
                if self.book.peers:
                    rate = self.book.origin_fetch_rate(now, seq)
                    if not rate:  # relaying: the rate of the origin copy it comes from
                        rate = int(self.book.origin_copy_rate(now, seq) or 0)
                    self._actions.append(AnnouncePieces(seq, segment.held_pieces(), rate))
