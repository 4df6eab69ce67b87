"""DeadlineClock's HTTP rate: a link rate measured outside the scheduler (seed_http_rate)
replaces the config's guess until a fetch of its own is measured, and without a seed the first
fetch replaces the guess; later fetches are averaged in (the TypeScript port's same tests:
player-shim/test/scheduler/deadline_clock.test.ts)."""

from __future__ import annotations

from swarmcast.peer.deadline_clock import DeadlineClock
from swarmcast.peer.scheduler_config import SchedulerConfig


def test_seed_replaces_the_guess_until_an_own_fetch_is_measured() -> None:
    clock = DeadlineClock(SchedulerConfig())
    assert clock.http_rate == SchedulerConfig().http_rate_estimate_bytes_per_s
    clock.seed_http_rate(125_000.0)  # a 1 Mbit/s downlink
    assert clock.http_rate == 125_000.0
    clock.http_fetch_done(100_000, 1.0, now=10.0)
    weight = SchedulerConfig().http_rate_ewma_weight
    assert clock.http_rate == (1 - weight) * 125_000.0 + weight * 100_000.0
    clock.seed_http_rate(2_000_000.0)  # measured fetches of its own outweigh an outside figure
    assert clock.http_rate == (1 - weight) * 125_000.0 + weight * 100_000.0


def test_seed_ignores_nonsense() -> None:
    clock = DeadlineClock(SchedulerConfig())
    clock.seed_http_rate(0.0)
    assert clock.http_rate == SchedulerConfig().http_rate_estimate_bytes_per_s


def test_first_fetch_replaces_the_guess_then_fetches_are_averaged() -> None:
    clock = DeadlineClock(SchedulerConfig())
    clock.http_fetch_done(150_000, 0.5, now=3.0)  # 300 kB/s: a 2.4 Mbit/s downlink
    assert clock.http_rate == 300_000.0
    clock.http_fetch_done(100_000, 1.0, now=5.0)
    weight = SchedulerConfig().http_rate_ewma_weight
    assert clock.http_rate == (1 - weight) * 300_000.0 + weight * 100_000.0


def test_the_rate_is_dated_by_an_own_fetch_or_a_dated_seed() -> None:
    """`http_rate_at` (what `OriginPace.origin_known_fast` goes by): an undated seed leaves it
    unknown, a dated one (the player's own load, through the download meter) sets it, and once
    an own fetch is measured seeds no longer move it."""
    clock = DeadlineClock(SchedulerConfig())
    clock.seed_http_rate(125_000.0)
    assert clock.http_rate_at is None
    clock.seed_http_rate(130_000.0, 4.0)
    assert (clock.http_rate, clock.http_rate_at) == (130_000.0, 4.0)
    clock.http_fetch_done(100_000, 1.0, now=6.0)
    assert clock.http_rate_at == 6.0
    clock.seed_http_rate(2_000_000.0, 7.0)
    assert clock.http_rate_at == 6.0
