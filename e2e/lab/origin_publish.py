"""Whether the lab's origin kept up with real time: each segment's publish delay.

The origin stands in for a CDN on a machine of its own, but in the lab it shares two cores with
every viewer. When it loses real time, every viewer waits for segments that do not exist yet:
their stalls line up, live latency climbs for all of them and P2P has no time to relay (realistic
series 2: the delay reached 37 s in the P2P phase and stayed 0.7 s in the CDN-only one). So a
run records it, and its stalls are read beside it.

Publish delay of a segment = when its file appeared in the origin's directory (mtime) minus the
end of its capture (EXT-X-PROGRAM-DATE-TIME + duration): about one encode for an origin that keeps
up, growing while it falls behind. Read once after the run from the directory the origin writes
(the lab's workdir) once the origin has stopped, so it costs the run nothing: its final media
playlists list the whole run (while live they hold only the last few segments), and the lab's
origin keeps every segment file (`--retain 0`). Before session 17 it kept the last 120, so the
first minutes of a steady run went unmeasured: steady run 1 of session 16 stalled on segments
published 2.2-4.6 s apart during the joins while the check read "0.82 s".
"""

from __future__ import annotations

import re
import statistics
from datetime import datetime
from pathlib import Path
from typing import Any

_ENTRY = re.compile(
    r"#EXT-X-PROGRAM-DATE-TIME:(?P<pdt>\S+)\s*\n(?:#[^\n]*\n)*?"
    r"#EXTINF:(?P<dur>[0-9.]+)[^\n]*\n(?:#[^\n]*\n)*?(?P<uri>[^#\s][^\n]*)"
)
_SEQ = re.compile(r"(\d+)\D*$")


def publish_delays(stream_dir: Path) -> list[dict[str, Any]]:
    """Every segment listed in the stream's media playlists (`<rendition>/index.m3u8`) whose
    file still exists: rendition, seq, capture end and publication (wall ms), delay (s)."""
    out: list[dict[str, Any]] = []
    if not stream_dir.is_dir():
        return out
    for playlist in sorted(stream_dir.glob("*/index.m3u8")):
        rendition = playlist.parent.name
        try:
            text = playlist.read_text()
        except OSError:
            continue
        for match in _ENTRY.finditer(text):
            uri = match["uri"].strip()
            seq = _SEQ.search(uri.rsplit(".", 1)[0])
            try:
                pdt = datetime.fromisoformat(match["pdt"].replace("Z", "+00:00")).timestamp()
                published = (playlist.parent / uri).stat().st_mtime
            except (OSError, ValueError):
                continue
            end = pdt + float(match["dur"])
            out.append({
                "rendition": rendition,
                "seq": int(seq.group(1)) if seq else None,
                "capture_end_wall": round(end * 1000, 1),
                "published_wall": round(published * 1000, 1),
                "delay_s": round(published - end, 3),
            })  # fmt: skip
    return out


# A segment published later than this many segment durations leaves viewers waiting for media
# that does not exist yet: the run measured the lab's CPU, not the swarm.
REAL_TIME_SEGMENTS = 2
LAB_SEGMENT_S = 2.0  # the lab stream's segment duration when a record does not say


def real_time_limit_s(segment_s: float = LAB_SEGMENT_S) -> float:
    """The publish delay up to which the origin counts as keeping real time."""
    return REAL_TIME_SEGMENTS * segment_s


def publish_summary(segments: list[dict[str, Any]], start: float, end: float) -> dict[str, Any]:
    """Median and max publish delay of the segments published within [start, end] (wall ms)."""
    delays = [s["delay_s"] for s in segments if start <= s["published_wall"] <= end]
    if not delays:
        return {"segments": 0, "median_s": None, "max_s": None}
    return {
        "segments": len(delays),
        "median_s": round(statistics.median(delays), 2),
        "max_s": round(max(delays), 2),
    }
