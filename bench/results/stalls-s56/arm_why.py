"""arm_why.py LABLOG [ROOT]: per arm of a `labseq.sh` log, the P2P pages' origin MB by the
decision that started each fetch (the run's median; `why_origin.py`'s classes), and the 360p
swarm's segments with no member at turn 0 (ROOT: where each arm's tree is, /work/wt)."""
import collections
import glob
import json
import os
import statistics
import sys

root = sys.argv[2] if len(sys.argv) > 2 else "/work/wt"
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) > 2 and parts[2].startswith("realistic-"):
        arm, tag = parts[1], parts[2]
        tree = arm.replace("+edge", "")
        d = os.path.join(root, tree, "bench/results", tag, "run-1")
        if os.path.isdir(d):
            runs[arm].append(d)


def origin_why(run):
    mb = collections.Counter()
    for f in glob.glob(os.path.join(run, "*-timeline", "p2p-b*.json")):
        last = {}
        for e in sorted(json.load(open(f))["events"], key=lambda e: e["t"]):
            if e["kind"] == "decision" and "seq" in e and e["why"] not in (
                "peer-request", "election-wait", "peer-round", "blocked-election", "abandon-peer"):
                last[e["seq"]] = e["why"]
            if e["kind"] == "http-end" and "seq" in e:
                mb[last.get(e["seq"], "?")] += e.get("bytes", 0) / 1e6
            if e["kind"] == "loader-http-end":
                mb["player-loader"] += e.get("bytes", 0) / 1e6
    return mb


for arm, dirs in runs.items():
    per = [origin_why(d) for d in dirs]
    keys = sorted({k for m in per for k in m}, key=lambda k: -sum(m[k] for m in per))
    total = statistics.median(sum(m.values()) for m in per)
    print(f"{arm} ({len(dirs)} runs): origin MB median {total:.1f}; " + ", ".join(
        f"{k} {statistics.median(m[k] for m in per):.1f}" for k in keys))
