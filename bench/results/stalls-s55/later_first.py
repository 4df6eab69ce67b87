"""Stalls whose segment waited on neighbours while a later segment came from the origin (session 55).

later_first.py RUN_DIR...: per P2P stall after the first frame, the segment playback waited on
(the first one the player asked for and had not been served at the stall's start); whether the
engine started an origin fetch of a later segment in the 4 s before the stall while none of the
waited one was in flight or started (the earliest deadline left on neighbours). Counts per run.
"""

from __future__ import annotations

import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from pages import first_playing, p2p_pages  # noqa: E402


def main() -> None:
    for run in sys.argv[1:]:
        total = later = 0
        total_s = later_s = 0.0
        for _f, _d, ev in p2p_pages(run):
            first = first_playing(ev)
            if first is None:
                continue
            for s in [e for e in ev if e["kind"] == "stall" and e.get("phase") == "end"]:
                t0 = s["t"] - s["ms"]
                if t0 <= first:
                    continue
                total += 1
                total_s += s["ms"] / 1000
                asked = [e for e in ev if e["kind"] == "frag-request" and e.get("seq") is not None and e["t"] <= t0]
                served = {e.get("seq") for e in ev if e["kind"] in ("frag-served", "loader-http-end") and e["t"] <= t0}
                waiting = [e["seq"] for e in asked if e["seq"] not in served]
                if not waiting:
                    continue
                seq = min(waiting)
                starts = [e for e in ev if e["kind"] == "http-start" and t0 - 4000 <= e["t"] < t0 - 200]
                # Its own origin fetch before the stall (one started as the stall began does not count).
                own = any(
                    e["kind"] == "http-start" and e.get("seq") == seq and t0 - 15000 <= e["t"] < t0 - 200 for e in ev
                )
                if not own and any((e.get("seq") or -1) > seq for e in starts):
                    later += 1
                    later_s += s["ms"] / 1000
        print(f"{run.rstrip('/').split('/')[-1]}: stalls after the first frame {total} ({total_s:.1f} s),"
              f" a later segment from the origin while the waited one stayed on neighbours {later} ({later_s:.1f} s)")


if __name__ == "__main__":
    main()
