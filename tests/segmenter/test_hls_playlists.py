"""segmenter.hls and segmenter.dash: pure writers checked with independent parsers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import m3u8

from swarmcast.segmenter import dash, hls
from swarmcast.segmenter.manifest_model import (
    ManifestState,
    PeriodInfo,
    RenditionInfo,
    SegmentEntry,
    iso_datetime,
    iso_duration,
)

NS = {"d": "urn:mpeg:dash:schema:mpd:2011"}
T0 = 1_800_000_000.0
RENDITIONS = (
    RenditionInfo("720p", 1280, 720, 3_253_000, 2_600_000, "avc1.64001f,mp4a.40.2", 30),
    RenditionInfo("360p", 640, 360, 1_003_000, 800_000, "avc1.64001e,mp4a.40.2", 30),
)


def entry(seq: int, discontinuity: int = 0, index: int = 0, gap: float = 0.0) -> SegmentEntry:
    return SegmentEntry(
        seq=seq,
        discontinuity=discontinuity,
        discontinuity_index=index,
        duration=2.0,
        program_date_time=T0 + 2.0 * seq + gap,
        start_ticks=180_000 * seq,
        duration_ticks=180_000,
    )


def state(segments: list[SegmentEntry], ended: bool = False, window: int = 3) -> ManifestState:
    periods = {}
    for segment in segments:
        periods.setdefault(
            segment.discontinuity,
            PeriodInfo(segment.discontinuity, segment.seq, segment.program_date_time,
                       segment.start_ticks),
        )  # fmt: skip
    return ManifestState(
        stream="demo",
        renditions=RENDITIONS,
        segments=tuple(segments),
        periods=tuple(periods.values()),
        timescale=90_000,
        segment_duration=2.0,
        window=window,
        ended=ended,
        availability_start=T0,
    )


def test_master_playlist_names_every_rendition_with_its_attributes() -> None:
    text = hls.master_playlist(RENDITIONS)
    parsed = m3u8.loads(text)
    assert parsed.is_variant
    assert "#EXT-X-INDEPENDENT-SEGMENTS" in text
    variants = [(p.uri, p.stream_info) for p in parsed.playlists]
    assert [uri for uri, _ in variants] == ["720p/index.m3u8", "360p/index.m3u8"]
    info = variants[0][1]
    assert info.bandwidth == 3_253_000
    assert info.average_bandwidth == 2_600_000
    assert info.resolution == (1280, 720)
    assert info.codecs == "avc1.64001f,mp4a.40.2"
    assert info.frame_rate == 30.0


def test_live_media_playlist_lists_the_window_with_pdt_and_map() -> None:
    text = hls.media_playlist(state([entry(seq) for seq in range(5)]))
    parsed = m3u8.loads(text)
    assert parsed.version == 7
    assert parsed.target_duration == 2
    assert parsed.media_sequence == 2
    assert not parsed.is_endlist
    assert [segment.uri for segment in parsed.segments] == ["seg-2.m4s", "seg-3.m4s", "seg-4.m4s"]
    assert all(segment.duration == 2.0 for segment in parsed.segments)
    assert parsed.segments[0].init_section.uri == "init-0.mp4"
    assert parsed.segments[0].current_program_date_time.timestamp() == T0 + 4.0
    assert text.count("#EXT-X-PROGRAM-DATE-TIME") == 3
    assert "#EXT-X-INDEPENDENT-SEGMENTS" in text


def test_discontinuity_gets_a_tag_a_new_map_and_a_sequence_once_it_slides_out() -> None:
    segments = [entry(0), entry(1), entry(2, 1, 1, gap=30), entry(3, 1, 1, gap=30)]
    text = hls.media_playlist(state(segments, window=4))
    parsed = m3u8.loads(text)
    assert parsed.discontinuity_sequence == 0
    assert [s.discontinuity for s in parsed.segments] == [False, False, True, False]
    assert [s.init_section.uri for s in parsed.segments] == ["init-0.mp4"] * 2 + ["init-1.mp4"] * 2
    assert text.index("#EXT-X-DISCONTINUITY\n") < text.index('#EXT-X-MAP:URI="init-1.mp4"')
    # Once the first period slid out of the window, the count moves to the header.
    later = hls.media_playlist(state([*segments, entry(4, 1, 1, gap=30)], window=3))
    parsed = m3u8.loads(later)
    assert parsed.discontinuity_sequence == 1
    assert parsed.media_sequence == 2
    assert "#EXT-X-DISCONTINUITY\n" not in later
    assert parsed.segments[0].init_section.uri == "init-1.mp4"


def test_ended_playlist_lists_everything_kept_and_closes() -> None:
    parsed = m3u8.loads(hls.media_playlist(state([entry(seq) for seq in range(5)], ended=True)))
    assert parsed.is_endlist
    assert parsed.media_sequence == 0
    assert len(parsed.segments) == 5


def test_target_duration_covers_a_long_segment() -> None:
    long = SegmentEntry(0, 0, 0, 3.4, T0, 0, 306_000)
    assert m3u8.loads(hls.media_playlist(state([long]))).target_duration == 3


def test_dynamic_mpd_has_timeline_numbers_and_wallclock_periods() -> None:
    segments = [entry(seq) for seq in range(4)] + [entry(4, 1, 1, gap=30), entry(5, 1, 1, gap=30)]
    root = ET.fromstring(dash.render_mpd(state(segments, window=6), now=T0 + 50))
    assert root.get("type") == "dynamic"
    assert root.get("availabilityStartTime") == iso_datetime(T0)
    assert root.get("minimumUpdatePeriod") == "PT2.000S"
    assert root.find("d:UTCTiming", NS) is not None
    periods = root.findall("d:Period", NS)
    assert [p.get("id") for p in periods] == ["p0", "p1"]
    assert periods[0].get("start") == "PT0.000S"
    assert periods[1].get("start") == iso_duration(8.0 + 30)  # its capture time - AST
    template = periods[1].find("d:AdaptationSet/d:SegmentTemplate", NS)
    assert template is not None
    assert template.get("startNumber") == "4"
    assert template.get("presentationTimeOffset") == str(180_000 * 4)
    assert template.get("initialization") == "$RepresentationID$/init-1.mp4"
    assert template.get("media") == "$RepresentationID$/seg-$Number$.m4s"
    runs = [(s.get("t"), s.get("d"), s.get("r")) for s in template.iterfind(".//d:S", NS)]
    assert runs == [(str(180_000 * 4), "180000", "1")]
    first = periods[0].find("d:AdaptationSet/d:SegmentTemplate/d:SegmentTimeline/d:S", NS)
    assert first is not None and (first.get("t"), first.get("r")) == ("0", "3")
    representations = periods[0].findall("d:AdaptationSet/d:Representation", NS)
    assert [(r.get("id"), r.get("bandwidth"), r.get("codecs")) for r in representations] == [
        ("720p", "3253000", "avc1.64001f,mp4a.40.2"),
        ("360p", "1003000", "avc1.64001e,mp4a.40.2"),
    ]


def test_live_mpd_clock_sources_and_profile() -> None:
    """http-iso time endpoint first, the direct value as fallback; muxed A/V claims no CMAF."""
    live = dash.render_mpd(state([entry(0)]), now=T0 + 5, utc_timing_url="/api/time")
    root = ET.fromstring(live)
    timings = [(t.get("schemeIdUri"), t.get("value")) for t in root.findall("d:UTCTiming", NS)]
    assert timings == [
        ("urn:mpeg:dash:utc:http-iso:2014", "/api/time"),
        ("urn:mpeg:dash:utc:direct:2014", iso_datetime(T0 + 5)),
    ]
    assert root.get("profiles") == "urn:mpeg:dash:profile:isoff-live:2011"
    # 3.5 segments (docs/segmenter.md, "Live delay"), within the window.
    wide = ET.fromstring(dash.render_mpd(state([entry(0)], window=6), now=T0 + 5))
    assert wide.get("suggestedPresentationDelay") == "PT7.000S"
    assert root.get("suggestedPresentationDelay") == "PT6.000S"  # a 3-segment window
    bare = ET.fromstring(dash.render_mpd(state([entry(0)]), now=T0 + 5))
    assert [t.get("schemeIdUri") for t in bare.findall("d:UTCTiming", NS)] == [
        "urn:mpeg:dash:utc:direct:2014"
    ]
    ended_state = state([entry(0)], ended=True)
    ended = ET.fromstring(dash.render_mpd(ended_state, now=T0 + 5, utc_timing_url="/api/time"))
    assert ended.findall("d:UTCTiming", NS) == []


def test_live_mpd_drops_periods_that_left_the_window_and_static_mpd_lays_them_end_to_end() -> None:
    segments = [entry(0), entry(1, 1, 1, gap=10), entry(2, 1, 1, gap=10), entry(3, 1, 1, gap=10)]
    root = ET.fromstring(dash.render_mpd(state(segments, window=2), now=T0 + 30))
    assert [p.get("id") for p in root.findall("d:Period", NS)] == ["p1"]
    template = root.find("d:Period/d:AdaptationSet/d:SegmentTemplate", NS)
    assert template is not None and template.get("startNumber") == "2"
    static = ET.fromstring(dash.render_mpd(state(segments, ended=True), now=T0 + 30))
    assert static.get("type") == "static"
    assert static.get("mediaPresentationDuration") == "PT8.000S"
    assert static.get("availabilityStartTime") is None
    assert [p.get("start") for p in static.findall("d:Period", NS)] == ["PT0.000S", "PT2.000S"]


def test_timeline_gap_starts_a_new_s_element() -> None:
    odd = SegmentEntry(2, 0, 0, 1.5, T0 + 4, 360_000, 135_000)
    after = SegmentEntry(3, 0, 0, 2.0, T0 + 5.5, 495_000, 180_000)
    root = ET.fromstring(dash.render_mpd(state([entry(0), entry(1), odd, after], window=4), T0))
    runs = [(s.get("t"), s.get("d"), s.get("r")) for s in root.iterfind(".//d:S", NS)]
    assert runs == [("0", "180000", "1"), ("360000", "135000", None), ("495000", "180000", None)]


def test_iso_formats() -> None:
    assert iso_datetime(0.5) == "1970-01-01T00:00:00.500Z"
    assert iso_duration(65.25) == "PT1M5.250S"
    assert iso_duration(3600 * 2 + 1) == "PT2H1.000S"
