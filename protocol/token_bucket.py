"""The one token bucket: the Python peer's upload cap (bytes), signaling's per-connection
event limits (events), and per-address limits (`KeyedRateLimiter`). Pure: time is passed in,
so tests are exact."""

from __future__ import annotations

from collections import OrderedDict

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


class KeyedRateLimiter:
    """One `TokenBucket` per key (a client address, a network prefix), for at most `max_keys`
    keys: the least recently used are forgotten (they come back with a full bucket)."""

    def __init__(self, rate: float, burst: float, max_keys: int = 100_000) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be positive")
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, key: str, now: float) -> bool:
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = TokenBucket(self.rate, self.burst, now)
        self._buckets[key] = bucket
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return bucket.try_consume(now)

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until `key` has a token again (0 when it has one)."""
        bucket = self._buckets.get(key)
        return 0.0 if bucket is None else bucket.ready_at(now, 1.0) - now
