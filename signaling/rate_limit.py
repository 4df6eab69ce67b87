"""Token bucket for per-connection event limits. Pure: `now` (seconds) is passed in."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """Allows `burst` events at once and `rate` per second sustained."""

    rate: float
    burst: float
    tokens: float = field(default=-1.0)
    updated_at: float | None = None

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst <= 0:
            raise ValueError("rate and burst must be positive")
        if self.tokens < 0:
            self.tokens = self.burst

    def take(self, now: float, cost: float = 1.0) -> bool:
        """Spend `cost` tokens if available; a clock going backwards refills nothing."""
        if self.updated_at is not None and now > self.updated_at:
            self.tokens = min(self.burst, self.tokens + (now - self.updated_at) * self.rate)
        if self.updated_at is None or now > self.updated_at:
            self.updated_at = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False
