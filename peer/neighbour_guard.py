"""Limits on what one neighbour may send (docs/protocol.md §5.1): HAVE/HAVE_DELTA/HAVE_PIECES
only in a window around the live edge, each kind at a bounded rate, with a bounded set per
neighbour; REQUEST/CANCEL at a bounded rate beyond the pieces we sent it; a neighbour that keeps
breaking them is dropped and reported. Pure (time is a parameter); the node applies the
verdicts, so the scheduler only ever sees frames that passed."""

from __future__ import annotations

from dataclasses import dataclass, field

from swarmcast.protocol.token_bucket import TokenBucket


@dataclass(frozen=True)
class GuardConfig:
    ahead: int = 4
    """Sequence numbers past the highest one our playlist lists that a neighbour may announce
    (its last poll can be a little newer than ours). Further ahead is refused and counted."""
    behind: int = 64
    """Sequence numbers older than the live edge by more than this are ignored (not counted:
    an honest peer may still hold them), so a neighbour's announced set stays bounded."""
    frames_per_s: float = 20.0
    """Sustained HAVE/HAVE_DELTA frames per second per neighbour (an honest one sends about one
    per segment); frames over the rate are refused and counted."""
    burst: int = 100
    pieces_frames_per_s: float = 200.0
    """Sustained HAVE_PIECES frames per second per neighbour. An honest copy in progress sends
    one per piece it receives (origin or peers) plus a few count-0 words per segment: 200
    pieces/s is about 26 Mbit/s of copying at 16 KiB pieces, 10x the default ladder's top rung
    in real time."""
    pieces_burst: int = 1024
    """HAVE_PIECES burst: the 1023 pieces of a 16 MiB segment (at 16 KiB pieces) announced one
    by one at once, or a newcomer's catch-up of several segments of the live window."""
    request_frames_per_s: float = 50.0
    """REQUEST and CANCEL frames per neighbour: each PIECE we sent it earns one (banked up to
    `request_burst`); beyond those, this many per second. A downloader's requests are paid by
    the pieces they bring; refused, dropped and cancelled ones are what is limited."""
    request_burst: int = 200
    max_violations: int = 20
    """Refused frames (ahead of the window or over a rate) before the neighbour is dropped
    with GOODBYE protocol-error and reported to signaling."""
    refuse_s: float = 600.0
    """How long a dropped neighbour's offers are refused (signaling's ban time)."""

    def __post_init__(self) -> None:
        counts = (self.ahead, self.behind, self.burst, self.pieces_burst, self.request_burst)
        if min(*counts, self.max_violations) < 1:
            raise ValueError("ahead, behind, the bursts and max_violations must be >= 1")
        if min(self.frames_per_s, self.pieces_frames_per_s, self.request_frames_per_s) <= 0:
            raise ValueError("the frame rates must be > 0")


@dataclass(frozen=True)
class Verdict:
    seqs: frozenset[int]
    """The neighbour's announced seqs the scheduler may use."""
    replace: bool
    """True: `seqs` is its whole set (a HAVE, or the set pruned as the edge moved on);
    False: `seqs` holds at most the one newly announced seq (HAVE_DELTA)."""
    refused: bool
    """This frame was refused (ahead of the window, or over a rate): do not act on it."""
    drop: bool
    """The neighbour reached `max_violations`: drop it, report it, refuse it for a while."""

    @property
    def newest(self) -> int | None:
        return max(self.seqs, default=None)


PASS = Verdict(frozenset(), False, False, False)
"""Passed, nothing for the scheduler."""


@dataclass
class _Neighbour:
    bucket: TokenBucket
    pieces: TokenBucket
    requests: TokenBucket
    credit: int = 0
    """Pieces sent to the neighbour not yet spent on its REQUEST/CANCEL frames (capped)."""
    pieces_seen: int = 0
    """The link's pieces-sent count at the last REQUEST/CANCEL."""
    held: set[int] = field(default_factory=set)
    violations: int = 0


