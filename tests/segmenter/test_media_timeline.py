"""segmenter.timeline: constant-rate video slots and sample-accurate audio placement."""

from __future__ import annotations

from swarmcast.segmenter.timeline import AudioTimeline, VideoTimeline


def test_regular_frames_fill_one_slot_each() -> None:
    timeline = VideoTimeline(fps=30, max_gap=5.0)
    assert [timeline.place(1000.0 + n / 30) for n in range(90)] == [1] * 90
    assert timeline.next_slot == 90


def test_faster_source_drops_and_slower_source_repeats() -> None:
    fast = VideoTimeline(fps=30, max_gap=5.0)
    counts = [fast.place(n / 60) for n in range(120)]
    assert counts[2:8] == [0, 1, 0, 1, 0, 1]  # every other frame, regularly
    assert sum(counts) == fast.next_slot == 61  # 119/60 s -> slot 60 (half up)
    slow = VideoTimeline(fps=30, max_gap=5.0)
    counts = [slow.place(n / 25) for n in range(50)]
    assert sum(counts) == slow.next_slot == round(49 / 25 * 30) + 1
    assert max(counts) == 2


def test_gap_is_filled_but_a_huge_jump_re_anchors() -> None:
    timeline = VideoTimeline(fps=30, max_gap=5.0)
    timeline.place(0.0)
    assert timeline.place(1.0) == 30  # one second missing: the frame fills 30 slots
    assert timeline.place(3600.0) == 1  # a clock jump: no hour of repeats
    assert timeline.place(3600.0 + 1 / 30) == 1
    assert timeline.place(3000.0) == 1  # backwards by minutes: re-anchored too
    assert timeline.place(3000.0) == 0  # a duplicate timestamp is dropped


def test_shared_origin_puts_late_video_after_early_audio() -> None:
    timeline = VideoTimeline(fps=30, max_gap=5.0)
    timeline.align_to(10.0)
    assert timeline.place(10.5) == 16  # slots 0..15 all show the first picture


def test_audio_jitter_is_ignored_gaps_become_silence_overlaps_are_dropped() -> None:
    audio = AudioTimeline(sample_rate=48_000, max_gap=5.0)
    assert audio.place(0.0) == 0
    audio.advance(1024)
    assert audio.place(1024 / 48_000 + 0.01) == 0  # 10 ms late: jitter
    audio.advance(1024)
    assert audio.place(2048 / 48_000 + 0.5) == 24_000  # half a second missing
    audio.advance(24_000 + 1024)
    assert audio.place(0.2) is None  # far behind what was written
    assert audio.written == 2048 + 24_000 + 1024


def test_audio_huge_jump_re_anchors_and_video_only_needs_silence() -> None:
    audio = AudioTimeline(sample_rate=48_000, max_gap=5.0)
    audio.place(0.0)
    audio.advance(1024)
    assert audio.place(500.0) == 0
    assert audio.missing_until(48_000) == 48_000 - 1024
    assert audio.missing_until(10) == 0
