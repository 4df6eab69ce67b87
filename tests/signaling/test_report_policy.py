"""signaling.report_policy: report weights and the ban decision (pure)."""

from __future__ import annotations

import pytest

from swarmcast.signaling.report_policy import (
    Accusation,
    ReportPolicy,
    ban_score,
    history_factor,
    should_ban,
    standing,
)

POLICY = ReportPolicy()


def test_standing_ramps_from_young_weight_to_one() -> None:
    assert standing(0, POLICY) == pytest.approx(0.25)
    assert standing(15, POLICY) == pytest.approx(0.625)
    assert standing(30, POLICY) == standing(3000, POLICY) == 1.0
    assert standing(-5, POLICY) == pytest.approx(0.25), "a clock step back is no bonus"


def test_blaming_many_peers_costs_weight() -> None:
    assert history_factor(1, 1, POLICY) == history_factor(2, 4, POLICY) == 1.0
    assert history_factor(10, 10, POLICY) == pytest.approx(0.2)
    assert history_factor(1, 40, POLICY) == pytest.approx(0.1), "the prefix budget too"


def test_one_prefix_never_bans_however_many_reporters() -> None:
    same_net = [Accusation(f"203.0.113.{i}", "203.0.113.0/24", 1.0, 0.0) for i in range(200)]
    assert ban_score(same_net) == 1.0 and not should_ban(same_net, POLICY)


def test_two_prefixes_at_full_standing_ban_and_young_ones_need_more() -> None:
    two = [
        Accusation("198.51.100.1", "198.51.100.0/24", 1.0, 0.0),
        Accusation("198.51.101.1", "198.51.101.0/24", 1.0, 0.0),
    ]
    assert should_ban(two, POLICY)
    young = [Accusation(f"198.51.{i}.1", f"198.51.{i}.0/24", 0.25, 0.0) for i in range(7)]
    assert not should_ban(young, POLICY)
    assert should_ban([*young, Accusation("192.0.2.1", "192.0.2.0/24", 0.25, 0.0)], POLICY)


def test_a_threshold_one_prefix_could_reach_is_refused() -> None:
    with pytest.raises(ValueError):
        ReportPolicy(threshold=1.0)