class NeighbourGuard:
    """One per node; `edge` is the highest seq our own playlist listed (-1: none yet, then the
    set is only capped in size)."""

    def __init__(self, config: GuardConfig | None = None) -> None:
        self.config = config or GuardConfig()
        self._peers: dict[str, _Neighbour] = {}
        self._refused: dict[str, float] = {}
        self.refused_frames = 0

    def have(self, now: float, peer: str, seqs: list[int], edge: int) -> Verdict:
        state = self._state(now, peer)
        if not self._take_token(now, state):
            return self._refuse(state, frozenset(), replace=False)
        kept = {seq for seq in seqs if self._low(edge) <= seq}
        ahead = {seq for seq in kept if edge >= 0 and seq > edge + self.config.ahead}
        state.held = self._capped(kept - ahead)
        if ahead:
            return self._refuse(state, frozenset(state.held), replace=True)
        return Verdict(frozenset(state.held), True, False, False)

    def have_delta(self, now: float, peer: str, seq: int, edge: int) -> Verdict:
        state = self._state(now, peer)
        if not self._take_token(now, state):
            return self._refuse(state, frozenset(), replace=False)
        if edge >= 0 and seq > edge + self.config.ahead:
            return self._refuse(state, frozenset(), replace=False)
        if seq < self._low(edge) or seq in state.held:
            return PASS
        state.held.add(seq)
        if len(state.held) > self._limit():
            state.held = self._capped({s for s in state.held if s >= self._low(edge)})
            return Verdict(frozenset(state.held), True, False, False)
        return Verdict(frozenset({seq}), False, False, False)

    def have_pieces(self, now: float, peer: str, seq: int, edge: int) -> Verdict:
        """HAVE_PIECES (a copy in progress): the window, at its own rate (one per piece received
        is honest); the scheduler bounds how many partial copies it keeps per neighbour."""
        state = self._state(now, peer)
        if not state.pieces.try_consume(now, 1):
            return self._refuse(state, frozenset(), replace=False)
        if edge >= 0 and seq > edge + self.config.ahead:
            return self._refuse(state, frozenset(), replace=False)
        if seq < self._low(edge):
            return PASS
        return Verdict(frozenset({seq}), False, False, False)

    def request(self, now: float, peer: str, pieces_sent: int) -> Verdict:
        """A REQUEST or CANCEL. `pieces_sent` is the link's count of PIECE frames sent to
        `peer`: each one pays for a frame, the rate only for the rest. A refused frame is
        dropped unanswered."""
        state = self._state(now, peer)
        seen = state.pieces_seen if pieces_sent >= state.pieces_seen else 0  # a new link
        earned = pieces_sent - seen
        state.pieces_seen = pieces_sent
        state.credit = min(self.config.request_burst, state.credit + earned)
        if state.credit >= 1:
            state.credit -= 1
        elif not state.requests.try_consume(now, 1):
            return self._refuse(state, frozenset(), replace=False)
        return PASS

    def forget(self, peer: str) -> None:
        self._peers.pop(peer, None)

    def refuse(self, now: float, peer: str) -> None:
        """Refuse `peer`'s links for `refuse_s` (it broke the protocol)."""
        self._refused[peer] = now + self.config.refuse_s
        self.forget(peer)

    def is_refused(self, now: float, peer: str) -> bool:
        for expired in [p for p, until in self._refused.items() if until <= now]:
            del self._refused[expired]
        return peer in self._refused

    def held(self, peer: str) -> int:
        """How many seqs we keep for `peer` (bounded by the window)."""
        state = self._peers.get(peer)
        return 0 if state is None else len(state.held)

    # --- internals ------------------------------------------------------------------------

    def _state(self, now: float, peer: str) -> _Neighbour:
        state = self._peers.get(peer)
        if state is None:
            c = self.config
            state = self._peers[peer] = _Neighbour(
                TokenBucket(c.frames_per_s, c.burst, now),
                TokenBucket(c.pieces_frames_per_s, c.pieces_burst, now),
                TokenBucket(c.request_frames_per_s, c.request_burst, now),
            )
        return state

    def _take_token(self, now: float, state: _Neighbour) -> bool:
        return state.bucket.try_consume(now, 1)

    def _refuse(self, state: _Neighbour, seqs: frozenset[int], *, replace: bool) -> Verdict:
        state.violations += 1
        self.refused_frames += 1
        return Verdict(seqs, replace, True, state.violations >= self.config.max_violations)

    def _low(self, edge: int) -> int:
        return edge - self.config.behind if edge >= 0 else -1

    def _limit(self) -> int:
        return self.config.ahead + self.config.behind + 1

    def _capped(self, seqs: set[int]) -> set[int]:
        """At most the window's worth of the newest seqs (also when the edge is unknown)."""
        if len(seqs) <= self._limit():
            return seqs
        return set(sorted(seqs)[-self._limit() :])
