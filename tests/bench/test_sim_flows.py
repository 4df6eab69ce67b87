"""The simulator's shared bottlenecks (bench/sim/flows.py): max-min fair rates over the origin
egress and each viewer's downlink, peer pieces capped by the sender's uplink, ordered channels."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from swarmcast.bench.sim.events import EventQueue
from swarmcast.bench.sim.flows import UNLIMITED, Flow, FlowNetwork, Uplink, water_level
from swarmcast.bench.sim.origin import FlowOriginLink, HttpClient, Transfer


def _flow(
    done: dict[str, float],
    name: str,
    size: int,
    q: EventQueue,
    *,
    cap: float = UNLIMITED,
    origin: bool = False,
) -> Flow:
    """A flow that records when its last byte arrived in `done[name]`."""

    def on_mark(flow: Flow, index: int) -> None:
        if index == len(flow.marks) - 1:
            done[name] = q.now

    return Flow([size], on_mark, cap=cap, origin=origin)


def test_water_level_fills_the_capped_flows_first() -> None:
    assert water_level(100.0, [], 2) == 50.0
    assert water_level(100.0, [10.0], 2) == 45.0  # the capped flow takes 10, two share 90
    assert water_level(100.0, [10.0, 20.0], 0) == UNLIMITED  # both below their share
    assert water_level(100.0, [60.0, 60.0], 0) == 50.0


def test_two_transfers_share_a_downlink_and_the_second_speeds_up_when_the_first_ends() -> None:
    q = EventQueue()
    net = FlowNetwork(q)  # unlimited origin
    home = net.downlink(100_000.0)
    done: dict[str, float] = {}
    a = _flow(done, "a", 50_000, q, origin=True)
    b = _flow(done, "b", 150_000, q, origin=True)
    net.start(a, home)
    net.start(b, home)
    assert (a.rate, b.rate) == (50_000.0, 50_000.0)
    q.run_until(10.0)
    # a: 50 kB at 50 kB/s; b: 50 kB by then, the other 100 kB alone at 100 kB/s.
    assert done == {"a": pytest.approx(1.0), "b": pytest.approx(2.0)}


def test_a_downlink_limited_transfer_leaves_the_rest_of_the_origin_to_others() -> None:
    q = EventQueue()
    net = FlowNetwork(q, origin_capacity=1000.0)
    slow, fast = net.downlink(200.0), net.downlink(10_000.0)
    done: dict[str, float] = {}
    a = _flow(done, "slow", 400, q, origin=True)
    b = _flow(done, "fast", 1600, q, origin=True)
    net.start(a, slow)
    net.start(b, fast)
    # Max-min: the slow viewer's transfer gets its downlink (200), not half the origin (500);
    # the other gets the 800 left, not 500.
    assert (a.rate, b.rate) == (200.0, 800.0)
    q.run_until(10.0)
    assert done == {"slow": pytest.approx(2.0), "fast": pytest.approx(2.0)}


def test_origin_share_is_the_bottleneck_when_downlinks_are_wide() -> None:
    q = EventQueue()
    net = FlowNetwork(q, origin_capacity=1000.0)
    links = [net.downlink(10_000.0) for _ in range(2)]
    flows = [Flow([1000], lambda f, i: None, origin=True) for _ in range(4)]
    for i, flow in enumerate(flows):
        net.start(flow, links[i % 2])
    assert [f.rate for f in flows] == [250.0] * 4
    assert net.level == 250.0


def test_a_peer_piece_is_limited_by_the_sender_uplink_and_origin_transfers_take_the_rest() -> None:
    q = EventQueue()
    net = FlowNetwork(q, origin_capacity=1_000_000.0)
    home = net.downlink(1000.0)
    done: dict[str, float] = {}
    piece = _flow(done, "piece", 100, q, cap=100.0)
    fetch = _flow(done, "fetch", 900, q, origin=True)
    net.start(piece, home)
    net.start(fetch, home)
    assert (piece.rate, fetch.rate) == (100.0, 900.0)
    q.run_until(10.0)
    assert done == {"piece": pytest.approx(1.0), "fetch": pytest.approx(1.0)}


def test_an_origin_limited_transfer_leaves_its_downlink_to_the_peer_pieces() -> None:
    q = EventQueue()
    net = FlowNetwork(q, origin_capacity=100.0)
    home = net.downlink(1000.0)
    piece = Flow([1000], lambda f, i: None, cap=5000.0)
    fetch = Flow([1000], lambda f, i: None, origin=True)
    net.start(piece, home)
    net.start(fetch, home)
    assert (fetch.rate, piece.rate) == (100.0, 900.0)


def test_marks_fire_piece_by_piece_as_the_shared_rate_changes() -> None:
    q = EventQueue()
    net = FlowNetwork(q)
    home = net.downlink(1000.0)
    seen: list[tuple[int, float]] = []
    net.start(Flow([250, 500, 1000], lambda f, i: seen.append((i, q.now)), origin=True), home)
    q.at(0.5, net.start, Flow([250], lambda f, i: None, origin=True), home)
    q.run_until(10.0)
    # 500 B alone by 0.5 s, then 500 B/s while the other 250 B flows (0.5 s), then alone again.
    assert [t for _, t in seen] == pytest.approx([0.25, 0.5, 1.25])
    assert [i for i, _ in seen] == [0, 1, 2]


def test_cancelled_flow_frees_its_share() -> None:
    q = EventQueue()
    net = FlowNetwork(q)
    home = net.downlink(1000.0)
    done: dict[str, float] = {}
    kept = _flow(done, "kept", 1000, q, origin=True)
    cut = _flow(done, "cut", 1000, q, origin=True)
    net.start(kept, home)
    net.start(cut, home)
    cancelled: list[bool] = []
    q.at(1.0, lambda: cancelled.append(net.cancel(cut)))
    q.run_until(10.0)
    assert cancelled == [True]
    assert done == {"kept": pytest.approx(1.5)}  # 500 B shared, then 500 B alone
    assert not net.cancel(cut)


def test_flow_origin_link_keeps_the_latency_slots_and_metering() -> None:
    q = EventQueue()
    metered: list[tuple[float, float]] = []
    net = FlowNetwork(q, 1000.0, meter=lambda t0, t1, f, r: metered.append((f, r)))
    origin = FlowOriginLink(net, 0.1, slots=1, queue_limit=8)
    home, other = net.downlink(250.0), net.downlink(10_000.0)
    done: dict[str, float] = {}

    def transfer(name: str, seq: int) -> Transfer:
        def on_mark(t: Transfer, index: int) -> None:
            done[name] = q.now

        return Transfer(500, [500], on_mark, lambda t: None, seq=seq)

    HttpClient(origin, 6, home).request(transfer("slow", 1))
    HttpClient(origin, 6, other).request(transfer("queued", 2))
    q.at(0.5, origin.mark_held, 1)
    q.run_until(10.0)
    # One slot: "slow" runs at its downlink's 250 B/s (2 s), "queued" then gets the whole origin.
    assert done == {"slow": pytest.approx(2.1), "queued": pytest.approx(2.6)}
    origin.flush()
    first, redundant = sum(f for f, _ in metered), sum(r for _, r in metered)
    assert [first, redundant] == pytest.approx([100.0 + 500.0, 400.0])
    assert origin.bytes_served == 1000 and origin.active == 0


def _arrivals(q: EventQueue) -> tuple[list[tuple[str, float]], Callable[[str], None]]:
    arrivals: list[tuple[str, float]] = []
    return arrivals, lambda name: arrivals.append((name, q.now))


def test_two_destinations_share_the_uplink_and_one_gets_it_all_when_the_other_ends() -> None:
    q = EventQueue()
    net = FlowNetwork(q)
    a, b = net.downlink(10_000.0), net.downlink(10_000.0)
    uplink = Uplink(net, 100.0)
    arrivals, log = _arrivals(q)
    uplink.send("a", a, 0.0, 100, log, "a")
    uplink.send("b", b, 0.0, 200, log, "b")
    assert [f.rate for f in a.flows + b.flows] == [50.0, 50.0]  # both at once, half each
    q.run_until(10.0)
    # a: 100 B at 50 B/s; b: 100 B by then, the other 100 B at the whole 100 B/s.
    assert arrivals == [("a", pytest.approx(2.0)), ("b", pytest.approx(3.0))]


def test_a_congested_downlink_does_not_hold_up_the_other_destinations() -> None:
    q = EventQueue()
    net = FlowNetwork(q)
    near, far = net.downlink(10_000.0), net.downlink(20.0)
    uplink = Uplink(net, 100.0)
    arrivals, log = _arrivals(q)
    uplink.send("far", far, 0.0, 100, log, "far")
    uplink.send("near", near, 0.0, 100, log, "near")
    uplink.send("near", near, 0.0, 80, log, "near-2")
    # Max-min: the far piece gets its downlink's 20 B/s, the near one the 80 B/s left (not an
    # equal 50), and the caps add up to the uplink.
    (far_piece,), (near_piece,) = far.flows, near.flows
    assert (far_piece.rate, near_piece.rate) == (20.0, 80.0)
    assert far_piece.cap + near_piece.cap == pytest.approx(100.0)
    q.run_until(10.0)
    # near: 100 B at 80 B/s, then 80 B at 80 B/s; far: 20 B/s throughout (100 B: 5 s).
    assert arrivals == [
        ("near", pytest.approx(1.25)),
        ("near-2", pytest.approx(2.25)),
        ("far", pytest.approx(5.0)),
    ]


def test_a_sender_never_exceeds_its_uplink_while_downlinks_change() -> None:
    q = EventQueue()
    net = FlowNetwork(q, origin_capacity=300.0)
    links = [net.downlink(c) for c in (60.0, 150.0, 400.0, 1000.0)]
    uplinks = [Uplink(net, r) for r in (100.0, 250.0)]
    rng = random.Random(3)
    for i in range(40):
        t = rng.uniform(0.0, 5.0)
        up, dest = rng.choice(uplinks), rng.randrange(len(links))
        q.at(t, up.send, str(dest), links[dest], 0.01, rng.randint(20, 200), lambda: None)
        if i % 4 == 0:  # origin transfers come and go on the downlinks too
            flow = Flow([rng.randint(50, 300)], lambda f, i: None, origin=True)
            q.at(t, net.start, flow, links[dest])
    worst = [0.0, 0.0]

    def check() -> None:
        for k, up in enumerate(uplinks):
            flows = [m.flow for m in up.in_flight.values() if m.flow is not None]
            live = [f for f in flows if f.next_mark < len(f.marks)]
            if live:
                assert sum(f.cap for f in live) == pytest.approx(up.rate)
            worst[k] = max(worst[k], sum(f.rate for f in live) / up.rate)
            assert len({id(f.downlink) for f in live}) == len(live)  # one piece per channel
        if q.now < 20.0:
            q.at(q.now + 0.01, check)

    q.at(0.0, check)
    q.run_until(30.0)
    assert 0.5 < max(worst) <= 1.0 + 1e-9  # busy, never over its rate
    assert all(not up.in_flight for up in uplinks) and not any(link.flows for link in links)


def test_a_channel_stays_ordered_and_other_channels_are_not_held_up() -> None:
    q = EventQueue()
    net = FlowNetwork(q)
    a, b = net.downlink(100.0), net.downlink(100.0)
    uplink = Uplink(net, 1000.0)
    arrivals, log = _arrivals(q)
    uplink.send("a", a, 0.5, 100, log, "piece-a1")  # 1 s at a's downlink, +0.5 s
    uplink.send("a", a, 0.5, 0, log, "have-a")  # behind the piece on the same channel
    uplink.send("a", a, 0.5, 50, log, "piece-a2")  # waits for piece-a1 to leave
    uplink.send("b", b, 0.01, 0, log, "have-b")  # another channel: leaves now
    uplink.send("b", b, 0.01, 100, log, "piece-b")  # at once, beside piece-a1
    assert len(a.flows) == 1 and len(b.flows) == 1  # one piece at a time per channel
    q.run_until(10.0)
    assert arrivals == [
        ("have-b", pytest.approx(0.01)),
        ("piece-b", pytest.approx(1.01)),
        ("piece-a1", pytest.approx(1.5)),
        ("have-a", pytest.approx(1.5)),
        ("piece-a2", pytest.approx(2.0)),
    ]


def test_a_closed_channel_drops_what_it_has_not_sent_and_frees_its_share() -> None:
    q = EventQueue()
    net = FlowNetwork(q)
    a, b = net.downlink(10_000.0), net.downlink(10_000.0)
    uplink = Uplink(net, 100.0)
    arrivals, log = _arrivals(q)
    uplink.send("a", a, 0.0, 100, log, "piece-a1")
    uplink.send("a", a, 0.0, 100, log, "piece-a2")
    uplink.send("b", b, 0.0, 100, log, "piece-b")
    q.at(0.5, uplink.close, "a")
    q.run_until(10.0)
    # b: 25 B at half the uplink, then the other 75 B at all of it.
    assert arrivals == [("piece-b", pytest.approx(1.25))]
    assert not uplink.in_flight and not a.flows and not b.flows
