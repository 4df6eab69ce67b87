"""signaling.swarm_matcher scenarios with a fake clock, plus invariants under random churn."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from swarmcast.signaling.swarm_matcher import (
    MatchConfig,
    MatchPlan,
    PeerInfo,
    SwarmView,
    apply_plan,
    pair,
    plan_join,
    plan_leave,
    plan_refill,
    plan_unlink,
)


@dataclass
class FakeSwarm:
    """A swarm driven through the pure matcher, with its own clock."""

    now: float = 1000.0
    view: SwarmView = field(default_factory=SwarmView)
    plans: list[MatchPlan] = field(default_factory=list)

    def tick(self, seconds: float = 1.0) -> None:
        self.now += seconds

    def apply(self, plan: MatchPlan) -> MatchPlan:
        self.view = apply_plan(self.view, plan, self.now)
        self.plans.append(plan)
        check_invariants(self.view, self.now)
        return plan

    def join(
        self,
        peer_id: str,
        prefix: str = "10.0.0.0/24",
        k: int = 5,
        budget: int = 0,
        seeder: bool = False,
    ) -> MatchPlan:
        peer = PeerInfo(peer_id, prefix, self.now, k, budget, seeder, sub=f"sub-{peer_id}")
        plan = self.apply(plan_join(self.view, peer, self.now))
        self.tick()
        return plan

    def leave(self, peer_id: str) -> MatchPlan:
        return self.apply(plan_leave(self.view, peer_id, self.now))

    def unlink(self, a: str, b: str, block_s: float = 600.0) -> MatchPlan:
        return self.apply(plan_unlink(self.view, a, b, self.now, block_s))

    def degree(self, peer_id: str) -> int:
        return len(self.view.neighbours(peer_id))


def check_invariants(view: SwarmView, now: float) -> None:
    for peer_id, neighbours in view.links.items():
        assert peer_id in view.peers
        assert peer_id not in neighbours
        assert len(neighbours) <= view.peers[peer_id].max_neighbours
        for other in neighbours:
            assert other in view.peers
            assert peer_id in view.links[other], "links are symmetric"
            assert view.blocked.get(pair(peer_id, other), 0) <= now, "blocked pair linked"
    assert set(view.links) == set(view.peers)


def connected(view: SwarmView) -> bool:
    if not view.peers:
        return True
    start = next(iter(view.peers))
    seen, frontier = {start}, [start]
    while frontier:
        for other in view.neighbours(frontier.pop()):
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    return len(seen) == len(view.peers)


def test_first_peer_alone_then_second_links_and_initiates() -> None:
    swarm = FakeSwarm()
    assert swarm.join("peer-a").added_links == ()
    plan = swarm.join("peer-b")
    assert [(link.a, link.b, link.initiator) for link in plan.added_links] == [
        ("peer-b", "peer-a", "peer-b")
    ]
    assert plan.notifications() == {
        "peer-b": ([plan.added_links[0]], []),
        "peer-a": ([plan.added_links[0]], []),
    }


def test_degree_never_exceeds_k_and_late_joiners_still_get_neighbours() -> None:
    swarm = FakeSwarm()
    for i in range(40):
        swarm.join(f"peer-{i:02d}")
    degrees = [swarm.degree(p) for p in swarm.view.peers]
    assert max(degrees) == 5
    assert swarm.degree("peer-39") >= 4, "a newcomer to a saturated swarm splits links"
    assert sum(degrees) / len(degrees) >= 4.5
    assert connected(swarm.view)


def test_splitting_keeps_degrees_of_the_split_pair() -> None:
    swarm = FakeSwarm()
    for i in range(6):  # a full clique of 6 with K=5: every slot taken
        swarm.join(f"peer-{i}")
    assert all(swarm.degree(p) == 5 for p in swarm.view.peers)
    plan = swarm.join("peer-new")
    assert len(plan.removed_links) == 2 and len(plan.added_links) == 4
    assert swarm.degree("peer-new") == 4
    assert all(swarm.degree(p) == 5 for p in swarm.view.peers if p != "peer-new")
    assert all(link.initiator == "peer-new" for link in plan.added_links)
    split_ends = {p for removed in plan.removed_links for p in removed}
    notes = plan.notifications()
    for peer_id in split_ends:
        added, removed = notes[peer_id]
        assert len(added) == 1 and len(removed) == 1


def test_prefers_same_prefix_but_keeps_one_link_outside() -> None:
    swarm = FakeSwarm()
    for i in range(6):
        swarm.join(f"lan-{i}", prefix="192.168.1.0/24", k=20)
    for i in range(6):
        swarm.join(f"wan-{i}", prefix="203.0.113.0/24", k=20)
    swarm.join("newcomer", prefix="192.168.1.0/24", k=5)
    neighbours = swarm.view.neighbours("newcomer")
    assert sum(n.startswith("lan-") for n in neighbours) == 4
    assert sum(n.startswith("wan-") for n in neighbours) == 1


def test_only_own_prefix_available_fills_all_slots() -> None:
    swarm = FakeSwarm()
    for i in range(8):
        swarm.join(f"lan-{i}", k=10)
    swarm.join("newcomer", k=5)
    assert swarm.degree("newcomer") == 5


def test_prefers_seeders_then_spare_upload() -> None:
    swarm = FakeSwarm()
    for i in range(4):
        swarm.join(f"leech-{i}", k=20)
    swarm.join("uploader", k=20, budget=5_000_000)
    swarm.join("seeder", k=20, seeder=True)
    for i in range(4):
        swarm.join(f"late-leech-{i}", k=20)
    swarm.join("newcomer", k=2)
    assert swarm.view.neighbours("newcomer") == {"seeder", "uploader"}


def test_mixes_oldest_and_newest_arrivals() -> None:
    swarm = FakeSwarm()
    for i in range(20):
        swarm.join(f"peer-{i:02d}", k=30)
    swarm.join("newcomer", k=4)
    assert swarm.view.neighbours("newcomer") == {"peer-00", "peer-19", "peer-01", "peer-18"}


def test_leave_relinks_orphans_with_each_other() -> None:
    swarm = FakeSwarm()
    for i in range(12):
        swarm.join(f"peer-{i:02d}")
    victim = "peer-05"
    orphans = set(swarm.view.neighbours(victim))
    before = {p: swarm.degree(p) for p in orphans}
    plan = swarm.leave(victim)
    assert victim not in swarm.view.peers
    assert plan.removed_peers == (victim,)
    assert victim not in plan.notifications()
    relinked = [p for p in orphans if swarm.degree(p) == before[p]]
    assert len(relinked) >= len(orphans) - 1, "at most one orphan is left with a free slot"
    for link in plan.added_links:
        assert link.initiator == min(link.a, link.b)
    assert connected(swarm.view)


def test_unlink_blocks_the_pair_until_the_block_expires() -> None:
    swarm = FakeSwarm()
    swarm.join("peer-a")
    swarm.join("peer-b")
    plan = swarm.unlink("peer-a", "peer-b", block_s=60)
    assert plan.removed_links == (pair("peer-a", "peer-b"),)
    assert swarm.degree("peer-a") == swarm.degree("peer-b") == 0
    swarm.tick(59)
    assert swarm.apply(plan_refill(swarm.view, ["peer-a"], swarm.now)).added_links == ()
    swarm.tick(2)
    refill = swarm.apply(plan_refill(swarm.view, ["peer-a"], swarm.now))
    assert [(link.a, link.b) for link in refill.added_links] == [("peer-a", "peer-b")]
    assert swarm.view.blocked == {}


def test_unlink_gives_both_ends_replacements() -> None:
    swarm = FakeSwarm()
    for i in range(3):
        swarm.join(f"peer-{i}", k=1)
    # peer-1 linked to peer-0; peer-2 found nobody free.
    assert swarm.view.neighbours("peer-0") == {"peer-1"} and swarm.degree("peer-2") == 0
    swarm.unlink("peer-0", "peer-1")
    assert swarm.degree("peer-2") == 1 and swarm.degree("peer-0") + swarm.degree("peer-1") == 1


def test_blocked_pair_not_rematched_by_split_or_join() -> None:
    swarm = FakeSwarm()
    swarm.join("peer-a", k=1)
    swarm.join("peer-b", k=1)
    swarm.unlink("peer-a", "peer-b")
    swarm.leave("peer-b")
    swarm.join("peer-b2", k=1)
    assert swarm.view.neighbours("peer-a") == {"peer-b2"}


def test_rejoin_of_existing_peer_is_refused() -> None:
    swarm = FakeSwarm()
    swarm.join("peer-a")
    try:
        plan_join(swarm.view, PeerInfo("peer-a", "p", 0, 5), swarm.now)
    except ValueError:
        return
    raise AssertionError("joining twice must fail")


def test_leave_or_unlink_of_unknown_peer_is_a_no_op() -> None:
    swarm = FakeSwarm()
    swarm.join("peer-a")
    assert plan_leave(swarm.view, "ghost", swarm.now) == MatchPlan()
    assert plan_unlink(swarm.view, "peer-a", "ghost", swarm.now, 10) == MatchPlan()


def test_prefix_count() -> None:
    swarm = FakeSwarm()
    swarm.join("peer-a", prefix="x")
    swarm.join("peer-b", prefix="x")
    swarm.join("peer-c", prefix="y")
    assert swarm.view.prefix_count("x") == 2 and swarm.view.prefix_count("z") == 0


def test_spare_upload_is_per_link() -> None:
    """An uploader already serving many links ranks like a leech (budget / links)."""
    swarm = FakeSwarm()
    swarm.join("busy", k=30, budget=2_000_000)
    for i in range(2):
        swarm.join(f"leech-{i}", k=30)
    swarm.join("fresh", k=4, budget=4_000_000)  # 3 links: 1 Mbit/s per link (incl. the next)
    assert swarm.degree("busy") == 3  # 0.5 Mbit/s per link: merely "some upload"
    swarm.join("newcomer", k=1)
    assert swarm.view.neighbours("newcomer") == {"fresh"}
    assert MatchConfig().good_upload_bps == 1_000_000


operations = st.lists(
    st.tuples(
        st.sampled_from(["join", "join", "join", "leave", "unlink", "tick", "refill"]),
        st.integers(0, 30),
        st.integers(0, 30),
        st.sampled_from(["a", "b", "c"]),
        st.integers(1, 8),
    ),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(operations)
def test_invariants_hold_under_random_churn(ops: list[tuple[str, int, int, str, int]]) -> None:
    swarm = FakeSwarm()
    for op, x, y, prefix, k in ops:
        a, b = f"peer-{x:02d}", f"peer-{y:02d}"
        if op == "join" and a not in swarm.view.peers:
            plan = swarm.join(a, prefix=prefix, k=k)
            assert swarm.degree(a) <= k
            assert all(link.initiator == a for link in plan.added_links)
        elif op == "leave":
            swarm.leave(a)
        elif op == "unlink" and a in swarm.view.neighbours(b):
            swarm.unlink(a, b, block_s=k * 10)
            assert b not in swarm.view.neighbours(a)
        elif op == "tick":
            swarm.tick(k * 20)
        elif op == "refill":
            swarm.apply(plan_refill(swarm.view, list(swarm.view.peers), swarm.now))


def test_big_swarm_samples_candidates_but_keeps_preferences() -> None:
    peers = {  # far more free candidates than MatchConfig.sample_size
        f"peer-{i:03d}": PeerInfo(f"peer-{i:03d}", f"10.0.{i % 3}.0/24", float(i), 40)
        for i in range(300)
    }
    swarm = FakeSwarm(view=SwarmView(peers=peers, links={p: frozenset() for p in peers}))
    swarm.join("newcomer", prefix="10.0.1.0/24", k=5)
    neighbours = swarm.view.neighbours("newcomer")
    assert len(neighbours) == 5
    assert sum(swarm.view.peers[n].prefix == "10.0.1.0/24" for n in neighbours) == 4
    assert MatchConfig().sample_size == 64
