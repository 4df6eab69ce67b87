"""Who may hold one of the RTMP server's connection slots (docs/security.md §5.3). Pure.

Slots are `ConnectionSlots` (segmenter/conn_slots.py): a connection is proven once it showed a
valid stream key; at most `max_connections_per_address` per address and `max_connections` in
all, and a newcomer displaces an unproven connection (least advanced in its handshake, connect,
publish; then oldest; for a full server from the busiest address first) rather than being
refused. On top of that, an address that offered `key_failures_before_lockout` wrong keys
within `key_failure_window` has its connections refused at accept for `lockout` seconds.
"""

from __future__ import annotations

import collections
from collections.abc import Hashable

from swarmcast.segmenter.conn_slots import ConnectionSlots, Decision
from swarmcast.segmenter.rtmp_config import RtmpConfig

_MAX_TRACKED_ADDRESSES = 10_000


class RtmpAdmission:
    def __init__(self, config: RtmpConfig) -> None:
        self.config = config
        self.slots = ConnectionSlots(config.max_connections, config.max_connections_per_address)
        self._failures: dict[str, collections.deque[float]] = {}
        self._locked_until: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self.slots)

    def admit(self, now: float, conn: Hashable, address: str) -> Decision:
        """A new TCP connection: take a slot (maybe displacing others), or be refused."""
        if self.locked(now, address):
            return Decision(False, (), "locked out after wrong stream keys")
        return self.slots.admit(now, conn, address)

    def progressed(self, conn: Hashable, progress: int) -> None:
        """Setup advanced (1 awaiting connect, 2 awaiting publish)."""
        self.slots.progressed(conn, progress)

    def authenticated(self, conn: Hashable) -> None:
        """The connection showed a valid key: it is never displaced."""
        self.slots.proven(conn)

    def closed(self, conn: Hashable) -> None:
        self.slots.closed(conn)

    def key_failed(self, now: float, address: str) -> bool:
        """Count a wrong key; True if the address is now locked out."""
        if len(self._failures) >= _MAX_TRACKED_ADDRESSES:
            self._forget_old(now)
        window = self.config.key_failure_window
        failures = self._failures.setdefault(address, collections.deque())
        failures.append(now)
        while failures and failures[0] <= now - window:
            failures.popleft()
        if len(failures) >= self.config.key_failures_before_lockout:
            self._locked_until[address] = now + self.config.lockout
            del self._failures[address]
            return True
        return False

    def locked(self, now: float, address: str) -> bool:
        until = self._locked_until.get(address)
        if until is None:
            return False
        if until <= now:
            del self._locked_until[address]
            return False
        return True

    def _forget_old(self, now: float) -> None:
        """Bound the tables when many addresses fail (each entry expires anyway)."""
        horizon = now - self.config.key_failure_window
        for address in [a for a, f in self._failures.items() if not f or f[-1] <= horizon]:
            del self._failures[address]
        for address in [a for a, until in self._locked_until.items() if until <= now]:
            del self._locked_until[address]
        while len(self._failures) >= _MAX_TRACKED_ADDRESSES:
            del self._failures[next(iter(self._failures))]
