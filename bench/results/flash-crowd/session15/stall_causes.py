"""What each P2P stall of a lab run waited on (session 15 of issue 8):

    python bench/results/flash-crowd/session15/stall_causes.py \
        bench/results/matrix-flash-20261201-200226

For every stall (ended, >= 50 ms) in a run's `*-timeline/p2p-*.json`, the segment at the stalled
position and this viewer's scheduler decisions on it before the stall ended:
- `takeover-after-peer-requests`: it asked neighbours for pieces, then took the rest from the
  origin (`fallback-takeover`);
- `takeover-no-peer-request`: it took the segment from the origin with no neighbour's copy asked;
- `own-election-fetch`: its own live-election fetch (`election-turn`) was late;
- `peer-only`: only peers were asked, and they were late; `other` / `startup/unknown`.
Prints stalled seconds per cause and measured run (not the warm-up), then the totals.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def cause(events: list[dict], stall: dict) -> str:
    starts = {e["seq"]: e["start"] for e in events if e["kind"] == "segment-added"}
    pos = stall["pos"]
    seq = next((q for q, st in starts.items() if st <= pos + 0.1 < st + 2.0), None)
    if seq is None:
        return "startup/unknown"
    whys = [
        e["why"]
        for e in events
        if e.get("seq") == seq and e["kind"] == "decision" and e["t"] <= stall["t"]
    ]
    if "fallback-takeover" in whys:
        first = whys.index("fallback-takeover")
        asked = "peer-request" in whys[:first]
        return "takeover-after-peer-requests" if asked else "takeover-no-peer-request"
    if "election-turn" in whys:
        return "own-election-fetch"
    return "peer-only" if "peer-request" in whys else "other"


def main(base: str) -> None:
    seconds: Counter[str] = Counter()
    count: Counter[str] = Counter()
    for run in sorted(Path(base).glob("**/run-*")):
        if "warm-up" in run.parts:
            continue
        per_run: Counter[str] = Counter()
        for timeline in run.glob("*-timeline/p2p-*.json"):
            events = json.loads(timeline.read_text())["events"]
            for stall in (e for e in events if e["kind"] == "stall" and e.get("phase") == "end"):
                if stall["ms"] >= 50:
                    kind = cause(events, stall)
                    per_run[kind] += stall["ms"] / 1000
                    count[kind] += 1
        if per_run:
            print(run.relative_to(base), {k: round(v, 2) for k, v in per_run.items()})
        seconds.update(per_run)
    print("total s", {k: round(v, 1) for k, v in seconds.items()}, "stalls", dict(count))


if __name__ == "__main__":
    main(sys.argv[1])
