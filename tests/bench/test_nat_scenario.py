"""e2e/lab/nat_scenario.py (the NAT lab's pure half): scenario parsing with seeded access caps,
the capacity bound, and the NAT-pair matrix built from peers' stats."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarmcast.e2e.lab.nat_scenario import (
    build_scenario,
    capacity_bound,
    direct_allowed,
    leaked_addresses,
    load_scenario,
    run_figures,
    timeline_figures,
)

REPO = Path(__file__).resolve().parents[2]


def test_shipped_scenario_and_seeded_caps() -> None:
    scenario = load_scenario(REPO / "bench" / "scenarios" / "nat.toml")
    labels = [h.label for h in scenario.hosts]
    assert labels == ["cone"] * 4 + ["symmetric"] * 2 + ["cone+cgnat"] * 2
    for host in scenario.hosts:
        low, high = (2000, 20000) if host.access == "home" else (500, 2000)
        assert low <= host.up_kbit <= high
    assert load_scenario(REPO / "bench" / "scenarios" / "nat.toml") == scenario  # seeded
    assert scenario.lab_autogroup_nice == -10
    assert build_scenario({"hosts": [{"count": 2}]}).lab_autogroup_nice is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"hosts": [{"count": 2, "nat": "full-cone"}]}, "nat must be"),
        ({"hosts": [{"count": 2, "access": "satellite"}]}, "unknown access"),
        ({"hosts": [{"count": 1}]}, "2..32 hosts"),
        ({"hosts": [{"count": 2}], "lab_autogroup_nice": -21}, "lab_autogroup_nice"),
        ({"hosts": [{"count": 2}], "lab_autogroup_nice": "high"}, "lab_autogroup_nice"),
    ],
)
def test_bad_scenarios(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_scenario(data)


def test_capacity_bound() -> None:
    assert capacity_bound([10e6] * 4, 1e6) == 0.75  # plenty of upload: 1 - 1/N
    assert capacity_bound([0.5e6] * 4, 1e6) == 0.5  # upload-bound
    assert capacity_bound([], 1e6) == 0.0


def test_run_figures_pairs_and_offload() -> None:
    scenario = build_scenario(
        {"hosts": [{"count": 2, "nat": "cone"}, {"count": 1, "nat": "symmetric"}]}
    )

    def stats(peer: str, links: dict[str, float | None], pairs: dict[str, str]) -> dict:
        return {"peer_id": peer, "links": links, "candidate_pairs": pairs, "elapsed_s": 10.0,
                "bytes_from_peers": 500_000, "bytes_from_http": 500_000, "stalls": 0}  # fmt: skip

    figures = run_figures(
        scenario.hosts,
        {
            0: stats("a", {"b": 1.5, "c": None}, {"b": "srflx/srflx"}),
            1: stats("b", {"a": 1.2, "c": 2.0}, {"a": "srflx/srflx", "c": "relay/srflx"}),
            2: stats("c", {"a": None, "b": 2.1}, {"b": "srflx/relay"}),
        },
    )
    assert figures["nat_pairs"] == {
        "cone - cone": {"attempts": 1, "connected": 1, "pairs": {"direct (srflx/srflx)": 1}},
        "cone - symmetric": {"attempts": 2, "connected": 1, "pairs": {"relay": 1}},
    }
    assert figures["direct_allowed"] == {"pairs": 1, "connected_directly": 1}
    assert figures["offload"] == 0.5
    assert figures["time_to_first_peer_s"] == {"median": 1.5, "worst": 2.1}
    assert figures["stream_rate_bps"] == 800_000
    assert figures["leaked_addresses"] == {}


def test_leaked_addresses_are_viewer_addresses_other_than_the_relay() -> None:
    stats = {
        0: {"peer_id": "a", "signal_addresses": {"b": ["0.0.0.0", "10.99.0.3"]}},
        1: {
            "peer_id": "b",
            "signal_addresses": {"a": ["10.99.0.3", "192.168.1.2"], "x": ["1.2.3.4"]},
        },
    }
    assert leaked_addresses(stats, frozenset({"10.99.0.3", "0.0.0.0"})) == {
        "b <- a": ["192.168.1.2"]
    }  # "x" is no viewer of the run


def test_direct_allowed() -> None:
    scenario = build_scenario(
        {
            "hosts": [
                {"count": 1, "nat": "cone"},
                {"count": 1, "nat": "symmetric"},
                {"count": 2, "nat": "cone", "cgnat": "c1"},
                {"count": 1, "nat": "cone", "cgnat": "c2"},
            ]
        }
    )
    cone, sym, m1, m2, other = scenario.hosts
    assert direct_allowed(cone, m1) and direct_allowed(m1, other)
    assert not direct_allowed(cone, sym) and not direct_allowed(sym, sym)
    assert not direct_allowed(m1, m2)  # the carrier-grade NAT does not hairpin


def test_privacy_scenario_is_the_nat_one_served_relay_only() -> None:
    privacy = load_scenario(REPO / "bench" / "scenarios" / "nat-privacy.toml")
    plain = load_scenario(REPO / "bench" / "scenarios" / "nat.toml")
    assert privacy.relay_only and not plain.relay_only
    assert privacy.hosts == plain.hosts


def test_timeline_figures_count_abandonments_and_startup_origin_bytes() -> None:
    def fetched(seq: int, size: int) -> list[dict[str, object]]:
        return [
            {
                "kind": "decision",
                "why": "election-turn",
                "seq": seq,
                "first_piece": 0,
                "piece_count": 4,
            },
            {"kind": "http-end", "seq": seq, "bytes": size, "outcome": "ok"},
        ]

    first = {"events": [e for seq in range(10) for e in fetched(seq, 100)]}
    second = {
        "events": [
            {"kind": "decision", "why": "abandon-peer", "peer": "p", "reason": "silent", "seq": -1},
            {"kind": "decision", "why": "peer-request", "peer": "p", "seq": 3, "piece_count": 4},
            {"kind": "http-end", "seq": 2, "bytes": 50, "outcome": "ok"},
            {"kind": "http-end", "seq": 11, "bytes": 70, "outcome": "cancelled"},
        ]
    }
    figures = timeline_figures([first, second])
    assert figures["abandoned"] == {"silent": 1}
    assert figures["origin_fetches"] == {"election-turn": 10}
    assert figures["origin_bytes_startup"] == 9 * 100 + 50  # segments 0-8
    assert figures["origin_bytes_after_startup"] == 100  # segment 9; 11 never arrived
