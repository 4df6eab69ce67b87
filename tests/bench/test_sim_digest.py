"""Pinned fingerprints of small seeded simulator runs (decisions, figures, per-second series and
decision log): speed work on the simulator or the scheduler must leave them unchanged.

A change that alters decisions on purpose (scheduler policy, the modelled world) changes them
too: then check that it was meant, and put the new digests printed by the failure here."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from swarmcast.bench.sim.config import SimConfig
from swarmcast.bench.sim.runner import decision_digest, run_one

PINNED = {
    "flash-shim": (
        SimConfig(scenario="flash", peers=10, cap_x=2.5, duration_s=40.0, arrival_window_s=10.0),
        3,
        "a708d67fa109651a9e6feea2b871b1b4446e53971a04e55f81f3ae9890f69768",
    ),
    "steady-peer": (
        SimConfig(
            scenario="steady",
            adapter="peer",
            peers=12,
            cap_x=4.0,
            duration_s=50.0,
            arrival_window_s=20.0,
        ),
        2,
        "4e4ff3048799fdee692a16ececaba5daa673563ead372248d8286d54e58c65d6",
    ),
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_seeded_run_digest_is_pinned(name: str) -> None:
    config, seed, pinned = PINNED[name]
    result = run_one(config, seed, trace=True)
    assert result["events"] > 0
    digest = decision_digest(result)
    assert digest == pinned, (
        f"{name}: the simulated run's decisions changed (digest {digest}). A speed-up must not "
        "change them; a deliberate policy or model change updates PINNED."
    )


def test_digest_ignores_only_the_event_and_message_counts() -> None:
    config, seed, _ = PINNED["flash-shim"]
    result = run_one(config, seed)
    assert decision_digest({**result, "events": 1}) == decision_digest(result)
    assert decision_digest({**result, "messages": {}}) == decision_digest(result)
    assert decision_digest({**result, "stalls": result["stalls"] + 1}) != decision_digest(result)


def test_progress_reports_every_ten_seconds_without_changing_the_run() -> None:
    config, seed, pinned = PINNED["flash-shim"]
    seen: list[tuple[float, int]] = []
    result = run_one(
        config, seed, trace=True, progress=lambda s: seen.append((s.q.now, s.origin.in_flight))
    )
    assert [t for t, _ in seen] == [0.5, 10.5, 20.5, 30.5]  # the once-a-second sample's times
    assert decision_digest(result) == pinned


def test_progress_timeout_follows_its_inputs() -> None:
    """DeadlineClock caches progress_timeout: every input change must be seen."""
    from swarmcast.peer.deadline_clock import DeadlineClock
    from swarmcast.peer.scheduler_config import SchedulerConfig

    clock = DeadlineClock(SchedulerConfig(progress_timeout_pieces=2.0, progress_timeout_max_s=8))

    def expected() -> float:  # the uncached formula
        if clock.piece_size <= 0:
            return 2.0
        return max(2.0, min(8.0, 2 * clock.piece_size / min(clock.http_rate, clock.copy_rate)))

    seen = {clock.progress_timeout()}
    steps: list[Callable[[], object]] = [lambda: setattr(clock, "piece_size", 16384)]
    steps += [lambda: clock.http_fetch_done(16384, 100.0)] * 20  # slow fetches: 164 B/s
    steps += [lambda: clock.http_fetch_done(10**7, 1.0)] * 20  # fast again
    steps += [lambda: clock.copy_progress(16384, 100.0)] * 20  # slow copies
    steps += [lambda: setattr(clock, "piece_size", 1024)]
    for step in steps:
        step()
        assert clock.progress_timeout() == expected()
        seen.add(clock.progress_timeout())
    assert len(seen) > 4 and 8.0 in seen  # the steps moved it, up to the bound
