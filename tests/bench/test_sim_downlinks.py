"""Viewer downlinks in the swarm simulator (`SimConfig.peer_down_x`): seeded runs stay
reproducible, the option leaves a seed's other draws alone, a lone origin fetch takes its
size over the viewer's downlink, and `--set peer_down_x=A,B` reaches the config."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from sim_cli import run_sim_cli

from swarmcast.bench import sim_bench
from swarmcast.bench.sim.config import SimConfig
from swarmcast.bench.sim.runner import decision_digest, run_one
from swarmcast.bench.sim.swarm import Swarm

DOWN = SimConfig(peers=8, duration_s=30.0, arrival_window_s=5.0, cap_x=3.0, peer_down_x=(1.5, 4.0))


def test_a_seeded_run_with_downlinks_is_deterministic() -> None:
    first = run_one(DOWN, 5, trace=True)
    second = run_one(DOWN, 5, trace=True)
    assert decision_digest(first) == decision_digest(second)
    assert first["events"] == second["events"]
    unlimited = run_one(DOWN.with_overrides({"peer_down_x": None}), 5, trace=True)
    assert decision_digest(unlimited) != decision_digest(first)
    assert "down_x" not in unlimited and "down_x" not in unlimited["viewers"][0]
    assert len(first["down_x"]) == DOWN.peers
    assert all(1.5 <= x <= 4.0 for x in first["down_x"])
    assert [v["down_x"] for v in first["viewers"]] == first["down_x"]


def test_downlinks_leave_the_seeds_other_draws_alone() -> None:
    with_down = Swarm(DOWN, 9)
    without = Swarm(DOWN.with_overrides({"peer_down_x": None}), 9)
    assert [(n.peer_id, n.arrives_at, n.up_rate) for n in with_down.nodes] == [
        (n.peer_id, n.arrives_at, n.up_rate) for n in without.nodes
    ]
    assert with_down.sizes == without.sizes
    assert all(n.down_rate is None and n.uplink is None for n in without.nodes)
    rates = [n.down_rate for n in with_down.nodes]
    assert len(set(rates)) == len(rates)  # drawn per viewer


def _lone_fetch_gaps(config: SimConfig, seed: int) -> tuple[list[float], list[float]]:
    """A lone CDN viewer's first back-to-back fragment loads: the gaps between their starts
    (each load starts when the previous is delivered) and the expected gaps at `rate`."""
    result = run_one(config, seed, trace=True)
    loads = [(e["t"], e["seq"]) for e in result["trace"] if e["event"] == "http_cdn"]
    swarm = Swarm(config, seed)
    gaps, sizes = [], []
    for (t0, seq), (t1, next_seq) in itertools.pairwise(loads):
        if next_seq != seq + 1 or t1 - t0 > config.segment_s:
            break  # caught up with the live edge: the next load waited for the playlist
        gaps.append(t1 - t0)
        sizes.append(float(swarm.segment_size(seq)))
    return gaps, sizes


def test_a_lone_fetch_takes_its_size_over_the_viewer_downlink() -> None:
    config = SimConfig(adapter="cdn", peers=1, duration_s=12.0, cap_x=50.0, peer_down_x=(1.2, 1.2))
    down = 1.2 * config.bitrate_bytes
    gaps, sizes = _lone_fetch_gaps(config, 4)
    assert len(gaps) >= 2
    expected = [config.origin_latency_s + size / down for size in sizes]
    assert gaps == pytest.approx(expected, abs=0.002)  # ~1.7 s each: the downlink's pace
    fast, _ = _lone_fetch_gaps(config.with_overrides({"peer_down_x": None}), 4)
    assert max(fast[:2]) < 0.2  # the same first fetches behind the 50x origin alone


def test_set_takes_a_comma_separated_range(tmp_path: Path) -> None:
    assert sim_bench._pairs(["peer_down_x=1.5,4"]) == {"peer_down_x": (1.5, 4.0)}
    assert sim_bench._pairs(["peer_down_x=[2, 3]"]) == {"peer_down_x": (2, 3)}
    assert sim_bench._pairs(["peer_down_x=null"]) == {"peer_down_x": None}
    assert sim_bench._pairs(["adapter=shim"]) == {"adapter": "shim"}
    data, _ = run_sim_cli(
        tmp_path, "--seeds", "1", "--peers", "4", "--duration", "10", "--set", "peer_down_x=1.5,4"
    )
    shim = data["adapters"]["shim"]
    assert shim["config"]["peer_down_x"] == [1.5, 4.0]
    assert len(shim["runs"][0]["down_x"]) == 4


def test_peer_down_x_must_be_a_positive_range() -> None:
    with pytest.raises(ValueError):
        SimConfig(peer_down_x=(2.0, 1.0))
    with pytest.raises(ValueError):
        SimConfig(peer_down_x=(0.0, 1.0))
