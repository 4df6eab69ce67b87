"""What the pure scheduler tells its adapters beyond actions (the shared scenarios in
tests/vectors/scheduler cover its actions)."""

from __future__ import annotations

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
