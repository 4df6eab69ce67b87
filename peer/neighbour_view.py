"""A client's view of its neighbour set under the ordering rule of docs/protocol.md §4.3.

A join's ack leaves the server after its handler returns, so `neighbours` events caused by
later arrivals can reach the client before the ack. This I/O-free core buffers events while a
join is pending, takes the ack's list as the set, then replays the buffer; events for any swarm
but the latest joined one are dropped. The Socket.IO adapter is `peer.signaling_client`."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType

from swarmcast.protocol import signaling_schema as schema


class NeighbourView:
    """The neighbour set as the server sees it, rebuilt from a join ack plus ordered events."""

    def __init__(self) -> None:
        self.swarm: str | None = None
        self._neighbours: dict[str, schema.NeighbourEntry] = {}
        # Not None while a join is pending: events in arrival order.
        self._buffered: list[schema.NeighboursUpdate] | None = None

    @property
    def neighbours(self) -> Mapping[str, schema.NeighbourEntry]:
        """peer_id -> entry; read-only, always the current set."""
        return MappingProxyType(self._neighbours)

    @property
    def joining(self) -> bool:
        return self._buffered is not None

    def join_started(self) -> None:
        """Call before the `join` is sent: from now on events wait for its ack."""
        if self._buffered is None:
            self._buffered = []

    def join_acked(self, ack: schema.JoinAck) -> schema.JoinAck:
        """The ack's list becomes the set, then the buffered events apply in arrival order.
        Returns the ack with `neighbours` replaced by that converged set: the consumer adds
        exactly these, and gets only later events through `event`."""
        buffered, self._buffered = self._buffered or [], None
        self.swarm = ack.swarm
        self._neighbours = {entry.peer_id: entry for entry in ack.neighbours}
        for update in buffered:
            self._apply(update)
        return dataclasses.replace(ack, neighbours=tuple(self._neighbours.values()))

    def join_failed(self) -> list[schema.NeighboursUpdate]:
        """A refused or unanswered join leaves the last joined swarm in place (the server
        refuses before moving the peer in most cases): the buffered events of that swarm
        apply now and are returned for the consumer, in order."""
        buffered, self._buffered = self._buffered or [], None
        return [update for update in buffered if self._apply(update)]

    def event(self, update: schema.NeighboursUpdate) -> schema.NeighboursUpdate | None:
        """An incoming `neighbours` event: returned when the consumer should act on it now,
        None when it is buffered (join pending) or stale (another swarm)."""
        if self._buffered is not None:
            self._buffered.append(update)
            return None
        return update if self._apply(update) else None

    def reset(self) -> None:
        """The connection is gone: the server forgot this peer and all its links."""
        self.swarm = None
        self._neighbours = {}
        self._buffered = None

    def _apply(self, update: schema.NeighboursUpdate) -> bool:
        if self.swarm is None or update.swarm != self.swarm:
            return False
        # Removes first: an id removed and added in one event is a rebuilt link (§4.3).
        for peer_id in update.remove:
            self._neighbours.pop(peer_id, None)
        for entry in update.add:
            self._neighbours[entry.peer_id] = entry
        return True
