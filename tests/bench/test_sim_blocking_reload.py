"""The simulator's blocking playlist reload (`SimConfig.blocking_reload`, server/playlist_hold.py):
a shim viewer learns of each segment a round trip after it is published, not at its next poll."""

from __future__ import annotations

from swarmcast.bench.sim.config import SimConfig
from swarmcast.bench.sim.swarm import Swarm

STEADY = SimConfig(scenario="steady", peers=5, duration_s=20.0, arrival_window_s=5.0, cap_x=20.0)


def _lags(config: SimConfig) -> list[float]:
    """Seconds from each segment's publication to each viewer learning of it (after the
    viewer's first playlist, which lists segments published before it arrived)."""
    swarm = Swarm(config, 1)
    swarm.run()
    lags = []
    for node in swarm.nodes:
        first = min(node.learned_at.values())
        lags += [t - swarm.published_at(seq) for seq, t in node.learned_at.items() if t > first]
    return lags


def test_held_reloads_learn_each_segment_at_publication() -> None:
    polled = _lags(STEADY.with_overrides({"blocking_reload": False}))
    held = _lags(STEADY)  # the default, as the origin's
    bound = STEADY.origin_latency_s + STEADY.playlist_jitter_s + 1e-6
    assert len(held) >= len(polled) > 20
    assert max(held) <= bound
    assert sum(polled) / len(polled) > 2 * bound  # polling: up to a segment late
