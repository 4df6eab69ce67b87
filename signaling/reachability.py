"""Reachability and measured upload for matching (issue 12): the `path`
event (docs/protocol.md §4.2) records how a neighbour link opened (direct or through a TURN
relay), an `unreachable` report records a pair that never opened (`failed`), beacons give each
member's upload (§4.7), and `annotate` hands both to the matcher as `MatchHints` on the swarm's
view. Knowledge about pairs whose members left is dropped.

Paths live in the swarm store (`record_path`/`load_paths`), so with Redis every signaling node
matches with what any node heard (`sc:swarm:{swarm}:paths`, signaling/redis_store.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol

from swarmcast.protocol import signaling_schema as schema
from swarmcast.signaling.match_hints import FAILED, MatchHints, relayed_members
from swarmcast.signaling.swarm_matcher import SwarmView

Reply = dict[str, Any]


class SessionLike(Protocol):
    peer_id: str
    swarm: str | None


class PathStore(Protocol):
    """The part of `signaling.swarm_store.SwarmStore` reachability uses."""

    async def load(self, swarm: str) -> SwarmView: ...
    async def neighbours(self, swarm: str, peer_id: str) -> frozenset[str]: ...
    async def record_path(self, swarm: str, a: str, b: str, path: str) -> None: ...
    async def load_paths(self, swarm: str) -> dict[frozenset[str], str]: ...
    async def forget_paths(self, swarm: str, pairs: list[frozenset[str]]) -> None: ...


class Reachability:
    """`capacity(peer_id)`: the member's upload capacity from its latest beacon, or None."""

    def __init__(self, store: PathStore, capacity: Callable[[str], int | None]) -> None:
        self._store = store
        self._capacity = capacity

    async def on_path(self, session: SessionLike, data: object) -> Reply:
        request = schema.parse_path(data)
        swarm = session.swarm
        if swarm is None:
            return schema.error_ack("not-joined", "join a swarm first")
        if request.peer_id not in await self._store.neighbours(swarm, session.peer_id):
            return schema.error_ack("not-neighbour", "you may only report neighbours")
        await self._store.record_path(swarm, session.peer_id, request.peer_id, request.path)
        return schema.ok_ack()

    async def failed(self, swarm: str, a: str, b: str) -> None:
        """`a` reported `b` unreachable: their link never opened, not even through TURN (callers
        hold the swarm's lock). Such a pair counts as needing a relay, and a member that failed
        or was relayed with several neighbours and reached none directly is matched last."""
        await self._store.record_path(swarm, a, b, FAILED)

    async def view(self, swarm: str) -> SwarmView:
        """The swarm as the store has it, with the matcher's hints (callers hold its lock)."""
        return await self.annotate(swarm, await self._store.load(swarm))

    async def annotate(self, swarm: str, view: SwarmView) -> SwarmView:
        """`view` with the hints the matcher uses (and pairs of departed members forgotten)."""
        known = await self._store.load_paths(swarm)
        stale = [k for k in known if not k <= view.peers.keys()]
        if stale:
            await self._store.forget_paths(swarm, stale)
            for key in stale:
                del known[key]
        upload = {}
        for peer_id in view.peers:
            if (bps := self._capacity(peer_id)) is not None:
                upload[peer_id] = bps
        hints = MatchHints(paths=known, relayed=relayed_members(known), upload=upload)
        return dataclasses.replace(view, hints=hints)
