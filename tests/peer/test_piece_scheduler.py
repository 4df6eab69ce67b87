"""What the pure scheduler tells its adapters beyond actions (the shared scenarios in
tests/vectors/scheduler cover its actions)."""

from __future__ import annotations

import pytest

from swarmcast.peer.peer_requests import free_piece_shares
from swarmcast.peer.piece_scheduler import PieceScheduler
from swarmcast.peer.scheduler_config import SchedulerConfig


def test_neighbour_holds_follows_have_and_have_delta() -> None:
    """Adapters send no HAVE_PIECES of a segment to a neighbour that holds it whole."""
    sched = PieceScheduler(SchedulerConfig(), "me", 0.0)
    sched.peer_connected(0.0, "A")
    assert not sched.neighbour_holds("A", 7)
    sched.peer_have_pieces(0.1, "A", 7, [0, 1])  # part of it is not the whole segment
    assert not sched.neighbour_holds("A", 7)
    sched.peer_have_delta(0.2, "A", 7)
    assert sched.neighbour_holds("A", 7)
    sched.peer_have(0.3, "A", [8])  # HAVE replaces the set
    assert not sched.neighbour_holds("A", 7) and sched.neighbour_holds("A", 8)
    assert not sched.neighbour_holds("B", 8)  # unknown neighbour
    sched.peer_closed(0.4, "A")
    assert not sched.neighbour_holds("A", 8)


def test_stream_bitrate_follows_the_latest_segment() -> None:
    """The measured upload cap compares the uplink with it (peer/measured_cap.py)."""
    sched = PieceScheduler(SchedulerConfig(), "me", 0.0)
    assert sched.stream_bitrate_bps is None
    sched.segment_added(0.0, 1, size=150_000, piece_size=16_384, start=0.0, duration=2.0)
    assert sched.stream_bitrate_bps == 600_000
    sched.segment_added(0.0, 2, size=60_000, piece_size=16_384, start=2.0, duration=2.0)
    assert sched.stream_bitrate_bps == 240_000
    sched.segment_added(0.0, 3, size=60_000, piece_size=16_384, start=4.0, duration=0.0)
    assert sched.stream_bitrate_bps == 240_000  # no duration: unchanged


def test_free_piece_shares_split_by_pace() -> None:
    """The pace rule's share of a segment's unasked pieces (`free_piece_shares`): each free piece
    a neighbour announced, split over its holders by 1 / time per piece; a piece an unmeasured
    holder also announced counts for nobody; owed pieces count not at all."""
    sched = PieceScheduler(SchedulerConfig(max_inflight_pieces_per_peer=1), "me", 0.0)
    sched.set_playhead(0.0, 0.0, playing=True)
    for peer in ("A", "B", "C"):
        sched.peer_connected(0.0, peer)
    sched.peer_have(0.0, "A", [10])
    sched.peer_have_pieces(0.0, "B", 10, [0, 1, 2, 3])
    sched.peer_have_pieces(0.0, "C", 10, [6, 7])
    sched.segment_added(0.0, 10, size=8 * 16_384, piece_size=16_384, start=6.0, duration=2.0)
    segment = sched.book.segments[10]
    # One piece in flight each, dealt least-loaded first: A 0, B 1, C 6.
    assert [i for i, owner in enumerate(segment.owner) if owner > 0] == [0, 1, 6]
    sched.book.peers["A"].piece_time_s = 0.2  # 5 pieces/s
    sched.book.peers["B"].piece_time_s = 0.8  # 1.25 pieces/s; C is not measured
    shares = free_piece_shares(sched.book, 0.0, segment)
    # Free: 2, 3 (A and B: 4 to 1), 4, 5 (A alone), 7 (A and unmeasured C: nobody).
    assert shares == pytest.approx({"A": 2 * 0.8 + 2 * 1.0, "B": 2 * 0.2})
