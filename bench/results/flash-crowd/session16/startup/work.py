"""Work a page did between its first bytes and its first frame: fragments appended, peer pieces in."""
import sys, statistics, collections
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import load, fmt

for name in ("p2p", "cdn"):
    nb = collections.Counter(); pieces = []; pts = []
    for arg in sys.argv[1:]:
        raw, phases = load(Path(arg))
        for r in phases[name]:
            if r.get("bytes_at") is None: continue
            a = r["t0"] + r["bytes_at"] * 1000; b = r["t0"] + r["ff"] * 1000
            k = sum(1 for e in r["events"] if e["kind"] == "frag-buffered" and e["t"] <= b)
            nb[k] += 1
            p = sum(e.get("bytes", 0) for e in r["events"] if e["kind"] == "peer-end" and a <= e["t"] <= b) / 1e6
            pieces.append(p); pts.append((k, (b - a) / 1000))
    print(name, "fragments buffered by first frame:", dict(sorted(nb.items())), "peer MB in [bytes, ff] median", fmt(statistics.median(pieces)))
    for k in sorted(set(k for k, _ in pts)):
        v = [y for kk, y in pts if kk == k]
        print(f"   {k} buffered: n {len(v)} bytes->ff median {statistics.median(v):.2f}")
