"""Neighbour matching for one swarm (docs/protocol.md §4.4). Pure: a read-only `SwarmView`
and `now` in, a `MatchPlan` (links to add and remove) out; `apply_plan` gives the next view.

Invariants kept by every plan: links are symmetric, no peer exceeds its `max_neighbours`, and
a pair blocked by a report is not linked again before its block expires.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from swarmcast.signaling.match_hints import NO_HINTS, MatchHints

Pair = frozenset[str]

_EMPTY: Final[frozenset[str]] = frozenset()


def pair(a: str, b: str) -> Pair:
    return frozenset((a, b))


@dataclass(frozen=True, slots=True)
class PeerInfo:
    peer_id: str
    prefix: str  # network prefix, see signaling.netaddr.network_prefix
    joined_at: float
    max_neighbours: int
    upload_budget_bps: int = 0
    seeder: bool = False
    sub: str = ""  # the token subject: bans cover it
    address: str = ""  # host key (signaling.netaddr.host_key): reports and bans cover it


@dataclass(frozen=True, slots=True)
class Link:
    a: str
    b: str
    initiator: str  # the peer that sends the offer (a or b)

    def other(self, peer_id: str) -> str:
        return self.b if peer_id == self.a else self.a


@dataclass(frozen=True, slots=True)
class SwarmView:
    """One swarm's state. Treat the mappings as read-only: plans never mutate a view."""

    peers: Mapping[str, PeerInfo] = field(default_factory=dict)
    links: Mapping[str, frozenset[str]] = field(default_factory=dict)
    blocked: Mapping[Pair, float] = field(default_factory=dict)  # pair -> blocked until
    hints: MatchHints = NO_HINTS  # reachability and measured upload (signaling.reachability)

    def neighbours(self, peer_id: str) -> frozenset[str]:
        return self.links.get(peer_id, _EMPTY)

    def prefix_count(self, prefix: str) -> int:
        return sum(1 for peer in self.peers.values() if peer.prefix == prefix)

    def link_count(self) -> int:
        return sum(len(n) for n in self.links.values()) // 2


@dataclass(frozen=True, slots=True)
class MatchPlan:
    added_peers: tuple[PeerInfo, ...] = ()
    removed_peers: tuple[str, ...] = ()
    removed_links: tuple[Pair, ...] = ()
    added_links: tuple[Link, ...] = ()
    blocks: tuple[tuple[Pair, float], ...] = ()

    def notifications(self) -> dict[str, tuple[list[Link], list[str]]]:
        """Per affected peer still in the swarm: (links added, peer ids removed)."""
        gone = set(self.removed_peers)
        out: dict[str, tuple[list[Link], list[str]]] = {}
        for link_pair in self.removed_links:
            a, b = sorted(link_pair)
            for me, other in ((a, b), (b, a)):
                if me not in gone:
                    out.setdefault(me, ([], []))[1].append(other)
        for link in self.added_links:
            for me in (link.a, link.b):
                out.setdefault(me, ([], []))[0].append(link)
        return out


@dataclass(frozen=True, slots=True)
class MatchConfig:
    # Upload budget per link at or above which a peer counts as having spare upload.
    good_upload_bps: int = 1_000_000
    # Candidates ranked per decision, per side of the prefix split: bounds a join's cost in
    # big swarms (peer ids are random, so the sample is too).
    sample_size: int = 64


class _Work:
    """A mutable copy of the parts of a view a plan changes, recording what it changed."""

    def __init__(self, view: SwarmView, now: float) -> None:
        self.now = now
        self.hints = view.hints
        self.peers = dict(view.peers)
        # Copy-on-write: a plan touches a handful of peers out of possibly thousands.
        self._base_links = view.links
        self._own_links: dict[str, set[str]] = {}
        self.blocked = {p: t for p, t in view.blocked.items() if t > now}
        self.added_peers: list[PeerInfo] = []
        self.removed_peers: list[str] = []
        self.removed: list[Pair] = []
        self.added: list[Link] = []
        self.blocks: list[tuple[Pair, float]] = []

    def neighbours(self, peer_id: str) -> AbstractSet[str]:
        own = self._own_links.get(peer_id)
        return own if own is not None else self._base_links.get(peer_id, _EMPTY)

    def _mutable(self, peer_id: str) -> set[str]:
        own = self._own_links.get(peer_id)
        if own is None:
            own = self._own_links[peer_id] = set(self._base_links.get(peer_id, _EMPTY))
        return own

    def degree(self, peer_id: str) -> int:
        return len(self.neighbours(peer_id))

    def free_slots(self, peer_id: str) -> int:
        return self.peers[peer_id].max_neighbours - self.degree(peer_id)

    def is_blocked(self, a: str, b: str) -> bool:
        return bool(self.blocked) and pair(a, b) in self.blocked

    def may_link(self, a: str, b: str) -> bool:
        return (
            a != b
            and self.free_slots(b) > 0
            and self.free_slots(a) > 0
            and b not in self.neighbours(a)
            and not self.is_blocked(a, b)
        )

    def add_peer(self, peer: PeerInfo) -> None:
        self.peers[peer.peer_id] = peer
        self._own_links[peer.peer_id] = set()
        self.added_peers.append(peer)

    def remove_peer(self, peer_id: str) -> None:
        del self.peers[peer_id]
        self._own_links[peer_id] = set()
        self.removed_peers.append(peer_id)

    def link(self, a: str, b: str, initiator: str) -> None:
        self._mutable(a).add(b)
        self._mutable(b).add(a)
        self.added.append(Link(a, b, initiator))

    def unlink(self, a: str, b: str) -> None:
        self._mutable(a).discard(b)
        self._mutable(b).discard(a)
        # A link added and removed within one plan is simply forgotten.
        for i, link in enumerate(self.added):
            if pair(link.a, link.b) == pair(a, b):
                del self.added[i]
                return
        self.removed.append(pair(a, b))

    def plan(self) -> MatchPlan:
        return MatchPlan(
            added_peers=tuple(self.added_peers),
            removed_peers=tuple(self.removed_peers),
            removed_links=tuple(self.removed),
            added_links=tuple(self.added),
            blocks=tuple(self.blocks),
        )


