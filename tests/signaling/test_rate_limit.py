"""signaling.rate_limit: token bucket with a fake clock."""

from __future__ import annotations

import pytest

from signaling.rate_limit import TokenBucket


def test_burst_then_sustained_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=3.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.4) is False  # 0.8 tokens
    assert bucket.take(0.5) is True  # 1.0 token
    assert bucket.take(0.5) is False


def test_refill_is_capped_at_burst() -> None:
    bucket = TokenBucket(rate=10.0, burst=2.0)
    bucket.take(0.0)
    assert [bucket.take(100.0) for _ in range(3)] == [True, True, False]


def test_clock_going_backwards_refills_nothing() -> None:
    bucket = TokenBucket(rate=1.0, burst=1.0)
    assert bucket.take(10.0)
    assert not bucket.take(5.0)
    assert not bucket.take(10.5)
    assert bucket.take(11.0)


def test_cost() -> None:
    bucket = TokenBucket(rate=1.0, burst=5.0)
    assert bucket.take(0.0, cost=5.0)
    assert not bucket.take(0.0, cost=0.5)


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1.0), (1.0, 0.0), (-1.0, 1.0)])
def test_invalid(rate: float, burst: float) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate=rate, burst=burst)
