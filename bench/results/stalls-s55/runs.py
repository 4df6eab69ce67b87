"""The session's interleaved lab runs, per arm (session 55).

runs.py LABLOG [TAG=ARM...]: per run of the log (`labseq.sh`'s lines; extra runs can be named
as TAG=ARM, e.g. realistic-20261207-091511=base+edge), the P2P pages' stalls and stall seconds,
CDN-only's stalls, offload of the bound, browsers' TTFF median / worst (P2P, CDN-only) and ABR
(same rung / within one, of 8); then per arm the median and worst of each.
"""

from __future__ import annotations

import collections
import glob
import json
import statistics
import sys


def record(tag: str) -> dict | None:
    found = glob.glob(f"/work/wt/*/bench/results/{tag}/run-1/realistic.json")
    found += glob.glob(f"/work/main/bench/results/{tag}/run-1/realistic.json")
    return json.load(open(found[0])) if found else None


def main() -> None:
    runs: list[tuple[str, str]] = []
    for line in open(sys.argv[1]):
        parts = line.split()
        if len(parts) >= 3:
            runs.append((parts[1], parts[2]))
    for extra in sys.argv[2:]:
        tag, arm = extra.split("=")
        runs.append((arm, tag))
    arms: dict[str, list[tuple]] = collections.defaultdict(list)
    for arm, tag in runs:
        d = record(tag)
        if d is None:
            continue
        p, c, abr = d["phases"]["p2p"], d["phases"]["cdn"], d["abr"]
        row = (tag[-13:], p["browser_stalls"], p["browser_stall_s"], c["browser_stalls"], p["offload_of_bound"],
               p["ttff_browser"]["median"], p["ttff_browser"]["worst"], c["ttff_browser"]["median"],
               c["ttff_browser"]["worst"], abr["same"], abr["within_one"])
        arms[arm].append(row)
        print(f"{arm:12s} {row[0]}  stalls {row[1]:2d} ({row[2]:4.1f} s)  cdn {row[3]}  of-bound {row[4]:.3f}"
              f"  ttff p2p {row[5]:.2f}/{row[6]:.2f} cdn {row[7]:.2f}/{row[8]:.2f}  abr same {row[9]}/8 within {row[10]}/8")
    for arm, rows in arms.items():
        st = [r[1] for r in rows]
        ss = [r[2] for r in rows]
        ob = [r[4] for r in rows]
        tf = [r[6] for r in rows]
        print(f"{arm}: n={len(rows)} stalls med {statistics.median(st)} worst {max(st)} | stall s med"
              f" {statistics.median(ss):.1f} worst {max(ss):.1f} | of-bound med {statistics.median(ob):.3f} worst"
              f" {min(ob):.3f} | worst ttff med {statistics.median(tf):.2f} | cdn stalls {sum(r[3] for r in rows)}")


if __name__ == "__main__":
    main()
