"""The headless viewer's simulated player: start, advance, stall, resume."""

from __future__ import annotations

import pytest

from swarmcast.peer.sim_playhead import SimulatedPlayhead, Timeline


def timeline(*seqs: int) -> Timeline:
    line = Timeline()
    for seq in seqs:
        line.add(seq, 2.0)
    return line


def test_timeline_places_segments_back_to_back() -> None:
    line = timeline(10, 11, 12)
    assert line.spans[12] == (4.0, 2.0)
    assert line.seq_at(3.99) == 11
    assert line.seq_at(6.0) is None
    assert line.add(9, 2.0) == -2.0  # an older one slots in before
    line.forget_before(11)
    assert sorted(line.spans) == [11, 12]


def test_starts_when_ready_then_stalls_on_a_missing_segment_and_resumes() -> None:
    line = timeline(10, 11, 12)
    complete: set[int] = set()
    player = SimulatedPlayhead(0.0, set_at=100.0)
    assert not player.step(100.5, line, complete)  # nothing to play yet
    complete.add(10)
    assert player.step(101.0, line, complete) and player.playing
    assert player.startup_s == pytest.approx(1.0)
    boundary = player.next_boundary(101.0, line)
    assert boundary == pytest.approx(103.0, abs=1e-5)
    assert boundary is not None
    assert player.step(boundary, line, complete)  # 11 is not complete: stall
    assert not player.playing and player.stalls == 1
    assert player.position == pytest.approx(2.0, abs=1e-5)
    complete.add(11)
    assert player.step(103.5, line, complete) and player.playing
    assert player.stalled_s == pytest.approx(0.5, abs=1e-5)
    assert player.position_at(104.5) == pytest.approx(3.0, abs=1e-5)
