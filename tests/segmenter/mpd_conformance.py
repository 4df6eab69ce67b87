"""MPD conformance checks, independent of segmenter/dash.py (docs/segmenter.md, "MPD
conformance" lists them and where they come from).

`mpd_violations(text)` validates the MPD against the ISO/IEC 23009-1 XML schema
(`schemas/DASH-MPD.xsd`, with the `xmlschema` package) and then checks the rules of ISO/IEC
23009-1 and the DASH-IF interoperability guidelines (IOP) that a dynamic or static
SegmentTimeline + `$Number$` MPD must follow, which a schema cannot express: timing of Periods
and segments, availability at publishTime, clocks. `update_violations(old, new)` checks two
snapshots of one live MPD against each other (what an MPD update may not change). Both return
human-readable violations; empty means conformant.
"""

from __future__ import annotations

import functools
import itertools
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import xmlschema

NS = {"d": "urn:mpeg:dash:schema:mpd:2011"}
SCHEMA = Path(__file__).resolve().parent / "schemas" / "DASH-MPD.xsd"
UTC_SCHEMES = {
    "urn:mpeg:dash:utc:http-iso:2014",
    "urn:mpeg:dash:utc:http-xsdate:2014",
    "urn:mpeg:dash:utc:http-head:2014",
    "urn:mpeg:dash:utc:direct:2014",
    "urn:mpeg:dash:utc:ntp:2014",
}
TOLERANCE_S = 0.002
"""Rounding: the MPD writes durations and times in milliseconds."""
_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?"
    r"(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


@functools.cache
def _schema() -> xmlschema.XMLSchema:
    # The schema imports xlink by its W3C URL; xmlschema ships that schema: nothing is fetched.
    xlink = Path(xmlschema.__file__).parent / "schemas" / "XLINK" / "xlink.xsd"
    return xmlschema.XMLSchema(
        str(SCHEMA), locations={"http://www.w3.org/1999/xlink": str(xlink)}, allow="local"
    )


def duration_s(text: str) -> float:
    """xs:duration without years and months (which have no fixed length in seconds)."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"unsupported xs:duration {text!r}")
    parts = {key: float(value) for key, value in match.groupdict().items() if value}
    return (
        parts.get("d", 0) * 86400 + parts.get("h", 0) * 3600 + parts.get("m", 0) * 60
    ) + parts.get("s", 0)


def datetime_s(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@dataclass(frozen=True)
class Segment:
    period: str
    number: int
    t: int
    d: int
    timescale: int

    def start_s(self, pto: int) -> float:
        """Presentation time relative to its Period's start."""
        return (self.t - pto) / self.timescale


@dataclass
class PeriodTiming:
    id: str
    start: float | None
    pto: int
    segments: list[Segment]

    def end_s(self) -> float:
        """Presentation end of its last segment, relative to the MPD (start + segments)."""
        last = self.segments[-1]
        return (self.start or 0.0) + (last.t + last.d - self.pto) / last.timescale


def mpd_violations(text: str) -> list[str]:
    """Schema errors, then rule violations; [] for a conformant MPD."""
    errors = [f"schema: {error.reason} at {error.path}" for error in _schema().iter_errors(text)]
    if errors:
        return errors[:10]
    mpd = ET.fromstring(text)
    problems: list[str] = []
    dynamic = mpd.get("type", "static") == "dynamic"
    problems += _mpd_attributes(mpd, dynamic)
    periods = [_period(period, problems) for period in mpd.findall("d:Period", NS)]
    if not periods:
        return [*problems, "no Period"]
    problems += _period_timing(mpd, periods, dynamic)
    problems += _segment_timing(mpd, periods, dynamic)
    return problems


