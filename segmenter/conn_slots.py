"""Connection slots that one address, or many, cannot fill to lock others out (the RTMP ingest
and the HTTP origin both use them; docs/security.md §5). Pure: time is a parameter.

A connection that has not proven itself yet (RTMP: no valid stream key; HTTP: no complete
request header) is *unproven*. Proven connections are never displaced. When a new connection
finds its address's share (`per_address`) or the whole table (`total`) full, an unproven one
makes room for it: the least advanced in its setup first, then the oldest; for a full table,
from the address holding the most slots first. An honest client proves itself within
milliseconds of connecting, so silent or trickling connections, and an attacker's own fresh
ones, are displaced before it. With nothing to displace, the newcomer is refused.
"""

from __future__ import annotations

import collections
from collections.abc import Hashable
from dataclasses import dataclass


@dataclass
class _Slot:
    address: str
    opened: float
    progress: int = 0
    proven: bool = False


@dataclass(frozen=True)
class Decision:
    admitted: bool
    evict: tuple[Hashable, ...]
    """Connections to close to make room for this one."""
    reason: str
    """Why it was refused, or what it displaced; "" when admitted with room to spare."""


class ConnectionSlots:
    def __init__(self, total: int, per_address: int) -> None:
        if min(total, per_address) < 1:
            raise ValueError("total and per_address must be >= 1")
        self.total = total
        self.per_address = per_address
        self._slots: dict[Hashable, _Slot] = {}
        self._per_address: collections.Counter[str] = collections.Counter()

    def __len__(self) -> int:
        return len(self._slots)

    def held_by(self, address: str) -> int:
        return self._per_address[address]

    def admit(self, now: float, conn: Hashable, address: str) -> Decision:
        """A new connection: take a slot (maybe displacing unproven ones), or be refused."""
        evict: list[Hashable] = []
        if self._per_address[address] >= self.per_address:
            mine = [c for c, s in self._slots.items() if s.address == address]
            victim = self._least_advanced(mine, busiest_first=False)
            if victim is None:
                return Decision(False, (), "too many connections from this address")
            evict.append(victim)
        if len(self._slots) - len(evict) >= self.total:
            others = [c for c in self._slots if c not in evict]
            victim = self._least_advanced(others, busiest_first=True)
            if victim is None:
                return Decision(False, (), "every slot holds a proven connection")
            evict.append(victim)
        for victim in evict:
            self.closed(victim)
        self._slots[conn] = _Slot(address, now)
        self._per_address[address] += 1
        reason = f"displaced {len(evict)} unproven connection(s)" if evict else ""
        return Decision(True, tuple(evict), reason)

    def progressed(self, conn: Hashable, progress: int) -> None:
        """The connection's setup advanced (it is displaced after those that did not)."""
        slot = self._slots.get(conn)
        if slot is not None:
            slot.progress = max(slot.progress, progress)

    def proven(self, conn: Hashable) -> None:
        """The connection showed it is a real client: it is never displaced."""
        slot = self._slots.get(conn)
        if slot is not None:
            slot.proven = True

    def is_proven(self, conn: Hashable) -> bool:
        slot = self._slots.get(conn)
        return slot is not None and slot.proven

    def closed(self, conn: Hashable) -> None:
        slot = self._slots.pop(conn, None)
        if slot is not None:
            self._per_address[slot.address] -= 1
            if not self._per_address[slot.address]:
                del self._per_address[slot.address]

    def _least_advanced(self, conns: list[Hashable], *, busiest_first: bool) -> Hashable | None:
        """The unproven connection to displace first, if any."""

        def rank(conn: Hashable) -> tuple[int, int, float]:
            slot = self._slots[conn]
            share = -self._per_address[slot.address] if busiest_first else 0
            return share, slot.progress, slot.opened

        candidates = [c for c in conns if not self._slots[c].proven]
        return min(candidates, key=rank, default=None)