Score = tuple[int, int, int, int]


def _score(work: _Work, me: PeerInfo, other_id: str, config: MatchConfig) -> Score:
    """Higher is better: same network, then seeders, then a pair that connects directly (as
    far as `path` reports tell), then spare upload per link (measured, else announced)."""
    other = work.peers[other_id]
    upload = work.hints.upload_bps(other_id, other.upload_budget_bps)
    per_link = upload // (work.degree(other_id) + 1)
    upload_tier = 2 if per_link >= config.good_upload_bps else 1 if per_link > 0 else 0
    reach = work.hints.reach_tier(me.peer_id, other_id)
    return (int(other.prefix == me.prefix), int(other.seeder), reach, upload_tier)


def _sample(work: _Work, me: PeerInfo, candidates: Iterable[str], size: int) -> list[str]:
    """At most `size` own-prefix and `size` other candidates: those whose ids follow `me`'s
    (cyclically), a random pick since ids are random, yet deterministic for tests."""
    own: list[str] = []
    other: list[str] = []
    for peer_id in candidates:
        (own if work.peers[peer_id].prefix == me.prefix else other).append(peer_id)

    def cyclic(peer_id: str) -> tuple[bool, str]:
        return (peer_id < me.peer_id, peer_id)

    picked: list[str] = []
    for group in (own, other):
        picked += group if len(group) <= size else heapq.nsmallest(size, group, key=cyclic)
    return picked


def _ranked(work: _Work, me: PeerInfo, candidates: Iterable[str], config: MatchConfig) -> list[str]:
    """Best score first; within one score, alternately the oldest and the newest arrival, so a
    neighbour set mixes long-lived peers (which hold the window) with recent ones."""
    groups: dict[Score, list[str]] = {}
    for peer_id in _sample(work, me, candidates, config.sample_size):
        groups.setdefault(_score(work, me, peer_id, config), []).append(peer_id)
    ranked: list[str] = []
    for score in sorted(groups, reverse=True):
        by_age = sorted(groups[score], key=lambda p: (work.peers[p].joined_at, p))
        low, high = 0, len(by_age) - 1
        take_old = True
        while low <= high:
            if take_old:
                ranked.append(by_age[low])
                low += 1
            else:
                ranked.append(by_age[high])
                high -= 1
            take_old = not take_old
    return ranked


def _fill(work: _Work, me_id: str, config: MatchConfig, initiator_is_me: bool) -> None:
    """Link `me_id` to free peers until its slots or the candidates run out; at most
    max_neighbours - 1 of its links go to its own prefix while other prefixes have room."""
    me = work.peers[me_id]
    mine = work.neighbours(me_id)
    candidates = [
        p
        for p, info in work.peers.items()
        if len(work.neighbours(p)) < info.max_neighbours
        and p != me_id
        and p not in mine
        and not work.is_blocked(me_id, p)
    ]
    same_prefix_cap = max(1, me.max_neighbours - 1)
    deferred: list[str] = []
    for other in _ranked(work, me, candidates, config):
        if work.free_slots(me_id) <= 0:
            return
        if not work.may_link(me_id, other):
            continue
        same = sum(1 for n in work.neighbours(me_id) if work.peers[n].prefix == me.prefix)
        if work.peers[other].prefix == me.prefix and same >= same_prefix_cap:
            deferred.append(other)
            continue
        work.link(me_id, other, me_id if initiator_is_me else min(me_id, other))
    for other in deferred:  # only own-prefix peers were left: better than no neighbours
        if work.free_slots(me_id) <= 0:
            return
        if work.may_link(me_id, other):
            work.link(me_id, other, me_id if initiator_is_me else min(me_id, other))


