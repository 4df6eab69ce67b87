"""The DASH MPD (ISO/IEC 23009-1, live profile) over the same CMAF files as HLS. Pure.

While live: `type="dynamic"`, SegmentTimeline + `$Number$` templates (the number is the HLS
media sequence number, so both manifests name the same files), one Period per publisher whose
`start` is its capture wall clock minus `availabilityStartTime` (so availability times stay
right across publisher gaps) and whose `presentationTimeOffset` is its first tfdt. Once ended:
`type="static"`, Periods laid end to end, `mediaPresentationDuration` set.

Audio is muxed into each Representation (one AdaptationSet with `codecs="avc1...,mp4a..."`).
A CMAF track carries one media type (ISO/IEC 23000-19 §7), so these muxed segments do not claim
the CMAF DASH profile, only ISO live. Clocks: the first UTCTiming names an http-iso time
endpoint (the origin's `/api/time`), which stays right however long a cached MPD lives; the
direct value, written with the MPD, is the fallback (DASH-IF IOP 4.7).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

from swarmcast.segmenter.manifest_model import (
    ManifestState,
    PeriodInfo,
    SegmentEntry,
    iso_datetime,
    iso_duration,
)

DASH_NS = "urn:mpeg:dash:schema:mpd:2011"
LIVE_PROFILE = "urn:mpeg:dash:profile:isoff-live:2011"
UTC_HTTP_ISO = "urn:mpeg:dash:utc:http-iso:2014"
UTC_DIRECT = "urn:mpeg:dash:utc:direct:2014"
PRESENTATION_DELAY_SEGMENTS = 3.5
"""suggestedPresentationDelay in segments, chosen so every player lands near hls.js (measured:
docs/segmenter.md, "Live delay"). dash.js counts it from the capture clock, as DASH defines it;
Shaka from the end of the newest listed segment, so it plays 0.7-2.2 s further behind; hls.js
plays about 4 segments behind the capture clock."""


def render_mpd(state: ManifestState, now: float, utc_timing_url: str = "") -> str:
    """The MPD at wall-clock time `now` (publishTime, direct UTCTiming); `utc_timing_url`, when
    set, is an http-iso time source listed before the direct one."""
    listed = state.listed()
    duration = state.segment_duration
    mpd = ET.Element(
        "MPD",
        {
            "xmlns": DASH_NS,
            "profiles": LIVE_PROFILE,
            "type": "static" if state.ended else "dynamic",
            "minBufferTime": iso_duration(2 * duration),
            "maxSegmentDuration": iso_duration(max([duration, *(e.duration for e in listed)])),
        },
    )
    if state.ended:
        mpd.set("mediaPresentationDuration", iso_duration(sum(e.duration for e in listed)))
    else:
        mpd.set("availabilityStartTime", iso_datetime(state.availability_start))
        mpd.set("publishTime", iso_datetime(now))
        mpd.set("minimumUpdatePeriod", iso_duration(duration))
        mpd.set("timeShiftBufferDepth", iso_duration(state.window * duration))
        delay = min(PRESENTATION_DELAY_SEGMENTS, state.window) * duration  # within the window
        mpd.set("suggestedPresentationDelay", iso_duration(delay))
    static_start = 0.0
    for period, entries in _periods(state, listed):
        element = ET.SubElement(mpd, "Period", {"id": f"p{period.discontinuity}"})
        if state.ended:
            element.set("start", iso_duration(static_start))
            static_start += sum(entry.duration for entry in entries)
        else:
            element.set("start", iso_duration(period.start_wallclock - state.availability_start))
        _adaptation_set(element, state, period, entries)
    if not state.ended:
        if utc_timing_url:
            ET.SubElement(mpd, "UTCTiming", {"schemeIdUri": UTC_HTTP_ISO, "value": utc_timing_url})
        ET.SubElement(mpd, "UTCTiming", {"schemeIdUri": UTC_DIRECT, "value": iso_datetime(now)})
    ET.indent(mpd)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(mpd, "unicode") + "\n"


def _periods(
    state: ManifestState, listed: tuple[SegmentEntry, ...]
) -> Iterator[tuple[PeriodInfo, list[SegmentEntry]]]:
    by_discontinuity = {period.discontinuity: period for period in state.periods}
    group: list[SegmentEntry] = []
    for entry in listed:
        if group and group[-1].discontinuity != entry.discontinuity:
            yield by_discontinuity[group[0].discontinuity], group
            group = []
        group.append(entry)
    if group:
        yield by_discontinuity[group[0].discontinuity], group


def _adaptation_set(
    period_element: ET.Element,
    state: ManifestState,
    period: PeriodInfo,
    entries: list[SegmentEntry],
) -> None:
    top = state.renditions[0]
    adaptation = ET.SubElement(
        period_element,
        "AdaptationSet",
        {
            "id": "0",
            "mimeType": "video/mp4",
            "segmentAlignment": "true",
            "startWithSAP": "1",
            "maxWidth": str(max(r.width for r in state.renditions)),
            "maxHeight": str(max(r.height for r in state.renditions)),
            "maxFrameRate": str(top.frame_rate),
            "par": f"{top.width // _gcd(top.width, top.height)}:"
            f"{top.height // _gcd(top.width, top.height)}",
        },
    )
    template = ET.SubElement(
        adaptation,
        "SegmentTemplate",
        {
            "timescale": str(state.timescale),
            "presentationTimeOffset": str(period.start_ticks),
            "startNumber": str(entries[0].seq),
            "initialization": f"$RepresentationID$/init-{period.discontinuity}.mp4",
            "media": "$RepresentationID$/seg-$Number$.m4s",
        },
    )
    timeline = ET.SubElement(template, "SegmentTimeline")
    for start, length, repeat in _runs(entries):
        attributes = {"t": str(start), "d": str(length)}
        if repeat:
            attributes["r"] = str(repeat)
        ET.SubElement(timeline, "S", attributes)
    for rendition in state.renditions:
        ET.SubElement(
            adaptation,
            "Representation",
            {
                "id": rendition.name,
                "bandwidth": str(rendition.bandwidth),
                "width": str(rendition.width),
                "height": str(rendition.height),
                "frameRate": str(rendition.frame_rate),
                "sar": "1:1",
                "codecs": rendition.codecs,
            },
        )


def _runs(entries: list[SegmentEntry]) -> Iterator[tuple[int, int, int]]:
    """SegmentTimeline S elements (t, d, r): contiguous equal durations folded into r."""
    start = entries[0].start_ticks
    length = entries[0].duration_ticks
    repeat = 0
    expected = start + length
    for entry in entries[1:]:
        if entry.start_ticks == expected and entry.duration_ticks == length:
            repeat += 1
        else:
            yield start, length, repeat
            start, length, repeat = entry.start_ticks, entry.duration_ticks, 0
        expected = entry.start_ticks + entry.duration_ticks
    yield start, length, repeat


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a
