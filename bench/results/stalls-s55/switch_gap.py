"""What a P2P page's engine fetched from the origin around hls.js's rendition switches (session 55).

switch_gap.py RUN_DIR...: per run, for every LEVEL_SWITCHING after the first frame that hls.js
followed with a fragment request at the new level ("level-switching" then "frag-request" in the
timeline): the gap between the two, the engine's origin fetches started in it (of the old
rendition: the new one has no session yet) and those in flight at the switch, with the outcome of
each (ok = all its bytes came, aborted = stopped early); and the stalls that began within 6 s
after such a switch. With the change of this session the fetches the player had not asked for
are abandoned at the switch ("rendition-leaving").
"""

from __future__ import annotations

import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from pages import first_playing, p2p_pages  # noqa: E402


def main() -> None:
    for run in sys.argv[1:]:
        switches = started = started_bytes = inflight = leaving = 0
        gaps: list[float] = []
        outcomes: dict[str, int] = {}
        stalls = stall_s = near = near_s = 0.0
        for _f, _d, ev in p2p_pages(run):
            first = first_playing(ev)
            if first is None:
                continue
            ends = {e["id"]: e for e in ev if e["kind"] == "http-end"}
            open_: dict[str, dict] = {}
            switch_times = []
            for i, e in enumerate(ev):
                if e["kind"] == "http-start":
                    open_[e["id"]] = e
                elif e["kind"] == "http-end":
                    open_.pop(e.get("id"), None)
                elif e["kind"] == "rendition-leaving":
                    leaving += 1
                elif e["kind"] == "level-switching" and e["t"] > first:
                    switch_times.append(e["t"])
                    nxt = next((x for x in ev[i + 1:] if x["kind"] == "frag-request" and x.get("seq") is not None), None)
                    if not nxt or nxt["level"] != e["level"]:
                        continue
                    switches += 1
                    gaps.append((nxt["t"] - e["t"]) / 1000)
                    inflight += len(open_)
                    for x in list(open_.values()) + [x for x in ev[i + 1:] if x["kind"] == "http-start" and x["t"] < nxt["t"]]:
                        end = ends.get(x["id"])
                        o = end.get("outcome", "?") if end else "open"
                        outcomes[o] = outcomes.get(o, 0) + 1
                    for x in ev[i + 1:]:
                        if x["t"] >= nxt["t"]:
                            break
                        if x["kind"] == "http-start":
                            started += 1
                            started_bytes += x.get("bytes_wanted", 0)
            for s in ev:
                if s["kind"] == "stall" and s.get("phase") == "end":
                    t0 = s["t"] - s["ms"]
                    stalls += 1
                    stall_s += s["ms"] / 1000
                    if any(t0 - 6000 <= t <= t0 for t in switch_times):
                        near += 1
                        near_s += s["ms"] / 1000
        gaps.sort()
        med = gaps[len(gaps) // 2] if gaps else float("nan")
        p90 = gaps[int(0.9 * len(gaps))] if gaps else float("nan")
        print(
            f"{run.rstrip('/').split('/')[-1]}: switches {switches} (gap med {med:.2f} p90 {p90:.2f} s),"
            f" leaving {leaving}, fetches started in gaps {started} ({started_bytes / 1e3:.0f} kB),"
            f" in flight at switch {inflight}, outcomes {outcomes};"
            f" stalls {stalls:.0f} ({stall_s:.1f} s), within 6 s after a switch {near:.0f} ({near_s:.1f} s)"
        )


if __name__ == "__main__":
    main()
