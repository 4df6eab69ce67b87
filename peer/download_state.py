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
    # Our partial holding changed (an origin fetch started, a piece arrived) and neighbours
    # have not been told yet: announced once per scheduling pass (cut-through, HAVE_PIECES).
    announce_pending: bool = False
    requested: bool = False
    """Some neighbour was asked for pieces of it (then it gets no further peer round)."""
    announced_count: int = -1
    """Pieces we held at our last HAVE_PIECES of it (-1: not announced yet)."""
    free_count: int = -1
    """Pieces missing and not being fetched (kept by `assign`, `unassign`, `mark_have`): lets
    a scheduling pass skip a segment with nothing left to ask for without scanning it."""

    peer_owed: int = 0
    """Pieces missing and requested from a peer (owner > 0): a takeover has nothing to cancel
    while it is 0."""
    election_delay: float = 0.0
    """This member's election wait for the segment (`http_first_at` - when it was added): when
    the election horizon holds the turn back, the turn comes this long after the segment came
    within the horizon, so the tiers stay apart instead of all firing at the horizon."""
    held_for_links: bool = False
    """`OriginGate.links_hold` held it back; its election is drawn again when the hold ends."""
    stale_turn: float = -1.0
    """This member's turn, in progress timeouts, to take over a neighbour's stale copy of it
    (`OriginGate.stale_turn`; -1: not computed yet)."""
    stale_turn_neighbours: int = -1
    """How many neighbours `stale_turn` was computed among (recomputed when that changes)."""
    peer_wait_since: float | None = None
    """When it was first asked of a neighbour (None: never): with `peer_bytes`, how fast its
    neighbours' copy is reaching us (`OriginGate.stalled_race_at`)."""
    peer_bytes: int = 0
    """Its bytes that came from neighbours."""
    link_shared_bytes: float = 0.0
    """Bytes of later segments' transfers on our downlink that a fetch of its rest shares the
    link with (`SchedulerConfig.shared_link_x`); set by each scheduling pass."""

    def __post_init__(self) -> None:
        if self.free_count < 0:
            self.free_count = sum(
                1 for h, o in zip(self.have, self.owner, strict=True) if not h and o == UNASSIGNED
            )

    @property
    def piece_count(self) -> int:
        return len(self.have)

    @property
    def complete(self) -> bool:
        return self.have_count == len(self.have)

    def piece_bytes(self, index: int) -> int:
        return min(self.piece_size, self.size - index * self.piece_size)

    def free_run(
        self, start: int, limit: int, held: set[int] | None = None
    ) -> tuple[int, int] | None:
        """The first run [first, end) of at most `limit` missing pieces that nobody is
        fetching, at or after `start`; None if there is none. With `held`, only pieces in it
        (what a neighbour that holds part of the segment announced)."""
        if self.free_count <= 0 or (held is not None and not held):
            return None  # the common case in a busy pass: nothing to ask for
        have, owner, count = self.have, self.owner, len(self.have)
        first = start
        while first < count and (
            have[first] or owner[first] != UNASSIGNED or (held is not None and first not in held)
        ):
            first += 1
        if first >= count:
            return None
        end = first
        while (
            end < count
            and end - first < limit
            and not have[end]
            and owner[end] == UNASSIGNED
            and (held is None or end in held)
        ):
            end += 1
        return first, end

    def held_pieces(self) -> tuple[int, ...]:
        """Indices of the verified pieces we hold (what HAVE_PIECES announces)."""
        return tuple(i for i, have in enumerate(self.have) if have)

    def assign(self, first: int, end: int, owner: int) -> None:
        for index in range(first, end):
            if not self.have[index]:
                before = self.owner[index]
                self.free_count -= before == UNASSIGNED
                self.peer_owed += (owner > 0) - (before > 0)
            self.owner[index] = owner

    def unassign(self, index: int, owner: int) -> None:
        """Free piece `index` if `owner` (a request or fetch) still holds it."""
        if self.owner[index] == owner:
            self.owner[index] = UNASSIGNED
            if not self.have[index]:
                self.free_count += 1
                self.peer_owed -= owner > 0

    @property
    def bitrate(self) -> float:
        """Its media rate in bytes/s (0 without a duration)."""
        return self.size / self.duration if self.duration > 0 else 0.0

    def missing_bytes(self) -> int:
        return self.size - self.have_bytes

    def owing_request_ids(self) -> list[int]:
        """Ids of the peer requests that owe missing pieces of it (ascending)."""
        return sorted({o for o, h in zip(self.owner, self.have, strict=True) if o > 0 and not h})

    def mark_have(self, index: int) -> None:
        if not self.have[index]:
            self.free_count -= self.owner[index] == UNASSIGNED
            self.peer_owed -= self.owner[index] > 0
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
    # Segments it holds part of (HAVE_PIECES: seq -> verified piece indices; an empty set means
    # "fetching it from the origin now"). Bounded: see PieceScheduler.peer_have_pieces.
    partial: dict[int, set[int]] = field(default_factory=dict)
    # The highest piece index in each `partial` set (kept with it: a dealing pass skips a
    # neighbour whose announced pieces all lie before the first free one without a scan).
    partial_top: dict[int, int] = field(default_factory=dict)
    # When it last announced progress on each of those segments (its copy is still arriving).
    partial_at: dict[int, float] = field(default_factory=dict)
    # How fast its own origin fetch of each of those segments was arriving when it last said
    # (HAVE_PIECES origin_rate, bytes/s): how fast the origin serves the swarm right now.
    origin_rate: dict[int, int] = field(default_factory=dict)
    choking_us: bool = False
    requests: dict[int, PeerRequest] = field(default_factory=dict)
    last_piece_at: float = 0.0
    piece_time_s: float = 0.0
    """How long it has been taking per piece it owed us (moving average; 0: not measured):
    from the later of its previous piece and the piece's request to the piece. The pace rule
    (`OriginGate.pace_takeover_at`) projects its queue of owed pieces with it."""
    cooldown_until: float = 0.0

    def piece_owed_arrived(self, now: float, requested_at: float, weight: float) -> None:
        """A piece it owed (asked for at `requested_at`) came: update `piece_time_s` (call
        before `last_piece_at` moves to `now`)."""
        took = now - max(self.last_piece_at, requested_at)
        known = self.piece_time_s > 0
        self.piece_time_s = (1 - weight) * self.piece_time_s + weight * took if known else took

    def inflight_pieces(self) -> int:
        return sum(len(r.pending) for r in self.requests.values())

    def forget_partial(self, seq: int) -> None:
        """Drop what it said of its partial copy of `seq` (it completed it, or we keep no more)."""
        self.partial.pop(seq, None)
        self.partial_top.pop(seq, None)
        self.partial_at.pop(seq, None)
        self.origin_rate.pop(seq, None)

    def holds_any(self, seq: int) -> bool:
        """Announced the whole segment, or part of it (or an origin fetch of it)."""
        return seq in self.haves or seq in self.partial

    def held(self, seq: int) -> set[int] | None:
        """Pieces of `seq` it can serve: None = all of them (a complete segment)."""
        return None if seq in self.haves else self.partial.get(seq, set())
