"""Book-keeping records of the download side of `peer.piece_scheduler` (plain data, no policy):
what we know about each incomplete segment, each neighbour, and each request in flight."""

from __future__ import annotations

from dataclasses import dataclass, field

UNASSIGNED = 0
"""Owner value of a piece nobody is fetching; > 0 is a request id, < 0 is minus a fetch id."""


@dataclass
class SegmentState:
    """An incomplete segment whose integrity record we hold."""

    seq: int
    size: int
    piece_size: int
    start: float
    duration: float
    http_first_at: float | None
    have: list[bool]
    owner: list[int]
    have_count: int = 0
    have_bytes: int = 0
    http_retry_at: float = 0.0
    missed: bool = False
    # Set when the fallback point is first reached: until then holders get one round (see
    # PieceScheduler._http_takeover_at); None = not reached yet.
    peer_grace_until: float | None = None

    @property
    def piece_count(self) -> int:
        return len(self.have)

    @property
    def complete(self) -> bool:
        return self.have_count == len(self.have)

    def piece_bytes(self, index: int) -> int:
        return min(self.piece_size, self.size - index * self.piece_size)

    def free_run(self, start: int, limit: int) -> tuple[int, int] | None:
        """The first run [first, end) of at most `limit` missing pieces that nobody is
        fetching, at or after `start`; None if there is none."""
        first = start
        while first < self.piece_count and (self.have[first] or self.owner[first] != UNASSIGNED):
            first += 1
        if first >= self.piece_count:
            return None
        end = first
        while (
            end < self.piece_count
            and end - first < limit
            and not self.have[end]
            and self.owner[end] == UNASSIGNED
        ):
            end += 1
        return first, end

    def assign(self, first: int, end: int, owner: int) -> None:
        for index in range(first, end):
            self.owner[index] = owner

    def missing_bytes(self) -> int:
        return self.size - self.have_bytes

    def mark_have(self, index: int) -> None:
        self.have[index] = True
        self.have_count += 1
        self.have_bytes += self.piece_bytes(index)


@dataclass
class PeerRequest:
    """A REQUEST in flight; `pending` are the pieces not received yet."""

    request_id: int
    peer_id: str
    seq: int
    pending: set[int]
    sent_at: float


@dataclass
class HttpFetch:
    """An HTTP (Range) fetch in flight."""

    fetch_id: int
    seq: int
    pending: set[int]
    sent_at: float
    size: int
    piece_size: int
    segment_size: int

    def piece_bytes(self, index: int) -> int:
        return min(self.piece_size, self.segment_size - index * self.piece_size)


@dataclass
class RemotePeer:
    """A connected neighbour, as a source of pieces."""

    peer_id: str
    capabilities: int
    max_pieces_per_request: int
    haves: set[int] = field(default_factory=set)
    choking_us: bool = False
    requests: dict[int, PeerRequest] = field(default_factory=dict)
    last_piece_at: float = 0.0
    cooldown_until: float = 0.0

    def inflight_pieces(self) -> int:
        return sum(len(r.pending) for r in self.requests.values())
