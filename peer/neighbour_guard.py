"""Limits on what one neighbour may announce (docs/protocol.md §5.1): HAVE/HAVE_DELTA only in a
window around the live edge, at a bounded rate, with a bounded set per neighbour; a neighbour
that keeps breaking them is dropped and reported. Pure (time is a parameter); the node applies
the verdicts, so the scheduler only ever sees announcements inside the window."""

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
    max_violations: int = 20
    """Refused frames (ahead of the window or over the rate) before the neighbour is dropped
    with GOODBYE protocol-error and reported to signaling."""
    refuse_s: float = 600.0
    """How long a dropped neighbour's offers are refused (signaling's ban time)."""

    def __post_init__(self) -> None:
        if min(self.ahead, self.behind, self.burst, self.max_violations) < 1:
            raise ValueError("ahead, behind, burst and max_violations must be >= 1")
        if self.frames_per_s <= 0:
            raise ValueError("frames_per_s must be > 0")


@dataclass(frozen=True)
class Verdict:
    seqs: frozenset[int]
    """The neighbour's announced seqs the scheduler may use."""
    replace: bool
    """True: `seqs` is its whole set (a HAVE, or the set pruned as the edge moved on);
    False: `seqs` holds at most the one newly announced seq (HAVE_DELTA)."""
    refused: bool
    """This frame was refused (ahead of the window, or over the rate)."""
    drop: bool
    """The neighbour reached `max_violations`: drop it, report it, refuse it for a while."""

    @property
    def newest(self) -> int | None:
        return max(self.seqs, default=None)


@dataclass
class _Neighbour:
    bucket: TokenBucket
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
            return Verdict(frozenset(), False, False, False)
        state.held.add(seq)
        if len(state.held) > self._limit():
            state.held = self._capped({s for s in state.held if s >= self._low(edge)})
            return Verdict(frozenset(state.held), True, False, False)
        return Verdict(frozenset({seq}), False, False, False)

    def have_pieces(self, now: float, peer: str, seq: int, edge: int) -> Verdict:
        """HAVE_PIECES (a copy in progress): the window only. Honest ones come once per piece,
        so they are not rate-counted; the scheduler bounds how many it keeps per neighbour."""
        if edge >= 0 and seq > edge + self.config.ahead:
            return self._refuse(self._state(now, peer), frozenset(), replace=False)
        if seq < self._low(edge):
            return Verdict(frozenset(), False, False, False)
        return Verdict(frozenset({seq}), False, False, False)

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
            bucket = TokenBucket(self.config.frames_per_s, self.config.burst, now)
            state = self._peers[peer] = _Neighbour(bucket)
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
