"""Who may hold one of the RTMP server's connection slots (docs/security.md, publisher).

Pure (time is a parameter). A connection that has not shown a valid stream key yet is
*unauthenticated*; such connections can never lock the broadcaster out:

- one address holds at most `max_connections_per_address` connections;
- when a new connection finds its address's share full, an unauthenticated connection of that
  address makes room for it: the least advanced in its setup (handshake, connect, publish),
  oldest first. A publisher with the right key is through the handshake in milliseconds, so
  silent connections, and an attacker's own fresh ones, go first;
- when the server is full, the same rule picks among the addresses holding the most
  connections first, so many attacking addresses displace each other before a lone publisher;
- an address that offered `key_failures_before_lockout` wrong keys within `key_failure_window`
  has its connections refused at accept for `lockout` seconds.
"""

from __future__ import annotations

import collections
from collections.abc import Hashable
from dataclasses import dataclass

from segmenter.rtmp_config import RtmpConfig

_MAX_TRACKED_ADDRESSES = 10_000


@dataclass
class _Slot:
    address: str
    opened: float
    progress: int = 0
    """How far its setup got (0 handshake, 1 awaiting connect, 2 awaiting publish)."""
    authenticated: bool = False


@dataclass(frozen=True)
class Decision:
    admitted: bool
    evict: tuple[Hashable, ...]
    """Connections to drop to make room (oldest unauthenticated first)."""
    reason: str
    """Why it was refused, or whom it displaced; "" when admitted with room to spare."""


class RtmpAdmission:
    def __init__(self, config: RtmpConfig) -> None:
        self.config = config
        self._slots: dict[Hashable, _Slot] = {}
        self._failures: dict[str, collections.deque[float]] = {}
        self._locked_until: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._slots)

    def admit(self, now: float, conn: Hashable, address: str) -> Decision:
        """A new TCP connection: take a slot (maybe displacing others), or be refused."""
        if self.locked(now, address):
            return Decision(False, (), "locked out after wrong stream keys")
        evict: list[Hashable] = []
        mine = [c for c, s in self._slots.items() if s.address == address]
        if len(mine) >= self.config.max_connections_per_address:
            victim = self._least_advanced(mine)
            if victim is None:
                return Decision(False, (), "too many connections from this address")
            evict.append(victim)
        if len(self._slots) - len(evict) >= self.config.max_connections:
            others = [c for c in self._slots if c not in evict]
            victim = self._least_advanced(others, busiest_address_first=True)
            if victim is None:
                return Decision(False, (), "every connection slot holds a publisher")
            evict.append(victim)
        for victim in evict:
            del self._slots[victim]
        self._slots[conn] = _Slot(address, now)
        reason = f"displaced {len(evict)} unauthenticated connection(s)" if evict else ""
        return Decision(True, tuple(evict), reason)

    def progressed(self, conn: Hashable, progress: int) -> None:
        """The connection's setup advanced (it is displaced after those that did not)."""
        slot = self._slots.get(conn)
        if slot is not None:
            slot.progress = max(slot.progress, progress)

    def authenticated(self, conn: Hashable) -> None:
        """The connection showed a valid key: it is never displaced."""
        slot = self._slots.get(conn)
        if slot is not None:
            slot.authenticated = True

    def closed(self, conn: Hashable) -> None:
        self._slots.pop(conn, None)

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

    def _least_advanced(
        self, conns: list[Hashable], *, busiest_address_first: bool = False
    ) -> Hashable | None:
        """The unauthenticated connection to displace first, if any."""
        per_address = collections.Counter(self._slots[c].address for c in conns)

        def rank(conn: Hashable) -> tuple[int, int, float]:
            slot = self._slots[conn]
            share = -per_address[slot.address] if busiest_address_first else 0
            return share, slot.progress, slot.opened

        candidates = [c for c in conns if not self._slots[c].authenticated]
        return min(candidates, key=rank, default=None)

    def _forget_old(self, now: float) -> None:
        """Bound the tables when many addresses fail (each entry expires anyway)."""
        horizon = now - self.config.key_failure_window
        for address in [a for a, f in self._failures.items() if not f or f[-1] <= horizon]:
            del self._failures[address]
        for address in [a for a, until in self._locked_until.items() if until <= now]:
            del self._locked_until[address]
        while len(self._failures) >= _MAX_TRACKED_ADDRESSES:
            del self._failures[next(iter(self._failures))]
