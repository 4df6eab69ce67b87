"""The swarm simulator: seeded runs are reproducible, new scheduler actions are counted rather
than lost, and the collapse test reads the per-second series as issue 8 defines it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from sim_cli import run_sim_cli

from swarmcast.bench.sim.config import SimConfig
from swarmcast.bench.sim.explain import explain
from swarmcast.bench.sim.metrics import Recorder
from swarmcast.bench.sim.runner import aggregate, run_one
from swarmcast.bench.sim.swarm import Swarm
from swarmcast.peer.scheduler_actions import Action

TINY = SimConfig(peers=6, duration_s=30.0, arrival_window_s=5.0, cap_x=3.0)


def test_same_seed_same_run() -> None:
    first = run_one(TINY, 7, trace=True)
    second = run_one(TINY, 7, trace=True)
    assert first == second
    assert first["events"] > 0 and first["trace"]
    assert run_one(TINY, 8)["events"] != first["events"]


def test_same_seed_same_run_in_another_process() -> None:
    """Nothing depends on str hashing (sets of peer ids): a seed replays anywhere."""
    code = (
        "import json; from bench.sim.runner import run_one; from bench.sim.config import SimConfig;"
        "print(json.dumps(run_one(SimConfig(peers=6, duration_s=30.0, arrival_window_s=5.0), 7)))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == json.loads(json.dumps(run_one(TINY, 7)))


def test_an_uncongested_origin_lets_the_swarm_carry_the_stream() -> None:
    result = run_one(TINY.with_overrides({"cap_x": 100.0}), 3)
    assert result["not_started"] == 0
    assert result["stalls"] == 0
    assert result["offload"] > 0.3
    assert result["unknown_actions"] == {}


def test_messages_are_counted_by_type_per_viewer_second() -> None:
    """HAVE_PIECES per viewer per stream-second is the figure issues 8 and 12 cut; announcing
    origin and relayed copies every 4 pieces instead of every piece must show in it."""
    every = run_one(TINY, 3)["messages"]
    total = every["total"]
    assert total["HAVE_PIECES"] > 0 and total["PIECE"] > 0 and total["REQUEST"] > 0
    assert total["HAVE"] > 0 and total["HAVE_DELTA"] > 0
    member_s = sum(TINY.duration_s - n.arrives_at for n in Swarm(TINY, 3).nodes)
    assert every["per_member_s"]["PIECE"] == round(total["PIECE"] / member_s, 3)
    coarse = TINY.with_overrides(
        {"scheduler": {"origin_announce_pieces": 4, "relay_announce_pieces": 4}}
    )
    fewer = run_one(coarse, 3)["messages"]["per_member_s"]["HAVE_PIECES"]
    assert fewer < 0.6 * every["per_member_s"]["HAVE_PIECES"]


def test_cdn_only_sends_every_viewer_to_the_origin() -> None:
    result = run_one(TINY.with_overrides({"adapter": "cdn"}), 3)
    assert result["peer_bytes"] == 0
    assert set(result["origin_bytes_by_kind"]) == {"cdn"}


@dataclass(frozen=True)
class _FutureAction(Action):
    kind: ClassVar[str] = "send_have_pieces"
    peer: str
    seq: int


def test_the_engine_holds_first_loads_for_the_join() -> None:
    """join_hold_s models the engine's startup join wait: a join within it means no plain-HTTP
    startup fragment; without the wait every newcomer pulls one before its session is up."""
    held = run_one(TINY.with_overrides({"join_hold_s": 2.0}), 3)
    unheld = run_one(TINY.with_overrides({"join_hold_s": 0.0}), 3)
    assert "pre_session" not in held["origin_bytes_by_kind"]
    assert unheld["origin_bytes_by_kind"].get("pre_session", 0) > 0


def test_shim_swarm_size_from_signaling() -> None:
    """The election's swarm size: what signaling knows (the shim polls it) or neighbours + 1
    (the shim before swarm_size_poll.ts)."""
    config = TINY.with_overrides({"peers": 12, "shim_swarm_size": "signaling"})
    swarm = Swarm(config, 3)
    swarm.run()
    sizes = [node.sched.swarm_size for node in swarm.nodes if node.sched is not None]
    assert max(sizes) > config.neighbours + 1
    swarm = Swarm(config.with_overrides({"shim_swarm_size": "neighbours"}), 3)
    swarm.run()
    assert all(n.sched.swarm_size <= config.neighbours + 1 for n in swarm.nodes if n.sched)


def test_unknown_actions_are_counted() -> None:
    swarm = Swarm(TINY, 1)
    node = swarm.nodes[0]
    swarm.viewers._session(node)
    assert node.sched is not None
    node.sched._actions.append(_FutureAction("x", 3))
    swarm.drain(node)
    assert swarm.unknown_actions == {"send_have_pieces": 1}


def test_collapse_needs_low_offload_for_ten_seconds_of_redundant_origin_bytes() -> None:
    rec = Recorder(30.0)
    for second in range(30):
        rec.peer[second] = 1000.0
        rec.origin_first[second] = 1000.0  # 50% offload: no collapse
    for second in range(5, 17):  # 12 s at 1/11 offload, all redundant
        rec.origin_first[second] = 0.0
        rec.origin_redundant[second] = 10_000.0
    assert rec.collapses() == [(5, 17)]
    for second in range(5, 17):  # the same bytes as first copies: a cold start, not a collapse
        rec.origin_first[second], rec.origin_redundant[second] = 10_000.0, 0.0
    assert rec.collapses() == []


def test_aggregate_reports_distribution_and_collapses() -> None:
    runs = [run_one(TINY, seed) for seed in (1, 2)]
    summary = aggregate(runs)
    assert summary["runs"] == 2
    assert summary["offload"]["worst"] <= summary["offload"]["median"]
    assert summary["collapses"] == sum(r["collapsed"] for r in runs)


def test_bench_writes_json_and_markdown(tmp_path: Path) -> None:
    data, report = run_sim_cli(
        tmp_path, "--seeds", "2", "--peers", "4-6", "--duration", "20", "--adapter", "shim,cdn"
    )
    assert set(data["adapters"]) == {"shim", "cdn"}
    assert len(data["adapters"]["shim"]["runs"]) == 2
    text = (tmp_path / report.name.replace(".json", ".md")).read_text()
    assert text.startswith("# Swarm")
    assert "shim against CDN-only on the same seeds: stalls more in" in text
    assert "| shim | " in text.split("Peer messages sent per viewer per stream-second")[1]
    assert "have_pieces_per_member_s" in data["adapters"]["shim"]["summary"]


def test_explain_reads_a_traced_run() -> None:
    text = explain(run_one(TINY, 2, trace=True), every_s=5)
    assert "| 0-5 |" in text
    assert "- seg " in text


def test_time_budget_reports_the_runs_done(tmp_path: Path) -> None:
    data, _ = run_sim_cli(
        tmp_path, "--seeds", "3", "--peers", "4", "--duration", "10", "--time-budget", "0"
    )
    runs = data["adapters"]["shim"]["runs"]
    assert [r["seed"] for r in runs] == []


def test_safety_net_waits_while_a_neighbours_copy_is_announced() -> None:
    """The loader's safety net (swarm_session.ts deliveryUnderway) keeps waiting while a
    neighbour announced a copy of the fragment within the grace period; the older model did
    not look at announcements and went to plain HTTP."""
    for sees, plain in ((True, 0), (False, 1)):
        swarm = Swarm(TINY.with_overrides({"safety_net_sees_copies": sees}), 1)
        node = swarm.nodes[0]
        swarm.viewers._session(node)
        assert node.sched is not None
        node.sched.set_playhead(0.0, 0.0, True)
        node.partial_at[40] = swarm.q.now - 0.1
        generation = node.load_generation
        swarm.viewers._safety_net(node, 40, generation)
        assert swarm.http_outstanding == plain


def test_safety_net_takes_the_fragment_out_of_the_scheduler() -> None:
    """swarm_session.ts playerFetches: once the safety net sends a fragment to plain HTTP, the
    engine's scheduler forgets it and the playlist does not hand it back, so the member does not
    pull the same segment from the origin beside the player (the older model kept it)."""
    for drops in (True, False):
        swarm = Swarm(TINY.with_overrides({"safety_net_drops_copy": drops}), 1)
        node = swarm.nodes[0]
        swarm.viewers._session(node)
        assert node.sched is not None
        node.sched.set_playhead(0.0, 0.0, True)
        swarm.viewers._ensure_added(node, 40)
        swarm.viewers._safety_net(node, 40, node.load_generation)
        assert swarm.http_outstanding == 1  # the player's own load
        swarm.viewers._ensure_added(node, 40)  # the next playlist refresh names it again
        assert (40 in node.sched.book.segments) is not drops
