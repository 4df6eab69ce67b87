"""How long the new rendition's first playlist waited at hls.js's rendition switches (session 57).

switch_ttfb.py RUN_DIR...: per run and page class (P2P, CDN-only), for every LEVEL_SWITCHING at
least 12 s into the phase: the first byte of the first media playlist requested within 50 ms
before and 3 s after it (resource timing, `ttfbMs`), and whether the page stalled within 6 s
after. RUN_DIR holds the run's unpacked `*-timeline` directory (a run's `run-1`).
A page's requests share one HTTP/2 connection behind the edge: what is already on its way
(the old rendition's fetch, aborted at the switch) reaches the page before the new playlist.
"""

from __future__ import annotations

import glob
import json
import statistics
import sys


def switches(path: str) -> list[tuple[float, float | None, bool]]:
    """(switch s into the phase, playlist first byte ms or None, stalled within 6 s) per switch."""
    data = json.load(open(path))
    t0 = data["phase_start"]
    events = sorted(data["events"], key=lambda e: e["t"])
    resources = sorted(data["resources"], key=lambda r: r["t"])
    rows = []
    for e in events:
        if e["kind"] != "level-switching" or (e["t"] - t0) / 1000 < 12:
            continue
        playlists = [r for r in resources if "index.m3u8" in r["path"] and -50 <= r["t"] - e["t"] < 3000]
        ttfb = playlists[0]["ttfbMs"] if playlists else None
        stalled = any(
            x["kind"] == "stall" and x.get("phase") == "start" and 0 < x["t"] - e["t"] < 6000 for x in events
        )
        rows.append(((e["t"] - t0) / 1000, ttfb, stalled))
    return rows


def main() -> None:
    for run in sys.argv[1:]:
        name = glob.glob(run + "/*-timeline")[0].rstrip("/").split("/")[-1].removesuffix("-timeline")
        for kind in ("p2p", "cdn"):
            waits: list[float] = []
            slow = slow_stalled = 0
            for path in sorted(glob.glob(run + f"/*-timeline/{kind}-b0*.json")):
                for _, ttfb, stalled in switches(path):
                    if ttfb is None:
                        continue
                    waits.append(ttfb)
                    if ttfb >= 1000:
                        slow += 1
                        slow_stalled += stalled
            if not waits:
                print(f"{name} {kind}: no switches")
                continue
            p90 = sorted(waits)[int(0.9 * (len(waits) - 1))]
            print(
                f"{name} {kind}: {len(waits)} switches, playlist first byte median"
                f" {statistics.median(waits):.0f} ms, p90 {p90:.0f} ms; >= 1 s: {slow} ({slow_stalled} then stalled)"
            )


if __name__ == "__main__":
    main()
