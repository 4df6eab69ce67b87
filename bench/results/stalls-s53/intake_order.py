"""Segments that entered a P2P page's scheduler after a later segment of the same window had
already gone to the origin (within 1 s), split by how the earlier one came in: `loader` (the
player loaded it over plain HTTP itself, and its bytes were offered afterwards) or `intake` (its
integrity record arrived after the later one's). usage: intake_order.py RUN... (unpacked runs)"""
import glob, json, os, sys

total = {"loader": 0, "intake": 0}
for run in sys.argv[1:]:
    for f in sorted(glob.glob(f"{run}/*-timeline/p2p-*.json")):
        d = json.load(open(f)); ps = d["phase_start"]; ev = d["events"]
        adds = [((e["t"] - ps) / 1000, e["seq"]) for e in ev if e["kind"] == "segment-added"]
        # the player's own loads, by seq: when each ended (its bytes are offered right after)
        loader_end = {}
        for e in ev:
            if e["kind"] == "loader-http-end":
                loader_end.setdefault(e.get("seq"), []).append((e["t"] - ps) / 1000)
        fetch_at = {}
        for e in ev:
            if e["kind"] == "http-start":
                fetch_at.setdefault(e["seq"], (e["t"] - ps) / 1000)
        for i, (t, s) in enumerate(adds):
            ahead = [s2 for (t2, s2) in adds[:i] if s2 > s and t - t2 < 1.0 and s2 in fetch_at and fetch_at[s2] <= t]
            if ahead:
                offered = any(0 <= t - end < 0.5 for end in loader_end.get(s, []))
                how = "loader" if offered else "intake"
                total[how] += 1
                print(os.path.basename(run)[-6:], os.path.basename(f)[:-5], f"{t:.2f}", "seq", s, "after", ahead, how)
print("entered after a later segment's origin fetch:", total)
