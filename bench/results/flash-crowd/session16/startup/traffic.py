"""P2P viewers: the host's own link traffic (tx+rx, MB/s; the lab's per-host counters) while its first
fragment went from bytes to first frame, against how long that took; CDN viewers the same."""
import sys, statistics, bisect
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import load

def counter_at(series, t):
    i = bisect.bisect_left([w for w, _ in series], t)
    if i == 0: return series[0][1]
    if i >= len(series): return series[-1][1]
    (w0, v0), (w1, v1) = series[i-1], series[i]
    return v0 + (v1 - v0) * (t - w0) / max(1, w1 - w0)

rows = {"p2p": [], "cdn": []}
for arg in sys.argv[1:]:
    raw, phases = load(Path(arg))
    hosts = {h["address"]: k for k, h in raw["hosts"].items()}
    for ph in raw["phases"]:
        name = ph["spec"]["name"]
        addr = {v["viewer"]: v["address"] for v in ph["viewers"]}
        for r in phases[name]:
            if r.get("bytes_at") is None: continue
            k = hosts.get(addr[r["viewer"]])
            series = [(s["wall"], sum(s["hosts"][k])) for s in raw["links"] if k in s["hosts"]]
            a = r["t0"] + r["bytes_at"] * 1000; b = r["t0"] + r["ff"] * 1000
            if b - a < 50: continue
            # at least a 1 s window around it (samples are ~1 s apart)
            lo, hi = min(a, b - 1000), max(b, a + 1000)
            mbps = (counter_at(series, hi) - counter_at(series, lo)) / (hi - lo) / 1000
            rows[name].append((mbps, (b - a) / 1000))
for name, pts in rows.items():
    pts.sort()
    n = len(pts)
    print(name, "n", n)
    for q in range(4):
        part = pts[q * n // 4:(q + 1) * n // 4]
        print(f"  traffic quartile {q+1}: {part[0][0]:.2f}-{part[-1][0]:.2f} MB/s  bytes->ff median {statistics.median(y for _, y in part):.2f} s")