def _split_links(work: _Work, me_id: str, config: MatchConfig) -> None:
    """No free slot left: turn links A-B into A-me-B while `me` has two free slots, so a
    saturated swarm still takes newcomers and nobody exceeds its degree."""
    me = work.peers[me_id]
    while work.free_slots(me_id) >= 2:
        mine = work.neighbours(me_id)
        usable = {
            p for p in work.peers if p != me_id and p not in mine and not work.is_blocked(me_id, p)
        }
        done = False
        for a in _ranked(work, me, usable, config):
            partners = [b for b in work.neighbours(a) if b in usable]
            if partners:
                b = _ranked(work, me, partners, config)[0]
                work.unlink(a, b)
                work.link(me_id, a, me_id)
                work.link(me_id, b, me_id)
                done = True
                break
        if not done:
            return


def plan_join(
    view: SwarmView, newcomer: PeerInfo, now: float, config: MatchConfig = MatchConfig()
) -> MatchPlan:
    """Add `newcomer` (not yet in the view) with up to `max_neighbours` links; it initiates."""
    if newcomer.peer_id in view.peers:
        raise ValueError(f"{newcomer.peer_id} is already in the swarm")
    work = _Work(view, now)
    work.add_peer(newcomer)
    _fill(work, newcomer.peer_id, config, initiator_is_me=True)
    _split_links(work, newcomer.peer_id, config)
    _fill(work, newcomer.peer_id, config, initiator_is_me=True)
    return work.plan()


def _repair(work: _Work, orphans: Iterable[str], config: MatchConfig) -> None:
    """Give peers that lost links new ones from free peers, oldest orphan first."""
    for peer_id in sorted(orphans, key=lambda p: (work.peers[p].joined_at, p)):
        if peer_id in work.peers:
            _fill(work, peer_id, config, initiator_is_me=False)


def plan_leave(
    view: SwarmView, peer_id: str, now: float, config: MatchConfig = MatchConfig()
) -> MatchPlan:
    """Remove `peer_id` and re-link its former neighbours (with free peers and each other)."""
    if peer_id not in view.peers:
        return MatchPlan()
    work = _Work(view, now)
    orphans = sorted(work.neighbours(peer_id))
    for other in orphans:
        work.unlink(peer_id, other)
    work.remove_peer(peer_id)
    _repair(work, orphans, config)
    return work.plan()


def plan_unlink(
    view: SwarmView,
    a: str,
    b: str,
    now: float,
    block_s: float,
    config: MatchConfig = MatchConfig(),
) -> MatchPlan:
    """Cut the link a-b (a report), keep the pair apart for `block_s`, re-link both."""
    if a not in view.peers or b not in view.peers:
        return MatchPlan()
    work = _Work(view, now)
    if b in work.neighbours(a):
        work.unlink(a, b)
    until = now + block_s
    work.blocked[pair(a, b)] = until
    work.blocks.append((pair(a, b), until))
    _repair(work, (a, b), config)
    return work.plan()


def plan_refill(
    view: SwarmView, peer_ids: Iterable[str], now: float, config: MatchConfig = MatchConfig()
) -> MatchPlan:
    """Top up peers below their degree from free peers (e.g. after blocks expire)."""
    work = _Work(view, now)
    _repair(work, [p for p in peer_ids if p in work.peers], config)
    return work.plan()


def apply_plan(view: SwarmView, plan: MatchPlan, now: float) -> SwarmView:
    """The view after `plan` (expired blocks dropped). Removals first, then additions."""
    peers = dict(view.peers)
    links = dict(view.links)  # untouched peers keep their (immutable) neighbour sets
    changed: dict[str, set[str]] = {}

    def mutable(peer_id: str) -> set[str]:
        if peer_id not in changed:
            changed[peer_id] = set(links.get(peer_id, _EMPTY))
        return changed[peer_id]

    for removed in plan.removed_links:
        a, b = tuple(removed)
        mutable(a).discard(b)
        mutable(b).discard(a)
    for peer_id in plan.removed_peers:
        peers.pop(peer_id, None)
        for other in mutable(peer_id):
            mutable(other).discard(peer_id)
        changed.pop(peer_id, None)
        links.pop(peer_id, None)
    for peer in plan.added_peers:
        peers[peer.peer_id] = peer
        mutable(peer.peer_id)
    for link in plan.added_links:
        if link.a in peers and link.b in peers:
            mutable(link.a).add(link.b)
            mutable(link.b).add(link.a)
    for peer_id, neighbours in changed.items():
        if peer_id in peers:
            links[peer_id] = frozenset(neighbours)
    blocked = {p: t for p, t in view.blocked.items() if t > now}
    blocked.update((p, t) for p, t in plan.blocks if t > now)
    return SwarmView(
        peers=MappingProxyType(peers),
        links=MappingProxyType(links),
        blocked=MappingProxyType(blocked),
        hints=view.hints,
    )
