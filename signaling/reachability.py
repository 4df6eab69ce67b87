"""Reachability and measured upload for matching (issue 12), per signaling node: the `path`
event (docs/protocol.md §4.2) records how a neighbour link opened (direct or through a TURN
relay), beacons give each member's upload (§4.7), and `annotate` hands both to the matcher
as `MatchHints` on the swarm's view. Knowledge about pairs whose members left is dropped.

Per node, not shared through Redis: a path is reported by both ends, and a member's links
are mostly matched by the node that holds it, so a node missing a remote report only ranks a
little worse.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol

from swarmcast.protocol import signaling_schema as schema
from swarmcast.signaling.match_hints import MatchHints, relayed_members
from swarmcast.signaling.swarm_matcher import SwarmView

Reply = dict[str, Any]
MAX_PAIRS_PER_SWARM = 65_536  # a swarm of 64-neighbour seeders and viewers stays far below


class SessionLike(Protocol):
    peer_id: str
    swarm: str | None


class NeighbourStore(Protocol):
    async def neighbours(self, swarm: str, peer_id: str) -> frozenset[str]: ...


class Reachability:
    """`capacity(peer_id)`: the member's upload capacity from its latest beacon, or None."""

    def __init__(self, store: NeighbourStore, capacity: Callable[[str], int | None]) -> None:
        self._store = store
        self._capacity = capacity
        self._paths: dict[str, dict[frozenset[str], str]] = {}

    async def on_path(self, session: SessionLike, data: object) -> Reply:
        request = schema.parse_path(data)
        swarm = session.swarm
        if swarm is None:
            return schema.error_ack("not-joined", "join a swarm first")
        if request.peer_id not in await self._store.neighbours(swarm, session.peer_id):
            return schema.error_ack("not-neighbour", "you may only report neighbours")
        self.record(swarm, session.peer_id, request.peer_id, request.path)
        return schema.ok_ack()

    def record(self, swarm: str, a: str, b: str, path: str) -> None:
        """One end says how the a-b link opened; a direct report wins over a relayed one (the
        other end may have seen the relay pair first)."""
        paths = self._paths.setdefault(swarm, {})
        key = frozenset((a, b))
        if paths.get(key) == "direct":
            return
        if key not in paths and len(paths) >= MAX_PAIRS_PER_SWARM:
            return
        paths[key] = path

    def annotate(self, swarm: str, view: SwarmView) -> SwarmView:
        """`view` with the hints the matcher uses (and stale pairs forgotten)."""
        paths = self._paths.get(swarm)
        if paths is not None:
            for key in [k for k in paths if not k <= view.peers.keys()]:
                del paths[key]
            if not paths:
                del self._paths[swarm]
        upload = {}
        for peer_id in view.peers:
            if (bps := self._capacity(peer_id)) is not None:
                upload[peer_id] = bps
        known = dict(paths or {})
        hints = MatchHints(paths=known, relayed=relayed_members(known), upload=upload)
        return dataclasses.replace(view, hints=hints)
