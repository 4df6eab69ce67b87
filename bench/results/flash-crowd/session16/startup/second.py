"""seeking -> first frame, split by whether the second fragment was appended before the first frame."""
import sys, statistics
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import load, fmt

for name in ("p2p", "cdn"):
    before, after = [], []
    for arg in sys.argv[1:]:
        raw, phases = load(Path(arg))
        for r in phases[name]:
            if r.get("seeking") is None: continue
            x = r["ff"] - r["seeking"]
            (before if r.get("buffered2") is not None and r["buffered2"] < r["ff"] else after).append(x)
    for label, v in (("2nd fragment appended before ff", before), ("not", after)):
        if v:
            print(f"{name} {label}: n {len(v)} seeking->ff median {statistics.median(v):.2f} p75 {sorted(v)[3*len(v)//4]:.2f}")
