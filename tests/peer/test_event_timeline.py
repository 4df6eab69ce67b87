"""The peer's optional timeline: the bounded ring, transfers as start/end pairs, the node-side
recorder's bookkeeping, and the scheduler's decision hook (which must not change any action)."""

from __future__ import annotations

from typing import Any

import pytest

from swarmcast.peer import scheduler_actions as act
from swarmcast.peer.event_timeline import EventTimeline, NodeTimeline
from swarmcast.peer.piece_scheduler import PieceScheduler
from swarmcast.peer.scheduler_config import SchedulerConfig
from swarmcast.protocol import wire


class Clock:
    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t


def test_ring_keeps_the_last_events_oldest_first_and_counts_all() -> None:
    clock = Clock()
    timeline = EventTimeline(3, clock)
    for seq in range(5):
        timeline.record("announced", seq)
        clock.t += 10
    assert [e["seq"] for e in timeline.events()] == [2, 3, 4]
    assert [e["t"] for e in timeline.events()] == [1020, 1030, 1040]
    assert timeline.dump()["recorded"] == 5 and timeline.dump()["capacity"] == 3


def test_a_detail_cannot_overwrite_the_time_and_seq_is_optional() -> None:
    timeline = EventTimeline(2, Clock(5))
    timeline.record("real", None, t=99)
    assert timeline.events() == [{"t": 5, "kind": "real"}]


def test_transfer_end_carries_start_bytes_and_outcome() -> None:
    clock = Clock()
    timeline = EventTimeline(10, clock)
    timeline.begin("http:1", "http", 4, wanted=300)
    clock.t += 250
    assert timeline.progress("http:1", 100) and not timeline.progress("http:2", 1)
    timeline.progress("http:1", 200)
    timeline.end("http:1", "ok")
    timeline.end("http:1", "ok")  # ignored: already ended
    assert timeline.events() == [
        {"id": "http:1", "wanted": 300, "t": 1000, "kind": "http-start", "seq": 4},
        {"id": "http:1", "wanted": 300, "t0": 1000, "bytes": 300, "outcome": "ok",
         "t": 1250, "kind": "http-end", "seq": 4},
    ]  # fmt: skip


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity"):
        EventTimeline(0)


def test_node_recorder_tracks_holders_and_request_ends() -> None:
    recorder = NodeTimeline(EventTimeline(100, Clock()))
    recorder.message("p1", wire.Have(10, 2, b"\xc0"))
    recorder.message("p2", wire.HaveDelta(11))
    assert recorder.holders(10) == 1 and recorder.holders(11) == 2
    recorder.action(act.RequestPieces("p1", 7, 11, 0, 2))
    recorder.message("p1", wire.Piece(7, 11, 0, b"x" * 100))
    recorder.message("p1", wire.Piece(7, 11, 1, b"y" * 50))
    recorder.action(act.RequestPieces("p2", 8, 11, 2, 1))
    recorder.peer_closed("p2", "goodbye")
    recorder.decision(1.0, 11, "fallback-takeover", {"first_piece": 2, "piece_count": 1})
    recorder.decision(1.0, -1, "abandon-peer", {"peer": "p2", "reason": "slow"})
    assert recorder.holders(11) == 1  # p2 left
    ends = [e for e in recorder.dump()["events"] if e["kind"] == "peer-end"]  # type: ignore[index]
    assert [(e["id"], e["outcome"], e["bytes"]) for e in ends] == [
        ("req:p1:7", "ok", 150), ("req:p2:8", "peer-closed", 0),
    ]  # fmt: skip
    decisions = [e for e in recorder.dump()["events"] if e["kind"] == "decision"]  # type: ignore[index]
    assert decisions[0]["why"] == "fallback-takeover" and decisions[0]["holders"] == 1
    assert "seq" not in decisions[1] and decisions[1]["peer"] == "p2"


def test_off_recorder_records_nothing() -> None:
    recorder = NodeTimeline(None)
    recorder.message("p1", wire.HaveDelta(3))
    recorder.action(act.RequestPieces("p1", 1, 3, 0, 1))
    recorder.decision(0.0, 3, "election-turn", {})
    recorder.playhead_changed(0.0)
    assert recorder.dump() is None


def _live_segment_actions(hook: Any) -> list[act.Action]:
    sched = PieceScheduler(SchedulerConfig(), "me", 0.0, on_decision=hook)
    sched.set_swarm_size(0.0, 4)
    sched.set_playhead(0.0, 0.0, True)
    sched.segment_added(0.0, 3, size=40_000, piece_size=16_384, start=6.0, duration=2.0,
                        live_edge=True)  # fmt: skip
    actions = sched.pop_actions()
    at = sched.next_timer()
    assert at is not None
    sched.handle_timer(at)
    return actions + sched.pop_actions()


def test_decision_hook_says_why_and_changes_no_action() -> None:
    decisions: list[tuple[int, str, dict[str, Any]]] = []
    with_hook = _live_segment_actions(lambda now, seq, kind, d: decisions.append((seq, kind, d)))
    assert with_hook == _live_segment_actions(None)
    assert decisions[0][:2] == (3, "election-wait")
    fetches = [d for d in decisions if d[1] in ("election-turn", "fallback-takeover")]
    assert fetches and fetches[0][0] == 3
    assert fetches[0][2] == {"first_piece": 0, "piece_count": 3}
    assert any(isinstance(a, act.FetchHttp) and a.seq == 3 for a in with_hook)
