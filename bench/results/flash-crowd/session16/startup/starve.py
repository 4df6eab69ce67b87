"""Page starvation: lateness of the timeline's 1 s buffer sampler (setInterval 1000 ms), per phase,
by time since the phase start; and the number of timeline events (P2P main-thread activity) in
[first bytes, first frame]."""
import sys, statistics
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import load

bins = [(0, 10), (10, 12), (12, 14), (14, 16), (16, 20), (20, 30), (30, 60)]
late = {"p2p": {b: [] for b in bins}, "cdn": {b: [] for b in bins}}
win = {"p2p": [], "cdn": []}
for arg in sys.argv[1:]:
    raw, phases = load(Path(arg))
    for ph in raw["phases"]:
        name = ph["spec"]["name"]
        s0 = ph["start_wall"]
        for r in phases[name]:
            ts = [e["t"] for e in r["events"] if e["kind"] == "buffer"]
            for a, b in zip(ts, ts[1:]):
                x = (b - s0) / 1000
                for bb in bins:
                    if bb[0] <= x < bb[1]:
                        late[name][bb].append(b - a - 1000)
            if r.get("bytes_at") is not None:
                a = r["t0"] + r["bytes_at"] * 1000; b = r["t0"] + r["ff"] * 1000
                n = sum(1 for e in r["events"] if a <= e["t"] <= b and e["kind"] in ("peer-start", "peer-end", "have-delta", "decision"))
                win[name].append((n, (b - a) / 1000))
for name in late:
    print(name, "sampler lateness ms (median/p90) by s since phase start:",
          " ".join(f"{a}-{b}: {statistics.median(v):.0f}/{sorted(v)[int(len(v)*.9)]:.0f} (n{len(v)})" for (a, b), v in late[name].items() if v))
for name, pts in win.items():
    pts.sort(); n = len(pts)
    print(name, "P2P events in [bytes, ff] quartiles:", [(pts[q*n//4][0], pts[(q+1)*n//4-1][0], round(statistics.median(y for _, y in pts[q*n//4:(q+1)*n//4]), 2)) for q in range(4)])
