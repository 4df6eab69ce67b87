"""Per-address request limits and wrong-token lockouts for the WHIP endpoint. Pure: `now` is
passed in. Memory is bounded: at most `max_addresses` are remembered, least recent first out."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from swarmcast.protocol.token_bucket import TokenBucket


@dataclass(slots=True)
class _Entry:
    bucket: TokenBucket
    failures: list[float] = field(default_factory=list)
    locked_until: float = 0.0


class AddressGuard:
    def __init__(
        self,
        rate: float,
        burst: float,
        max_failures: int,
        lockout_s: float,
        max_addresses: int,
    ) -> None:
        self.rate, self.burst = rate, burst
        self.max_failures, self.lockout_s = max_failures, lockout_s
        self.max_addresses = max_addresses
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def _entry(self, address: str, now: float) -> _Entry:
        entry = self._entries.get(address)
        if entry is None:
            entry = _Entry(TokenBucket(self.rate, self.burst, now))
            self._entries[address] = entry
            while len(self._entries) > self.max_addresses:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(address)
        return entry

    def admit(self, address: str, now: float) -> float | None:
        """None if a request from `address` may proceed, else seconds to wait (Retry-After)."""
        entry = self._entry(address, now)
        if now < entry.locked_until:
            return entry.locked_until - now
        if not entry.bucket.try_consume(now):
            return 1.0 / self.rate
        return None

    def failed_auth(self, address: str, now: float) -> bool:
        """Count a wrong token; True if this one locked the address out."""
        entry = self._entry(address, now)
        entry.failures = [t for t in entry.failures if t > now - self.lockout_s]
        entry.failures.append(now)
        if len(entry.failures) >= self.max_failures:
            entry.failures.clear()
            entry.locked_until = now + self.lockout_s
            return True
        return False
