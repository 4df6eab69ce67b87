"""Before the first frame: hls.js errors (nudges, stalls) and seeks, per phase; and the seek's
target against the buffered start of the first fragment."""
import sys, statistics, collections
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import load, fmt

for name in ("p2p", "cdn"):
    errs = collections.Counter(); nseeks = []; stuck = []; dur = []
    for arg in sys.argv[1:]:
        raw, phases = load(Path(arg))
        for r in phases[name]:
            ff = r["t0"] + r["ff"] * 1000
            pre = [e for e in r["events"] if e["t"] <= ff + 5]
            for e in pre:
                if e["kind"] == "hls-error":
                    errs[e.get("details")] += 1
            seeks = [e for e in pre if e["kind"] == "media" and e.get("event") == "seeking"]
            nseeks.append(len(seeks))
            sd = [e for e in pre if e["kind"] == "media" and e.get("event") == "seeked"]
            if seeks and sd:
                dur.append((sd[-1]["t"] - seeks[0]["t"]) / 1000)
                stuck.append((seeks[0].get("to"), sd[-1].get("pos")))
    print(name, "hls errors before ff:", dict(errs), "seeks before ff:", collections.Counter(nseeks),
          "first seeking->last seeked: median", fmt(statistics.median(dur)), "p75", fmt(sorted(dur)[3*len(dur)//4]),
          "seeked pos - seek target > 0.05 s:", sum(1 for a, b in stuck if a is not None and b is not None and b - a > 0.05), "of", len(stuck))
