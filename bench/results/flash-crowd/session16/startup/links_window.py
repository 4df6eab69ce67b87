"""P2P viewers: bytes -> first frame against the WebRTC link set-up going on in that window
(the join landing in it, links opening in it: peer-open events)."""
import sys, statistics, collections
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import load, fmt

groups = collections.defaultdict(list)
opens = collections.defaultdict(list)
for arg in sys.argv[1:]:
    raw, phases = load(Path(arg))
    for r in phases["p2p"]:
        if r.get("bytes_at") is None: continue
        a = r["t0"] + r["bytes_at"] * 1000; b = r["t0"] + r["ff"] * 1000
        y = (b - a) / 1000
        j = next((e for e in r["events"] if e["kind"] == "join"), None)
        n_open = sum(1 for e in r["events"] if e["kind"] == "peer-open" and a <= e["t"] <= b)
        n_open_before = sum(1 for e in r["events"] if e["kind"] == "peer-open" and e["t"] < a)
        nb = j.get("neighbours", 0) if j else 0
        if j is None or nb == 0:
            g = "no neighbours (first viewer / no join)"
        elif j["t"] > a:
            g = "join lands after the bytes (links set up in the window)"
        elif n_open > 0:
            g = "joined before the bytes, links opening in the window"
        else:
            g = "joined and links opened before the bytes"
        groups[g].append(y)
        opens[min(n_open, 4)].append(y)
for g, v in groups.items():
    print(f"{g}: n {len(v)} bytes->ff median {statistics.median(v):.2f} p75 {sorted(v)[3*len(v)//4]:.2f}")
for k in sorted(opens):
    v = opens[k]
    print(f"peer-open events in [bytes, ff] = {k}{'+' if k == 4 else ''}: n {len(v)} bytes->ff median {statistics.median(v):.2f}")
