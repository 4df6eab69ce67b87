"""The simulated peer channels, split out of `bench.sim.swarm` (the world: viewers, origin, matcher,
the routing of scheduler actions) to keep each file readable: every message one viewer's
scheduler sends a neighbour (REQUEST, CANCEL, PIECE, REJECT, CHOKE, UNCHOKE, HAVE, HAVE_DELTA,
HAVE_PIECES), its trip over the link and its arrival at the neighbour's scheduler.

Peer links: each viewer has one upload capacity; a piece waits on the sender's uplink (FIFO),
then travels the pair's one-way latency. A channel is ordered: nothing overtakes what was sent
before it on the same pair (a HAVE queued behind pieces waits for them, as on a data channel).
With downlinks (`peer_down_x`) a piece is a flow that also shares the receiver's downlink
(`bench.sim.flows.Uplink`): each channel sends one piece at a time, the sender's channels send
at once and share its uplink max-min, and when a piece leaves is only known once it has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from swarmcast.peer import scheduler_actions as act
from swarmcast.peer.piece_scheduler import PieceScheduler

if TYPE_CHECKING:
    from swarmcast.bench.sim.swarm import SimNode, Swarm


class PeerChannel:
    """The peer messages of one seeded run; `Swarm` routes the scheduler's peer actions here."""

    def __init__(self, swarm: Swarm) -> None:
        self.swarm = swarm
        self.cfg = swarm.cfg
        self.q = swarm.q
        self.rec = swarm.rec
        self.by_id = swarm.by_id

    # --- the channel ----------------------------------------------------------------------

    def send(
        self,
        src: SimNode,
        dst_id: str,
        kind: str,
        size: int,
        fn: Callable[..., None],
        *args: Any,
    ) -> None:
        """One message of wire type `kind` on the ordered src->dst channel; `size` > 0 bytes
        use src's uplink. On arrival: `fn(dst_scheduler, now, src_id, *args)`."""
        dst = src.neighbours.get(dst_id)
        if dst is None:
            return
        src.sent[kind] += 1
        if src.uplink is not None and dst.downlink is not None:
            latency = src.latency[dst_id]
            src.uplink.send(dst_id, dst.downlink, latency, size, self._arrive, src, dst, fn, args)
            return
        now = self.q.now
        leaves = now
        if size:
            leaves = max(now, src.up_free) + size / src.up_rate
            src.up_free = leaves
        arrives = max(leaves + src.latency[dst_id], src.out_last.get(dst_id, 0.0))
        src.out_last[dst_id] = arrives
        self.q.at(arrives, self._arrive, src, dst, fn, args)

    def _arrive(
        self, src: SimNode, dst: SimNode, fn: Callable[..., None], args: tuple[Any, ...]
    ) -> None:
        if dst.neighbours.get(src.peer_id) is not src or dst.sched is None:
            return  # the link closed: what was in the pipe is lost
        fn(dst.sched, self.q.now, src.peer_id, *args)
        self.swarm.drain(dst)

    def _piece_arrived(
        self,
        sched: PieceScheduler,
        now: float,
        src_id: str,
        request_id: int,
        seq: int,
        index: int,
        size: int,
    ) -> None:
        node = self.by_id[sched.local_peer_id]
        node.peer_bytes += size
        node.last_piece_at[seq] = now
        self.rec.peer_bytes(now, size)
        sched.piece_received(now, src_id, request_id, seq, index, True)

    # --- routing: the peer messages among the scheduler's actions -------------------------

    def on_request(self, node: SimNode, a: act.RequestPieces) -> None:
        self.send(
            node,
            a.peer,
            "REQUEST",
            0,
            PieceScheduler.upload_request,
            a.request_id,
            a.seq,
            a.first_piece,
            a.piece_count,
        )

    def on_cancel(self, node: SimNode, a: act.CancelRequest) -> None:
        self.send(node, a.peer, "CANCEL", 0, PieceScheduler.upload_cancel, a.request_id)

    def on_send_piece(self, node: SimNode, a: act.SendPiece) -> None:
        size = self.swarm.piece_bytes(a.seq, a.index)
        self.send(
            node, a.peer, "PIECE", size, self._piece_arrived, a.request_id, a.seq, a.index, size
        )

    def on_reject(self, node: SimNode, a: act.RejectRequest) -> None:
        self.send(
            node, a.peer, "REJECT", 0, PieceScheduler.request_rejected, a.request_id, a.reason
        )

    def on_choke(self, node: SimNode, a: act.Choke) -> None:
        self.send(node, a.peer, "CHOKE", 0, PieceScheduler.peer_choked, True)

    def on_unchoke(self, node: SimNode, a: act.Unchoke) -> None:
        self.send(node, a.peer, "UNCHOKE", 0, PieceScheduler.peer_choked, False)

    def on_send_have(self, node: SimNode, a: act.SendHave) -> None:
        self.send(node, a.peer, "HAVE", 0, self._have_arrived, list(a.seqs))

    def _have_arrived(
        self, sched: PieceScheduler, now: float, src_id: str, seqs: list[int]
    ) -> None:
        """A neighbour's first HAVE: it no longer counts as connecting (both adapters)."""
        sched.peer_have(now, src_id, seqs)
        node = self.by_id[sched.local_peer_id]
        if src_id not in node.announced:
            node.announced.add(src_id)
            self.swarm.viewers.neighbours_changed(node)

    def on_announce_have(self, node: SimNode, a: act.AnnounceHave) -> None:
        for other in list(node.neighbours):
            self.send(node, other, "HAVE_DELTA", 0, PieceScheduler.peer_have_delta, a.seq)
        self.swarm.holders[a.seq] += 1
        if self.swarm.holders[a.seq] == 1:
            self.swarm.origin.mark_held(a.seq)
        trace = self.swarm.trace
        if trace is not None:
            trace.append({"t": round(self.q.now, 3), "node": node.index, "event": "complete",
                          "seq": a.seq, "peer_bytes": node.peer_bytes})  # fmt: skip
        self.swarm.viewers.segment_complete(node, a.seq)

    def on_announce_pieces(self, node: SimNode, a: act.AnnouncePieces) -> None:
        """HAVE_PIECES (cut-through): neighbours learn of an origin copy still arriving. Not to
        a neighbour that announced the whole segment (both adapters; `announce_to_holders`)."""
        pieces = list(a.pieces)  # one list for every neighbour: receivers only read it
        sched = node.sched
        skip_holders = not self.cfg.announce_to_holders and sched is not None
        for other in list(node.neighbours):
            if skip_holders and sched is not None and sched.neighbour_holds(other, a.seq):
                continue
            self.send(
                node, other, "HAVE_PIECES", 0, self._pieces_arrived, a.seq, pieces, a.origin_rate
            )

    def _pieces_arrived(
        self,
        sched: PieceScheduler,
        now: float,
        src_id: str,
        seq: int,
        pieces: list[int],
        origin_rate: int,
    ) -> None:
        self.by_id[sched.local_peer_id].partial_at[seq] = now
        sched.peer_have_pieces(now, src_id, seq, pieces, origin_rate)