def update_violations(old_text: str, new_text: str) -> list[str]:
    """What a live MPD update may not change (ISO/IEC 23009-1 §5.4, IOP 4.4): its
    availabilityStartTime, the start of a Period that is still listed, and the time and
    duration of a segment number still listed; publishTime may only grow."""
    old, new = ET.fromstring(old_text), ET.fromstring(new_text)
    problems = []
    if new.get("type") == "dynamic" and old.get("availabilityStartTime") != new.get(
        "availabilityStartTime"
    ):
        problems.append("availabilityStartTime changed in an update")
    new_time, old_time = new.get("publishTime"), old.get("publishTime")
    if new_time and old_time and datetime_s(new_time) < datetime_s(old_time):
        problems.append("publishTime went backwards")
    old_periods = {p.get("id"): p for p in old.findall("d:Period", NS)}
    for period in new.findall("d:Period", NS):
        before = old_periods.get(period.get("id"))
        if before is not None and before.get("start") != period.get("start"):
            problems.append(f"Period {period.get('id')} moved: {before.get('start')} -> "
                            f"{period.get('start')}")  # fmt: skip
    old_segments = {s.number: s for s in mpd_segments(old)}
    for segment in mpd_segments(new):
        seen = old_segments.get(segment.number)
        if seen is not None and seen != segment:
            problems.append(f"segment {segment.number} changed: {seen} -> {segment}")
    return problems


def _mpd_attributes(mpd: ET.Element, dynamic: bool) -> list[str]:
    problems = []
    if dynamic:
        # 23009-1 §5.3.1.2: a dynamic MPD has availabilityStartTime and publishTime; IOP 4.3
        # (simple live): minimumUpdatePeriod and timeShiftBufferDepth; IOP 4.7.2: a UTCTiming.
        for name in ("availabilityStartTime", "publishTime", "minimumUpdatePeriod",
                     "timeShiftBufferDepth"):  # fmt: skip
            if mpd.get(name) is None:
                problems.append(f"dynamic MPD without @{name}")
        if mpd.get("mediaPresentationDuration") is not None:
            problems.append("a live (dynamic) MPD announces a mediaPresentationDuration")
        schemes = [t.get("schemeIdUri") for t in mpd.findall("d:UTCTiming", NS)]
        if not any(scheme in UTC_SCHEMES for scheme in schemes):
            problems.append(f"dynamic MPD without a UTCTiming of a known scheme: {schemes}")
        delay, depth = mpd.get("suggestedPresentationDelay"), mpd.get("timeShiftBufferDepth")
        if delay and depth and duration_s(delay) > duration_s(depth):
            problems.append("suggestedPresentationDelay beyond timeShiftBufferDepth")
    elif mpd.get("mediaPresentationDuration") is None:
        problems.append("static MPD without @mediaPresentationDuration")
    if mpd.get("maxSegmentDuration") is None:
        problems.append("no @maxSegmentDuration")
    return problems


def _period(period: ET.Element, problems: list[str]) -> PeriodTiming:
    pid = period.get("id")
    if not pid:
        problems.append("a Period without @id (IOP: required when there are updates or Periods)")
    start = period.get("start")
    timings: list[PeriodTiming] = []
    for adaptation in period.findall("d:AdaptationSet", NS):
        if adaptation.get("segmentAlignment") not in ("true", "1"):
            problems.append(f"Period {pid}: AdaptationSet without segmentAlignment")
        if adaptation.get("startWithSAP") not in ("1", "2"):
            problems.append(f"Period {pid}: AdaptationSet@startWithSAP is not 1 or 2")
        for representation in adaptation.findall("d:Representation", NS):
            if not representation.get("codecs") and not adaptation.get("codecs"):
                problems.append(f"Period {pid}: Representation without @codecs")
        template = adaptation.find("d:SegmentTemplate", NS)
        if template is None:
            problems.append(f"Period {pid}: no SegmentTemplate on the AdaptationSet")
            continue
        timings.append(_template(pid or "?", start, template, problems))
    if not timings:
        return PeriodTiming(pid or "?", None, 0, [])
    if len({tuple((s.number, s.t, s.d) for s in t.segments) for t in timings}) > 1:
        problems.append(f"Period {pid}: AdaptationSets with different segment timelines")
    return timings[0]


