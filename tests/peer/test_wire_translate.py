"""Actions to frames and frames to scheduler events."""

from __future__ import annotations

import pytest

from swarmcast.peer import scheduler_actions as act
from swarmcast.peer.piece_scheduler import PieceScheduler
from swarmcast.peer.scheduler_config import SchedulerConfig
from swarmcast.peer.wire_translate import (
    REJECT_CODES,
    REJECT_NAMES,
    broadcast_frame,
    feed_control_frame,
    frame_for_neighbour,
    have_message,
    superseded_announcements,
)
from swarmcast.protocol import wire


@pytest.mark.parametrize(
    ("seqs", "base", "count"),
    [((), 0, 0), ((7,), 7, 1), ((3, 5, 9), 3, 7), ((0, 5000), 905, 4096)],
)
def test_have_message_covers_the_newest_window(
    seqs: tuple[int, ...], base: int, count: int
) -> None:
    have = have_message(seqs)
    assert (have.base_seq, have.count) == (base, count)
    assert have.seqs() == [s for s in seqs if s >= base]
    assert wire.decode(wire.encode(have)) == have


def test_reject_reasons_round_trip() -> None:
    assert {REJECT_NAMES[code] for code in wire.RejectReason} == set(REJECT_CODES)


def test_control_frames_reach_the_scheduler() -> None:
    sched = PieceScheduler(SchedulerConfig(), "me", 0.0)
    sched.peer_connected(0.0, "A")
    assert feed_control_frame(sched, 0.1, "A", have_message((4, 6))) == 6
    assert feed_control_frame(sched, 0.1, "A", wire.HaveDelta(9)) == 9
    assert feed_control_frame(sched, 0.2, "A", wire.Request(1, 4, 0, 1)) is None
    actions = sched.pop_actions()
    assert act.RejectRequest("A", 1, "not_have") in actions


def test_later_announcements_of_a_segment_supersede_earlier_ones_in_a_batch() -> None:
    batch: list[act.Action] = [
        act.AnnouncePieces(7, (0,)),  # superseded by the next one
        act.AnnouncePieces(7, (0, 1)),  # superseded by HAVE_DELTA(7)
        act.AnnouncePieces(8, ()),  # another segment: kept
        act.RequestPieces("p", 3, 8, 0, 2),
        act.AnnounceHave(7),
        act.AnnouncePieces(9, (2,)),  # last of its segment: kept
        act.AnnouncePieces(7, (0, 1, 2)),  # after the HAVE_DELTA (not emitted so): kept
    ]
    assert superseded_announcements(batch) == {0, 1}
    assert superseded_announcements([act.AnnouncePieces(1, (0,))]) == set()
    assert superseded_announcements([]) == set()


def test_origin_rate_reaches_only_neighbours_that_decode_it() -> None:
    """HAVE_PIECES keeps its origin_rate for a neighbour that set CAP_ORIGIN_RATE; an older
    neighbour gets the frame without it (its decoder refuses trailing bytes)."""
    frame = broadcast_frame(act.AnnouncePieces(7, (0, 1), 90_000))
    assert isinstance(frame, wire.HavePieces) and frame.origin_rate == 90_000
    new = frame_for_neighbour(frame, wire.CAP_CAN_UPLOAD | wire.CAP_ORIGIN_RATE)
    old = frame_for_neighbour(frame, wire.CAP_CAN_UPLOAD)
    assert wire.decode(wire.encode(new)) == frame
    assert wire.encode(old) == wire.encode(wire.HavePieces.from_pieces(7, [0, 1]))
    assert isinstance(old, wire.HavePieces) and old.pieces() == [0, 1]


def test_origin_rate_reaches_the_scheduler() -> None:
    """A neighbour's word that its origin fetch of 7 arrives at 20 kB/s is what origin_copy_rate
    reads (the fastest such word); a later word without a rate withdraws it."""
    sched = PieceScheduler(SchedulerConfig(), "me", now=0.0)
    sched.peer_connected(0.0, "A")
    feed_control_frame(sched, 0.1, "A", wire.HavePieces.from_pieces(7, [0], 20_000))
    assert sched.book.origin_copy_rate(0.1, 7) == 20_000
    feed_control_frame(sched, 0.2, "A", wire.HavePieces.from_pieces(7, [0, 1]))
    assert sched.book.origin_copy_rate(0.2, 7) is None
