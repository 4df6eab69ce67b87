"""Pinned fingerprints of small seeded simulator runs (decisions, figures, per-second series and
decision log): speed work on the simulator or the scheduler must leave them unchanged.

A change that alters decisions on purpose (scheduler policy, the modelled world) changes them
too: then check that it was meant, and put the new digests printed by the failure here."""

from __future__ import annotations

import pytest

from swarmcast.bench.sim.config import SimConfig
from swarmcast.bench.sim.runner import decision_digest, run_one

PINNED = {
    "flash-shim": (
        SimConfig(scenario="flash", peers=10, cap_x=2.5, duration_s=40.0, arrival_window_s=10.0),
        3,
        "436238f4519108c9184bb044165c2e689cb8ebf522372d55e2a3eca3dfa272ac",
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
        "fa835f94738277e7a0f0492a167ce5b4b325857792c06ed967e9aa68ac65182b",
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


def test_digest_ignores_only_the_event_count() -> None:
    config, seed, _ = PINNED["flash-shim"]
    result = run_one(config, seed)
    assert decision_digest({**result, "events": 1}) == decision_digest(result)
    assert decision_digest({**result, "stalls": result["stalls"] + 1}) != decision_digest(result)
