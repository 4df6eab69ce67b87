"""The one token bucket: the Python peer's upload cap (bytes) and signaling's per-connection
event limits (events). Pure: time is passed in, so tests are exact."""

from __future__ import annotations

# Refill arithmetic in floating point can leave a bucket a hair short at its own ready time.
_EPSILON = 1e-9


class TokenBucket:
    """`rate` units/s, at most `capacity` units banked, full at construction. An amount larger
    than the capacity is allowed once the bucket is full and leaves it in debt, so any piece
    size gets through. A clock going backwards refills nothing."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
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

    def try_consume(self, now: float, amount: float = 1.0) -> bool:
        """Take `amount` units if the bucket allows it now."""
        self._refill(now)
        if self._tokens + _EPSILON >= min(float(amount), self.capacity):
            self._tokens -= amount
            return True
        return False

    def ready_at(self, now: float, amount: float) -> float:
        """Earliest time at which `try_consume(amount)` succeeds."""
        self._refill(now)
        need = min(float(amount), self.capacity)
        if self._tokens + _EPSILON >= need:
            return now
        return now + (need - self._tokens) / self.rate
