"""bytes->first frame against when the bytes arrived (s since the phase start), both phases pooled."""
import sys, statistics
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import load

bins = [(0, 8), (8, 10), (10, 11), (11, 12), (12, 13), (13, 14), (14, 16), (16, 99)]
pts = {"p2p": [], "cdn": []}
for arg in sys.argv[1:]:
    raw, phases = load(Path(arg))
    for ph in raw["phases"]:
        name = ph["spec"]["name"]
        for r in phases[name]:
            if r.get("bytes_at") is None:
                continue
            x = (r["t0"] + r["bytes_at"] * 1000 - ph["start_wall"]) / 1000
            pts[name].append((x, r["ff"] - r["bytes_at"], r.get("buffered", 0) - r["bytes_at"], r["viewer"], arg))
for name, p in pts.items():
    print(name, "n", len(p))
    for a, b in bins:
        ys = [y for x, y, *_ in p if a <= x < b]
        ap = [z for x, y, z, *_ in p if a <= x < b]
        if ys:
            print(f"  bytes at {a:>2}-{b:<2} s: n {len(ys):3d}  bytes->ff median {statistics.median(ys):.2f}  p75 {sorted(ys)[int(len(ys)*0.75)]:.2f}  bytes->buffered median {statistics.median(ap):.2f}")
