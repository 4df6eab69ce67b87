"""swarmcast.peer.neighbour_guard: the window, the rates, the bounded set, the drop verdict."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from swarmcast.peer.neighbour_guard import GuardConfig, NeighbourGuard

EDGE = 1000


def test_announcements_inside_the_window_pass_one_by_one() -> None:
    guard = NeighbourGuard()
    verdict = guard.have_delta(0.0, "a", EDGE + 1, EDGE)
    assert (verdict.seqs, verdict.replace, verdict.refused, verdict.drop) == (
        frozenset({EDGE + 1}), False, False, False,
    )  # fmt: skip
    assert guard.have_delta(0.0, "a", EDGE + 1, EDGE).seqs == frozenset()  # already held


def test_far_ahead_is_refused_and_counted_until_the_drop() -> None:
    config = GuardConfig(max_violations=5)
    guard = NeighbourGuard(config)
    verdicts = [guard.have_delta(0.0, "a", EDGE + config.ahead + 1 + i, EDGE) for i in range(5)]
    assert all(v.refused and not v.seqs for v in verdicts)
    assert [v.drop for v in verdicts] == [False] * 4 + [True]
    assert guard.refused_frames == 5
    assert guard.held("a") == 0


def test_old_announcements_are_ignored_not_counted() -> None:
    guard = NeighbourGuard(GuardConfig(max_violations=1))
    verdict = guard.have_delta(0.0, "a", EDGE - 65, EDGE)
    assert not verdict.refused and not verdict.seqs
    have = guard.have(0.0, "a", list(range(EDGE - 100, EDGE + 1)), EDGE)
    assert not have.refused and have.replace
    assert min(have.seqs) == EDGE - 64 and max(have.seqs) == EDGE


def test_a_have_reaching_ahead_keeps_its_window_part_and_counts() -> None:
    guard = NeighbourGuard()
    verdict = guard.have(0.0, "a", [EDGE, EDGE + 2, EDGE + 50], EDGE)
    assert verdict.refused and verdict.replace
    assert verdict.seqs == frozenset({EDGE, EDGE + 2})


def test_have_pieces_has_its_own_rate() -> None:
    guard = NeighbourGuard(GuardConfig(frames_per_s=1.0, burst=1, max_violations=3))
    assert all(guard.have_pieces(0.0, "a", EDGE + 1, EDGE).seqs for _ in range(100))
    assert not guard.have_pieces(0.0, "a", EDGE - 65, EDGE).refused
    verdicts = [guard.have_pieces(0.0, "a", EDGE + 5, EDGE) for _ in range(3)]
    assert [v.drop for v in verdicts] == [False, False, True]


def test_frames_over_the_rate_are_refused() -> None:
    config = GuardConfig(frames_per_s=10.0, burst=20, max_violations=1000)
    guard = NeighbourGuard(config)
    verdicts = [guard.have_delta(0.0, "a", EDGE - (i % 60), EDGE) for i in range(25)]
    assert sum(v.refused for v in verdicts) == 5
    assert not guard.have_delta(1.0, "a", EDGE, EDGE).refused  # refilled


def test_the_set_stays_bounded_as_the_edge_moves_on() -> None:
    guard = NeighbourGuard(GuardConfig(frames_per_s=1e9, burst=10**9))
    limit = guard.config.ahead + guard.config.behind + 1
    replaced = 0
    for edge in range(100_000):
        verdict = guard.have_delta(float(edge), "a", edge + 1, edge)
        replaced += verdict.replace
        assert guard.held("a") <= limit
        assert not verdict.refused
    assert replaced > 0  # the scheduler was handed the pruned set


def test_unknown_edge_caps_the_set() -> None:
    guard = NeighbourGuard(GuardConfig(frames_per_s=1e9, burst=10**9))
    for seq in range(10_000):
        guard.have_delta(0.0, "a", seq, -1)
    assert guard.held("a") <= guard.config.ahead + guard.config.behind + 1


def test_refused_peers_expire() -> None:
    guard = NeighbourGuard(GuardConfig(refuse_s=60.0))
    guard.refuse(0.0, "a")
    assert guard.is_refused(59.0, "a") and not guard.is_refused(59.0, "b")
    assert not guard.is_refused(60.0, "a")


def test_config_is_checked() -> None:
    with pytest.raises(ValueError):
        GuardConfig(ahead=0)
    with pytest.raises(ValueError):
        GuardConfig(frames_per_s=0)
    with pytest.raises(ValueError):
        GuardConfig(request_burst=0)
    with pytest.raises(ValueError):
        GuardConfig(pieces_frames_per_s=0)


# --- the shared scenarios (tests/vectors/neighbour_guard.json, also run by vitest) ------------

VECTORS = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "neighbour_guard.json").read_text()
)


def run_step(guard: NeighbourGuard, step: dict[str, Any]) -> dict[str, Any]:
    """Send one step's frames; returns what its `expect` describes."""
    refused, passed, first_drop = 0, 0, None
    for i in range(step.get("repeat", 1)):
        now = step.get("at", 0.0) + i * step.get("every", 0.0)
        shift = i * step.get("seq_step", 0)
        edge = step.get("edge", -1) + i * step.get("edge_step", 0)
        peer = step["peer"]
        match step["frame"]:
            case "have":
                verdict = guard.have(now, peer, [s + shift for s in step["seqs"]], edge)
            case "have_delta":
                verdict = guard.have_delta(now, peer, step["seq"] + shift, edge)
            case "have_pieces":
                verdict = guard.have_pieces(now, peer, step["seq"] + shift, edge)
            case "request":
                answered = max(0, i - step.get("lag", 0)) * step.get("pieces_step", 0)
                verdict = guard.request(now, peer, step.get("pieces_sent", 0) + answered)
        refused += verdict.refused
        passed += bool(verdict.seqs)
        if verdict.drop and first_drop is None:
            first_drop = i
    return {"refused": refused, "first_drop": first_drop, "passed_seqs": passed}


@pytest.mark.parametrize("scenario", VECTORS["scenarios"], ids=lambda s: s["name"])
def test_shared_scenario(scenario: dict[str, Any]) -> None:
    guard = NeighbourGuard(dataclasses.replace(GuardConfig(), **scenario.get("config", {})))
    for number, step in enumerate(scenario["steps"]):
        got = run_step(guard, step)
        expect = step.get("expect", {})
        assert {k: got[k] for k in expect} == expect, f"step {number}: {got}"