def _template(
    pid: str, start: str | None, template: ET.Element, problems: list[str]
) -> PeriodTiming:
    media = template.get("media", "")
    timeline = template.find("d:SegmentTimeline", NS)
    if timeline is None:
        problems.append(f"Period {pid}: SegmentTemplate without SegmentTimeline")
    if template.get("duration") is not None and timeline is not None:
        problems.append(f"Period {pid}: both @duration and a SegmentTimeline")
    if ("$Number$" in media) == ("$Time$" in media):
        problems.append(f"Period {pid}: @media must use exactly one of $Number$ and $Time$")
    if not template.get("initialization"):
        problems.append(f"Period {pid}: no @initialization")
    timescale = int(template.get("timescale", "1"))
    pto = int(template.get("presentationTimeOffset", "0"))
    number = int(template.get("startNumber", "1"))
    segments: list[Segment] = []
    for index, element in enumerate(timeline.findall("d:S", NS) if timeline is not None else []):
        d, r = int(element.get("d", "0")), int(element.get("r", "0"))
        if r < 0:
            problems.append(f"Period {pid}: S@r={r} (open-ended repeat) is not used here")
        if element.get("t") is None and index == 0:
            problems.append(f"Period {pid}: the first S has no @t")
        t = int(element.get("t") or (segments[-1].t + segments[-1].d if segments else 0))
        if segments and t < segments[-1].t + segments[-1].d:
            problems.append(f"Period {pid}: S@t={t} overlaps the previous segment")
        for _ in range(r + 1):
            segments.append(Segment(pid, number, t, d, timescale))
            number += 1
            t += d
    if not segments:
        problems.append(f"Period {pid}: no segment")
    elif segments[0].t < pto:
        problems.append(f"Period {pid}: its first segment starts before presentationTimeOffset")
    return PeriodTiming(pid, duration_s(start) if start else None, pto, segments)


def _period_timing(mpd: ET.Element, periods: list[PeriodTiming], dynamic: bool) -> list[str]:
    """Period@start present and increasing; no Period's segments run into the next Period; a
    static MPD's Periods and mediaPresentationDuration add up."""
    problems = []
    ids = [p.id for p in periods]
    if len(set(ids)) != len(ids):
        problems.append(f"Period ids repeat: {ids}")
    if periods[0].start is None and dynamic:
        problems.append("the first Period of a dynamic MPD has no @start")
    for before, after in itertools.pairwise(periods):
        if after.start is None or before.start is None:
            problems.append(f"Period {after.id} without @start after Period {before.id}")
            continue
        if after.start <= before.start:
            problems.append(f"Period {after.id} starts before Period {before.id}")
        if before.segments and before.end_s() > after.start + TOLERANCE_S:
            problems.append(f"Period {before.id}'s segments run {before.end_s() - after.start:.3f}"
                            f" s into Period {after.id}")  # fmt: skip
    if not dynamic and periods[-1].segments:
        total = mpd.get("mediaPresentationDuration")
        if total is not None and abs(duration_s(total) - periods[-1].end_s()) > TOLERANCE_S:
            problems.append(f"mediaPresentationDuration {total} != end of the last Period's "
                            f"segments {periods[-1].end_s():.3f} s")  # fmt: skip
    return problems


def _segment_timing(mpd: ET.Element, periods: list[PeriodTiming], dynamic: bool) -> list[str]:
    """Every segment within @maxSegmentDuration; in a dynamic MPD every listed segment is
    available at publishTime (23009-1 §5.3.9.5.3: availability starts at AST + Period@start +
    its presentation end)."""
    problems = []
    longest = duration_s(mpd.get("maxSegmentDuration") or "PT0S")
    for period in periods:
        for segment in period.segments:
            if segment.d / segment.timescale > longest + TOLERANCE_S:
                problems.append(f"segment {segment.number} is longer than maxSegmentDuration")
    if dynamic and mpd.get("publishTime") and mpd.get("availabilityStartTime"):
        ast = datetime_s(mpd.get("availabilityStartTime", ""))
        published = datetime_s(mpd.get("publishTime", ""))
        for period in periods:
            for segment in period.segments:
                available = ast + (period.start or 0.0) + (
                    segment.t + segment.d - period.pto) / segment.timescale  # fmt: skip
                early = available - published
                if early > TOLERANCE_S:
                    problems.append(f"segment {segment.number} is listed {early:.3f} s before"
                                    " it becomes available")  # fmt: skip
    return problems


def mpd_segments(mpd: ET.Element) -> list[Segment]:
    """Every segment the MPD lists (number, S@t, S@d), Period by Period."""
    ignored: list[str] = []
    return [s for p in mpd.findall("d:Period", NS) for s in _period(p, ignored).segments]
