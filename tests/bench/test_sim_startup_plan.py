"""The simulator's model of the shim's startup plan (`SimConfig.shim_startup_plan`, on by
default) and of the product's slot rule for a known uplink (`uplink_known_share`)."""

from __future__ import annotations

from swarmcast.bench.sim.config import SimConfig
from swarmcast.bench.sim.runner import run_one
from swarmcast.bench.sim.swarm import Swarm

STEADY = SimConfig(
    scenario="steady", peers=6, duration_s=30.0, arrival_window_s=25.0, cap_x=20.0,
    peer_down_x=(1.2, 2.0),
)  # fmt: skip


def _startup_loads(result: dict[str, object]) -> list[dict[str, object]]:
    trace = result["trace"]
    assert isinstance(trace, list)
    return [e for e in trace if e["event"] == "http_startup"]


def test_origin_fast_newcomers_load_their_first_fragments_over_plain_http() -> None:
    """A steady audience on a fast origin is no crowd: each newcomer's fragments before its
    first frame go over plain HTTP at once, so its first frame comes as CDN-only's would."""
    off = run_one(STEADY.with_overrides({"shim_startup_plan": False}), 3, trace=True)
    on = run_one(STEADY, 3, trace=True)  # the default
    assert not _startup_loads(off)
    loads = _startup_loads(on)
    assert {e["node"] for e in loads} == set(range(STEADY.peers))
    cdn = run_one(STEADY.with_overrides({"adapter": "cdn"}), 3)
    assert on["ttff_p50"] is not None and off["ttff_p50"] is not None
    assert on["ttff_p50"] < off["ttff_p50"]
    assert on["ttff_p50"] <= cdn["ttff_p50"] + 0.5


def test_the_players_loads_seed_the_schedulers_origin_rate() -> None:
    """As the shim's download meter does: a newcomer's scheduler plans with its link's rate from
    its startup loads, not with the 2 MB/s guess (p2p_engine.ts `httpTransferred`)."""
    swarm = Swarm(STEADY, 3)
    swarm.run()
    for node in swarm.nodes:
        assert node.download_rate is not None and node.sched is not None
        assert node.down_rate is not None and node.download_rate <= node.down_rate * 1.001
        assert node.sched.clock.http_rate_known
    off = Swarm(STEADY.with_overrides({"shim_startup_plan": False}), 3)
    off.run()
    assert all(node.download_rate is None for node in off.nodes)


def test_a_crowd_starts_from_the_swarm() -> None:
    """Newcomers arriving together (a flash crowd) load nothing over plain HTTP for startup
    after the first few: the crowd rule sends them to the swarm."""
    crowd = SimConfig(scenario="flash", peers=12, duration_s=20.0, cap_x=3.0)
    result = run_one(crowd, 2, trace=True)
    starters = {e["node"] for e in _startup_loads(result)}
    assert 0 < len(starters) < crowd.peers // 2  # only the first arrivals see no crowd yet


def test_a_known_uplink_sets_the_slots_as_the_product_does() -> None:
    config = SimConfig(peers=4, peer_up_x=(0.5, 12.0), uplink_known_share=0.9)
    swarm = Swarm(config, 7)
    for node in swarm.nodes:
        sched_config = swarm.viewers._sched_config(node)
        rate = 0.9 * node.up_rate
        assert sched_config.upload_rate_bytes_per_s == rate
        expected = 1 if rate * 8 < 2_000_000 else min(8, int(rate * 8 // 1_000_000))
        assert sched_config.upload_slots == expected  # one slot per Mbit/s, 1 to 8
    slots = {swarm.viewers._sched_config(n).upload_slots for n in swarm.nodes}
    assert len(slots) > 1  # small and large uplinks differ
