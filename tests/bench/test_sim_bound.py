"""The simulator's offload against the lab's capacity-aware bound (`bench/sim/runner.py`
`presence_bound`): between arrivals, the bound of the viewers present, weighted by their number;
and the uplink variant it was judged with (`uplink_measured_after_s`)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from swarmcast.bench.sim.config import SimConfig
from swarmcast.bench.sim.runner import decision_digest, presence_bound, run_one
from swarmcast.bench.sim.swarm import Swarm


def _viewer(arrives_at: float, up_x: float) -> Any:
    return SimpleNamespace(arrives_at=arrives_at, up_rate=up_x * 1000.0)


def test_a_viewer_alone_offloads_nothing_until_the_second_arrives() -> None:
    # Alone for 0-40 s (bound 0), then two of them with ample uplinks (1 - 1/2) until 100 s:
    # (0 * 1 * 40 + 0.5 * 2 * 60) / (1 * 40 + 2 * 60) = 60 / 160.
    nodes = cast(list[Any], [_viewer(0.0, 3.0), _viewer(40.0, 3.0)])
    assert presence_bound(nodes, 1000.0, 100.0) == pytest.approx(0.375)


def test_small_uplinks_lower_the_bound_below_one_minus_one_over_n() -> None:
    # Both from the start, uplinks 0.2 and 0.4 of the bitrate: sum(u) / (N r) = 0.3 < 0.5.
    nodes = cast(list[Any], [_viewer(0.0, 0.2), _viewer(0.0, 0.4)])
    assert presence_bound(nodes, 1000.0, 60.0) == pytest.approx(0.3)


def test_a_run_reports_offload_of_its_bound_outside_the_digest() -> None:
    config = SimConfig(scenario="steady", peers=3, cap_x=4.0, duration_s=30.0, arrival_window_s=6.0)
    result = run_one(config, 1)
    assert 0.0 < result["bound"] <= 2 / 3
    expected = result["offload"] / result["bound"]
    assert result["offload_of_bound"] == pytest.approx(expected, abs=1e-3)
    assert len(result["up_x"]) == 3
    stripped = {k: v for k, v in result.items() if k not in ("up_x", "bound", "offload_of_bound")}
    assert decision_digest(result) == decision_digest(stripped)


@pytest.mark.parametrize("after_s", [None, 2.0])
def test_schedulers_hear_their_uplink_as_measured_only_with_the_variant(
    after_s: float | None,
) -> None:
    config = SimConfig(
        scenario="steady",
        peers=3,
        cap_x=4.0,
        duration_s=20.0,
        arrival_window_s=4.0,
        uplink_measured_after_s=after_s,
    )
    swarm = Swarm(config, 1)
    swarm.run()
    for node in swarm.nodes:
        assert node.sched is not None
        expected = None if after_s is None else node.up_rate
        assert node.sched.gate.pace.measured_uplink == expected
