"""The one token bucket: upload caps (bytes) and signaling event limits (events); exact time."""

from __future__ import annotations

import pytest

from swarmcast.protocol.token_bucket import TokenBucket


def test_burst_then_rate() -> None:
    bucket = TokenBucket(rate=1000, capacity=3000, now=0.0)
    assert bucket.try_consume(0.0, 2000)
    assert bucket.try_consume(0.0, 1000)
    assert not bucket.try_consume(0.0, 1)
    assert bucket.ready_at(0.0, 500) == pytest.approx(0.5)
    assert not bucket.try_consume(0.49, 500)
    assert bucket.try_consume(0.5, 500)


def test_refill_is_capped_at_capacity() -> None:
    bucket = TokenBucket(rate=1000, capacity=3000, now=0.0)
    assert bucket.try_consume(100.0, 3000)
    assert not bucket.try_consume(100.0, 1)


def test_oversized_send_waits_for_a_full_bucket_then_goes_into_debt() -> None:
    bucket = TokenBucket(rate=1000, capacity=1000, now=0.0)
    assert bucket.try_consume(0.0, 4000)  # full bucket: allowed, leaves 3000 of debt
    assert bucket.ready_at(0.0, 1000) == pytest.approx(4.0)
    assert not bucket.try_consume(3.9, 1000)
    assert bucket.try_consume(4.0, 1000)


def test_time_going_backwards_adds_nothing() -> None:
    bucket = TokenBucket(rate=1000, capacity=1000, now=10.0)
    assert bucket.try_consume(10.0, 1000)
    assert not bucket.try_consume(5.0, 1)


@pytest.mark.parametrize(("rate", "capacity"), [(0, 10), (10, 0), (-1, 10)])
def test_invalid(rate: float, capacity: int) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate, capacity, 0.0)


def test_event_limits_burst_then_sustained_rate() -> None:
    bucket = TokenBucket(rate=2.0, capacity=3.0, now=0.0)
    assert [bucket.try_consume(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.try_consume(0.4) is False  # 0.8 tokens
    assert bucket.try_consume(0.5) is True  # 1.0 token
    assert bucket.try_consume(0.5) is False
