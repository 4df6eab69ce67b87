"""startup_block.py DIR...: per phase (P2P, CDN-only), each page's first fragment: page start to
hls.js's request, request to the bytes in (loader, engine or origin fetch), bytes in to buffered;
and the seconds by which the probe's 250-ms timer ran at least 1 s late in the 15 s after that
request (the timelines' `blocked`). DIR: unpacked `realistic-TAG-timeline` directories."""

import glob
import json
import statistics
import sys

WINDOW_MS = 15_000
firsts: dict[str, list[tuple[float, float, float]]] = {"p2p": [], "cdn": []}
lateness: dict[str, list[float]] = {"p2p": [], "cdn": []}
for directory in sys.argv[1:]:
    for path in sorted(glob.glob(f"{directory}/**/*-b*.json", recursive=True)):
        phase = "p2p" if "/p2p-" in path else "cdn"
        with open(path) as f:
            timeline = json.load(f)
        events = sorted(timeline["events"], key=lambda e: e["t"])
        request = next((e for e in events if e["kind"] == "frag-request" and "seq" in e), None)
        if request is None:
            continue
        same = [e for e in events if e.get("seq") == request["seq"] and e["t"] >= request["t"]]
        got = next((e for e in same if e["kind"] in ("loader-http-end", "frag-served", "http-end")), None)
        buffered = next((e for e in same if e["kind"] == "frag-buffered"), None)
        late = [b["ms"] for b in timeline.get("blocked", []) if 0 <= b["t"] - request["t"] <= WINDOW_MS]
        lateness[phase].append(sum(late) / 1000)
        if got and buffered:
            firsts[phase].append(
                (
                    (request["t"] - events[0]["t"]) / 1000,
                    (got["t"] - request["t"]) / 1000,
                    (buffered["t"] - got["t"]) / 1000,
                )
            )
for phase in ("p2p", "cdn"):
    rows, late = firsts[phase], lateness[phase]
    if not rows:
        continue
    fetch = [r[1] for r in rows]
    append = [r[2] for r in rows]
    print(
        f"{phase}: {len(rows)} pages; first fragment request -> bytes median {statistics.median(fetch):.2f} s"
        f" (max {max(fetch):.2f}), bytes -> buffered median {statistics.median(append):.2f} s"
        f" (max {max(append):.2f}); timers late in the 15 s after the request: mean"
        f" {statistics.mean(late):.1f} s, max {max(late):.1f}, pages with 3 s or more {sum(x >= 3 for x in late)}"
    )
