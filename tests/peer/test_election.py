"""The live HTTP-first election: pinned hash values (shared with TypeScript) and its shape."""

from __future__ import annotations

import json
from pathlib import Path

from swarmcast.peer.election import election_tier, election_unit, http_first_delay

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "scheduler" / "election_hash.json"


def test_pinned_vectors() -> None:
    from swarmcast.peer.election import election_hash

    data = json.loads(VECTORS.read_text())
    for case in data["hashes"]:
        assert election_hash(case["peer_id"], case["seq"]) == case["hash"]
    for case in data["delays"]:
        delay = http_first_delay(
            case["peer_id"],
            case["seq"],
            neighbour_ids=case["neighbour_ids"],
            swarm_size=case["swarm_size"],
            http_first_count=case["http_first_count"],
            tier_spacing_s=case["tier_spacing_s"],
            tier_growth=case["tier_growth"],
            neighbour_stagger_s=case["neighbour_stagger_s"],
            seeder_neighbour=case["seeder_neighbour"],
            large_swarm=case.get("large_swarm", 0),
            skip_empty_tiers=case.get("skip_empty_tiers", False),
            lowest_known_first=case.get("lowest_known_first", False),
        )
        assert delay == case["delay_s"]


def test_units_are_uniform() -> None:
    units = [election_unit(f"peer-{i}", seq) for i in range(50) for seq in range(200)]
    buckets = [0] * 10
    for unit in units:
        assert 0.0 <= unit < 1.0
        buckets[int(unit * 10)] += 1
    assert min(buckets) > 0.9 * len(units) / 10
    assert max(buckets) < 1.1 * len(units) / 10


def test_about_one_member_in_tier_zero() -> None:
    members = [f"m{i}" for i in range(20)]
    counts = [
        sum(1 for m in members if election_tier(election_unit(m, seq), 1 / 20, 2.0) == 0)
        for seq in range(2000)
    ]
    assert 0.9 < sum(counts) / len(counts) < 1.1


def test_tiers_widen() -> None:
    share = 0.1
    assert election_tier(0.05, share, 2.0) == 0
    assert election_tier(0.15, share, 2.0) == 1  # [0.1, 0.3)
    assert election_tier(0.35, share, 2.0) == 2  # [0.3, 0.7)
    assert election_tier(0.95, share, 2.0) == 3  # [0.7, 1.0)
    assert election_tier(0.99, 1.0, 2.0) == 0


def test_lone_member_and_seeder_neighbour() -> None:
    params = {
        "http_first_count": 1.0,
        "tier_spacing_s": 0.8,
        "tier_growth": 2.0,
        "neighbour_stagger_s": 0.3,
    }
    alone = http_first_delay(
        "x", 1, neighbour_ids=[], swarm_size=1, seeder_neighbour=False, **params
    )
    assert alone == 0.0
    with_seeder = http_first_delay(
        "x", 1, neighbour_ids=["edge"], swarm_size=1, seeder_neighbour=True, **params
    )
    assert with_seeder >= 0.8


def _swarm_first_fetch_delay(
    members: list[str], neighbours_of: dict[str, list[str]], seq: int, *, skip: bool
) -> float:
    return min(
        http_first_delay(
            m,
            seq,
            neighbour_ids=neighbours_of[m],
            swarm_size=len(members),
            http_first_count=1.0,
            tier_spacing_s=1.5,
            tier_growth=2.0,
            neighbour_stagger_s=0.3,
            seeder_neighbour=False,
            skip_empty_tiers=skip,
        )
        for m in members
    )


def test_empty_tiers_bound_the_first_fetch_in_a_small_swarm() -> None:
    """8 members with 5 neighbours each: without the rule the swarm's first fetch waits two
    spacings or more for ~2% of segments; with it, at most one spacing plus same-tier staggers,
    and it changes nothing else."""
    members = [f"viewer-{i}" for i in range(8)]
    # Symmetric links, 5 per member: ring offsets +-1, +-2 and the opposite member.
    neighbours_of = {
        m: [o for j, o in enumerate(members) if (j - i) % 8 in (1, 2, 4, 6, 7)]
        for i, m in enumerate(members)
    }
    seqs = range(1, 2001)
    before = [_swarm_first_fetch_delay(members, neighbours_of, s, skip=False) for s in seqs]
    after = [_swarm_first_fetch_delay(members, neighbours_of, s, skip=True) for s in seqs]
    assert sum(1 for d in before if d >= 3.0) > 20
    assert max(after) <= 1.5 + 5 * 0.3
    assert sum(1 for a, b in zip(after, before, strict=True) if a < b) == sum(
        1 for d in before if d >= 3.0
    )


def test_empty_tiers_leave_a_large_swarm_alone() -> None:
    """Knowing 6 of 100 members, their tiers say nothing about the swarm's lowest."""
    params = {
        "neighbour_ids": [f"n{i}" for i in range(5)],
        "swarm_size": 100,
        "http_first_count": 1.0,
        "tier_spacing_s": 1.5,
        "tier_growth": 2.0,
        "neighbour_stagger_s": 0.3,
        "seeder_neighbour": False,
    }
    for seq in range(1, 300):
        assert http_first_delay("me", seq, skip_empty_tiers=True, **params) == http_first_delay(
            "me", seq, **params
        )


# The browsers' election (tier spacing 1.5 s) with the empty-tiers rule on.
BROWSER_ELECTION = {
    "http_first_count": 1.0,
    "tier_spacing_s": 1.5,
    "tier_growth": 2.0,
    "neighbour_stagger_s": 0.3,
    "seeder_neighbour": False,
    "skip_empty_tiers": True,
}


def test_known_swarm_sends_exactly_its_lowest_first() -> None:
    """Five members that all know each other: without the rule nobody fetches at once for about
    a third of segments (tier 0 empty); with it exactly one member does for every segment, the
    one with the lowest hash, and nobody's delay grows."""
    members = ["me", "A", "B", "C", "D"]
    empty_before = 0
    for seq in range(1, 1001):
        before = {}
        after = {}
        for m in members:
            others = [o for o in members if o != m]
            before[m] = http_first_delay(
                m, seq, neighbour_ids=others, swarm_size=5, **BROWSER_ELECTION
            )
            after[m] = http_first_delay(
                m,
                seq,
                neighbour_ids=others,
                swarm_size=5,
                lowest_known_first=True,
                **BROWSER_ELECTION,
            )
        empty_before += min(before.values()) > 0
        assert [m for m in members if after[m] == 0.0] == [
            min(members, key=lambda m: election_unit(m, seq))
        ]
        assert all(after[m] <= before[m] for m in members)
    assert 250 < empty_before < 420


def test_known_swarm_needs_every_member_known() -> None:
    """One member unknown (swarm of 6, five known): it may be the lowest, so the rule stays off."""
    known = ["A", "B", "C", "D"]
    for seq in range(1, 300):
        with_rule = http_first_delay(
            "me",
            seq,
            neighbour_ids=known,
            swarm_size=6,
            lowest_known_first=True,
            **BROWSER_ELECTION,
        )
        assert with_rule == http_first_delay(
            "me", seq, neighbour_ids=known, swarm_size=6, **BROWSER_ELECTION
        )
