"""The simulator's origin link: processor sharing, queue bounds, the browser's connection cap."""

from __future__ import annotations

import pytest

from swarmcast.bench.sim.events import EventQueue
from swarmcast.bench.sim.origin import HttpClient, OriginLink, Transfer


def _transfer(done: dict[str, float], name: str, size: int, q: EventQueue) -> Transfer:
    def on_mark(t: Transfer, index: int) -> None:
        if index == len(t.marks) - 1:
            done[name] = q.now

    def on_fail(t: Transfer) -> None:
        done[name] = -q.now

    return Transfer(size, [size], on_mark, on_fail)


def test_one_transfer_gets_the_whole_capacity() -> None:
    q = EventQueue()
    origin = OriginLink(q, 1000.0, 0.0, slots=8, queue_limit=8)
    done: dict[str, float] = {}
    origin.submit(_transfer(done, "a", 1000, q))
    q.run_until(10.0)
    assert done == {"a": pytest.approx(1.0)}


def test_two_concurrent_transfers_each_take_twice_as_long() -> None:
    q = EventQueue()
    origin = OriginLink(q, 1000.0, 0.1, slots=8, queue_limit=8)
    done: dict[str, float] = {}
    origin.submit(_transfer(done, "a", 1000, q))
    origin.submit(_transfer(done, "b", 1000, q))
    q.run_until(10.0)
    assert done == {"a": pytest.approx(2.1), "b": pytest.approx(2.1)}
    assert origin.bytes_served == 2000


def test_fair_share_follows_arrivals_and_departures() -> None:
    q = EventQueue()
    origin = OriginLink(q, 1000.0, 0.0, slots=8, queue_limit=8)
    done: dict[str, float] = {}
    origin.submit(_transfer(done, "a", 1000, q))
    q.at(0.5, lambda: origin.submit(_transfer(done, "b", 1000, q)))
    q.run_until(10.0)
    # a: 500 B alone, then 500 B at half rate (1 s); b: 500 B shared, then 500 B alone.
    assert done == {"a": pytest.approx(1.5), "b": pytest.approx(2.0)}


def test_piece_marks_fire_as_the_bytes_arrive() -> None:
    q = EventQueue()
    origin = OriginLink(q, 1000.0, 0.0, slots=8, queue_limit=8)
    seen: list[tuple[int, float]] = []
    origin.submit(
        Transfer(1000, [250, 500, 1000], lambda t, i: seen.append((i, q.now)), lambda t: None)
    )
    q.run_until(10.0)
    assert [i for i, _ in seen] == [0, 1, 2]
    assert [t for _, t in seen] == pytest.approx([0.25, 0.5, 1.0])


def test_slots_queue_and_refusal() -> None:
    q = EventQueue()
    origin = OriginLink(q, 1000.0, 0.0, slots=1, queue_limit=1)
    done: dict[str, float] = {}
    for name in "abc":
        origin.submit(_transfer(done, name, 1000, q))
    q.run_until(10.0)
    # a is served, b waits for the slot, c finds the queue full (503: negative time).
    assert done == {"a": pytest.approx(1.0), "b": pytest.approx(2.0), "c": pytest.approx(-0.0)}
    assert origin.refused == 1


def test_client_connection_cap_serialises_requests() -> None:
    q = EventQueue()
    origin = OriginLink(q, 1000.0, 0.0, slots=8, queue_limit=8)
    client = HttpClient(origin, max_connections=1)
    done: dict[str, float] = {}
    client.request(_transfer(done, "a", 1000, q))
    client.request(_transfer(done, "b", 1000, q))
    q.run_until(10.0)
    assert done == {"a": pytest.approx(1.0), "b": pytest.approx(2.0)}


def test_redundant_bytes_are_metered_from_when_the_segment_is_held() -> None:
    q = EventQueue()
    flows: list[tuple[float, float]] = []
    origin = OriginLink(q, 1000.0, 0.0, 8, 8, meter=lambda t0, t1, f, r: flows.append((f, r)))
    done: dict[str, float] = {}
    transfer = _transfer(done, "a", 1000, q)
    transfer.seq = 7
    origin.submit(transfer)
    q.at(0.25, origin.mark_held, 7)
    q.run_until(10.0)
    first = sum(f for f, _ in flows)
    redundant = sum(r for _, r in flows)
    assert [first, redundant] == pytest.approx([250.0, 750.0])
