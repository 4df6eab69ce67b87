"""Runs every shared scheduler scenario in tests/vectors/scheduler/ (the TypeScript port runs
the same files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from peer_scenario_runner import run_script
from peer_swarm_sim import run_swarm

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "scheduler"
SCENARIOS = sorted(p for p in VECTORS.glob("*.json") if p.name != "election_hash.json")


def test_scenarios_exist() -> None:
    kinds = {json.loads(p.read_text())["kind"] for p in SCENARIOS}
    assert kinds == {"script", "swarm"}


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    scenario = json.loads(path.read_text())
    if scenario["kind"] == "script":
        run_script(scenario)
    else:
        run_swarm(scenario)
