"""segmenter.dash against tests/segmenter/mpd_conformance.py (the ISO/IEC 23009-1 schema and the
DASH-IF timing rules), and the checker against MPDs that break those rules."""

from __future__ import annotations

import itertools

from swarmcast.segmenter import dash
from tests.segmenter.mpd_conformance import mpd_violations, update_violations
from tests.segmenter.test_hls_playlists import T0, entry, state

# Publisher 0 for segments 0-3, a 30 s gap, publisher 1 for segments 4-7 (a second Period).
SEGMENTS = [entry(seq) for seq in range(4)] + [entry(seq, 1, 1, gap=30) for seq in range(4, 8)]
LAST_END = T0 + 2.0 * 8 + 30  # capture end of segment 7


def test_live_and_ended_mpds_with_two_periods_conform() -> None:
    live = dash.render_mpd(state(SEGMENTS, window=6), now=LAST_END + 0.3, utc_timing_url="/t")
    assert mpd_violations(live) == []
    single = dash.render_mpd(state(SEGMENTS[:3], window=6), now=T0 + 6.5)
    assert mpd_violations(single) == []
    ended = dash.render_mpd(state(SEGMENTS, ended=True), now=LAST_END + 1)
    assert mpd_violations(ended) == []


def test_live_updates_keep_periods_and_segment_numbers() -> None:
    """Each MPD as the window slides over the publisher change: nothing listed moves."""
    mpds = [
        dash.render_mpd(state(SEGMENTS[:count], window=4), now=T0 + 2.0 * count + 0.5 + 30)
        for count in range(3, len(SEGMENTS) + 1)
    ]
    for before, after in itertools.pairwise(mpds):
        assert mpd_violations(after) == []
        assert update_violations(before, after) == []


def test_schema_errors_are_found() -> None:
    live = dash.render_mpd(state(SEGMENTS, window=6), now=LAST_END + 0.3)
    broken = live.replace('startWithSAP="1"', 'startWithSAP="9"', 1)
    assert any(problem.startswith("schema:") for problem in mpd_violations(broken))
    unknown = live.replace("<Period ", "<Chapter ", 1).replace("</Period>", "</Chapter>", 1)
    assert any(problem.startswith("schema:") for problem in mpd_violations(unknown))


def test_timing_rule_violations_are_found() -> None:
    # Listed before its segments exist: publishTime 1 s before the newest one is complete.
    early = dash.render_mpd(state(SEGMENTS, window=6), now=LAST_END - 1)
    assert any("before it becomes available" in p for p in mpd_violations(early))
    live = dash.render_mpd(state(SEGMENTS, window=6), now=LAST_END + 0.3)
    # Period p1 moved 10 s earlier: p0's segments now run into it.
    overlapping = live.replace('start="PT38.000S"', 'start="PT4.000S"')
    assert overlapping != live
    assert any("into Period p1" in p for p in mpd_violations(overlapping))
    # No clock for the players.
    no_clock = live[: live.index("<UTCTiming")] + "</MPD>\n"
    assert any("UTCTiming" in p for p in mpd_violations(no_clock))
    # An update that changed a listed segment's time.
    moved = live.replace('t="720000"', 't="721000"')
    assert moved != live
    assert any("segment 4 changed" in p for p in update_violations(live, moved))
