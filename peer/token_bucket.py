"""Token bucket for the optional upload cap; time is passed in so tests are exact."""

from __future__ import annotations

# Refill arithmetic in floating point can leave a bucket a hair short at its own ready time.
_EPSILON = 1e-9


class TokenBucket:
    """`rate` bytes/s, at most `capacity` bytes banked. A send larger than the capacity is
    allowed once the bucket is full and leaves it in debt, so any piece size gets through."""

    def __init__(self, rate: float, capacity: int, now: float) -> None:
        if rate <= 0 or capacity <= 0:
            raise ValueError("rate and capacity must be > 0")
        self.rate = rate
        self.capacity = float(capacity)
        self._tokens = float(capacity)
        self._updated = now

    def _refill(self, now: float) -> None:
        if now > self._updated:
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now

    def try_consume(self, now: float, amount: int) -> bool:
        """Take `amount` bytes if the bucket allows it now."""
        self._refill(now)
        if self._tokens + _EPSILON >= min(float(amount), self.capacity):
            self._tokens -= amount
            return True
        return False

    def ready_at(self, now: float, amount: int) -> float:
        """Earliest time at which `try_consume(amount)` succeeds."""
        self._refill(now)
        need = min(float(amount), self.capacity)
        if self._tokens + _EPSILON >= need:
            return now
        return now + (need - self._tokens) / self.rate
