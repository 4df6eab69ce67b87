"""What the pure scheduler asks its adapter to do. Each action is a small frozen dataclass whose
JSON form (`to_json`) is what the shared scenario files in `tests/vectors/scheduler/` match on."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

RejectReason = Literal["not_have", "busy", "choked", "bad_request"]
AbandonReason = Literal["silent", "slow"]
DropReason = Literal["bad_piece", "protocol_error"]

DecisionHook = Callable[[float, int, str, dict[str, Any]], None]
"""Optional observer of the scheduler's decisions (a timeline, a debugger): `(now, seq, kind,
detail)` when it starts an HTTP fetch (`kind` = why: election-turn, blocked-no-holder,
fallback-takeover, pace-takeover, race-takeover, catch-up, seeder, no-deadline), opens a peer
request (peer-request), gives holders a round (peer-round), schedules a live election
(election-wait) or abandons a peer (abandon-peer, `seq` -1). It never changes the policy."""


@dataclass(frozen=True)
class Action:
    """Base class: `kind` names the action in scenario files."""

    kind: ClassVar[str] = "action"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"action": self.kind}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            data[field.name] = list(value) if isinstance(value, tuple) else value
        return data


@dataclass(frozen=True)
class RequestPieces(Action):
    """Send REQUEST(request_id, seq, first_piece, piece_count) to `peer`."""

    kind: ClassVar[str] = "request"
    peer: str
    request_id: int
    seq: int
    first_piece: int
    piece_count: int


@dataclass(frozen=True)
class CancelRequest(Action):
    """Send CANCEL(request_id) to `peer`: its pieces are no longer wanted from it."""

    kind: ClassVar[str] = "cancel"
    peer: str
    request_id: int


@dataclass(frozen=True)
class FetchHttp(Action):
    """GET pieces [first_piece, first_piece + piece_count) of `seq` from the origin (a Range
    request unless that is the whole file), then report each piece with `http_piece_received`."""

    kind: ClassVar[str] = "http_fetch"
    fetch_id: int
    seq: int
    first_piece: int
    piece_count: int


@dataclass(frozen=True)
class AbandonPeer(Action):
    """`peer` was silent or too slow: its requests were cancelled and it gets no new ones for
    `peer_cooldown_s`. The connection stays up (it may still be a good downloader from us)."""

    kind: ClassVar[str] = "abandon_peer"
    peer: str
    reason: AbandonReason


@dataclass(frozen=True)
class DropPeer(Action):
    """Send GOODBYE(reason), close the connection, and report `peer` to signaling."""

    kind: ClassVar[str] = "drop_peer"
    peer: str
    reason: DropReason


@dataclass(frozen=True)
class AnnounceHave(Action):
    """`seq` is now complete and verified: send HAVE_DELTA(seq) to every neighbour."""

    kind: ClassVar[str] = "announce_have"
    seq: int


@dataclass(frozen=True)
class AnnouncePieces(Action):
    """We hold part of `seq` (the verified `pieces`; none yet when an origin fetch just
    started): send HAVE_PIECES(seq, pieces) to every neighbour, so they wait for this copy and
    take its pieces as they arrive (cut-through) instead of fetching the segment themselves.
    `origin_rate` (bytes/s, 0: none) is how fast our own origin fetch of `seq` is arriving
    (`DownloadBook.origin_fetch_rate`) or, for a copy we relay, how fast the origin copy it
    comes from is arriving as its fetcher said (so members two hops away learn it too)."""

    kind: ClassVar[str] = "announce_pieces"
    seq: int
    pieces: tuple[int, ...]
    origin_rate: int = 0


@dataclass(frozen=True)
class SendHave(Action):
    """Send HAVE with exactly `seqs` (our complete segments) to `peer` (on connect)."""

    kind: ClassVar[str] = "send_have"
    peer: str
    seqs: tuple[int, ...]


@dataclass(frozen=True)
class SendPiece(Action):
    """Send PIECE(request_id, seq, index) with the stored bytes of that piece to `peer`."""

    kind: ClassVar[str] = "send_piece"
    peer: str
    request_id: int
    seq: int
    index: int


@dataclass(frozen=True)
class RejectRequest(Action):
    """Send REJECT(request_id, reason) to `peer`."""

    kind: ClassVar[str] = "reject"
    peer: str
    request_id: int
    reason: RejectReason


@dataclass(frozen=True)
class Choke(Action):
    """Send CHOKE to `peer`: its requests will be rejected until UNCHOKE."""

    kind: ClassVar[str] = "choke"
    peer: str


@dataclass(frozen=True)
class Unchoke(Action):
    """Send UNCHOKE to `peer`: it holds one of our upload slots."""

    kind: ClassVar[str] = "unchoke"
    peer: str


@dataclass(frozen=True)
class DeadlineMissed(Action):
    """`seq` was not complete when the playhead reached it (a stall); counted in stats."""

    kind: ClassVar[str] = "deadline_missed"
    seq: int
