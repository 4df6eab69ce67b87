"""Translation between the pure scheduler's vocabulary and wire frames (docs/protocol.md §5):
which frame an action becomes, and which scheduler event a frame is. No I/O, no policy."""

from __future__ import annotations

from swarmcast.peer import scheduler_actions as act
from swarmcast.peer.piece_scheduler import PieceScheduler
from swarmcast.peer.segment_store import SegmentStore
from swarmcast.protocol import wire

REJECT_NAMES: dict[wire.RejectReason, act.RejectReason] = {
    wire.RejectReason.NOT_HAVE: "not_have",
    wire.RejectReason.BUSY: "busy",
    wire.RejectReason.CHOKED: "choked",
    wire.RejectReason.BAD_REQUEST: "bad_request",
}
REJECT_CODES = {name: code for code, name in REJECT_NAMES.items()}


def have_message(seqs: tuple[int, ...]) -> wire.Have:
    """HAVE for our complete set; a live window always fits in 4096 sequence numbers."""
    if not seqs:
        return wire.Have(0, 0, b"")
    base = max(seqs[0], seqs[-1] - wire.MAX_HAVE_COUNT + 1)
    return wire.Have.from_seqs(base, seqs[-1] - base + 1, set(seqs))


def frame_for(action: act.Action, store: SegmentStore) -> wire.Message | None:
    """The frame a peer-addressed action sends (None: not a single-peer frame)."""
    match action:
        case act.RequestPieces(_, request_id, seq, first, count):
            return wire.Request(request_id, seq, first, count)
        case act.CancelRequest(_, request_id):
            return wire.Cancel(request_id)
        case act.SendPiece(_, request_id, seq, index):
            data = store.piece(seq, index)
            if data is None:  # evicted since the request was accepted
                return wire.Reject(request_id, wire.RejectReason.NOT_HAVE)
            return wire.Piece(request_id, seq, index, data)
        case act.RejectRequest(_, request_id, reason):
            return wire.Reject(request_id, REJECT_CODES[reason])
        case act.Choke():
            return wire.Choke()
        case act.Unchoke():
            return wire.Unchoke()
        case act.SendHave(_, seqs):
            return have_message(seqs)
    return None


def broadcast_frame(action: act.Action) -> wire.Message | None:
    """The frame an action sends to every neighbour (None: not a broadcast)."""
    match action:
        case act.AnnounceHave(seq):
            return wire.HaveDelta(seq)
        case act.AnnouncePieces(seq, pieces, origin_rate):
            return wire.HavePieces.from_pieces(seq, pieces, origin_rate)
    return None


def frame_for_neighbour(frame: wire.Message, capabilities: int) -> wire.Message:
    """`frame` as a neighbour with these HELLO capabilities can decode it: HAVE_PIECES loses
    its origin_rate unless the neighbour set CAP_ORIGIN_RATE (older decoders refuse it)."""
    legible = capabilities & wire.CAP_ORIGIN_RATE
    if isinstance(frame, wire.HavePieces) and frame.origin_rate and not legible:
        return wire.HavePieces(frame.seq, frame.count, frame.bitmap)
    return frame


def superseded_announcements(actions: list[act.Action]) -> set[int]:
    """Positions in one batch of actions of the AnnouncePieces that a later announcement of
    the same segment in the batch supersedes: HAVE_PIECES carries the whole partial set, and
    HAVE_DELTA the whole segment. Several arrive together when one HTTP chunk completes
    several pieces (the scheduler announces after each); the batch's frames leave in one
    burst, so neighbours lose only states they would have read microseconds before the next.
    HAVE_PIECES were ~70 % of a viewer's data-channel messages (bench/results/peer-cpu-20261201),
    each one SCTP packet, DTLS record and SACK in aiortc."""
    later: set[int] = set()
    skip: set[int] = set()
    for position in range(len(actions) - 1, -1, -1):
        match actions[position]:
            case act.AnnouncePieces(seq):
                if seq in later:
                    skip.add(position)
                later.add(seq)
            case act.AnnounceHave(seq):
                later.add(seq)
    return skip


def feed_control_frame(
    sched: PieceScheduler, now: float, peer: str, message: wire.Message
) -> int | None:
    """Hand a control frame (not HELLO, PIECE, GOODBYE) to the scheduler. Returns the highest
    seq the frame announced, if any (the node polls the playlist when it is new to it)."""
    match message:
        case wire.Have():
            seqs = message.seqs()
            sched.peer_have(now, peer, seqs)
            return max(seqs, default=None)
        case wire.HaveDelta(seq):
            sched.peer_have_delta(now, peer, seq)
            return seq
        case wire.HavePieces(seq):
            sched.peer_have_pieces(now, peer, seq, message.pieces(), message.origin_rate)
            return seq
        case wire.Request(request_id, seq, first, count):
            sched.upload_request(now, peer, request_id, seq, first, count)
        case wire.Cancel(request_id):
            sched.upload_cancel(now, peer, request_id)
        case wire.Reject(request_id, reason):
            sched.request_rejected(now, peer, request_id, REJECT_NAMES[reason])
        case wire.Choke():
            sched.peer_choked(now, peer, True)
        case wire.Unchoke():
            sched.peer_choked(now, peer, False)
    return None
