"""Per-run medians of the first-frame critical path (3x-at-once), P2P beside CDN-only; markdown.

    python table.py RUN_DIR ...
t0 = the viewer's first timeline event (the start of startup_breakdown.py's `rest`)."""
import sys, statistics, collections
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import load

def m(v):
    v = [x for x in v if x is not None]
    return f"{statistics.median(v):.2f}" if v else "-"

print("| run | rest P2P / CDN | 1st frag request | join (P2P) | 1st link open (P2P) | bytes in P2P / CDN | bytes -> first frame P2P / CDN | P2P 1st-fragment source (hls.js HTTP / peers+mixed / engine origin fetch) | P2P fragments through the swarm: waited s (n) | P2P origin copies (full + aborted) / distinct first seqs | CDN distinct first seqs |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for arg in sys.argv[1:]:
    raw, ph = load(Path(arg))
    p, c = ph["p2p"], ph["cdn"]
    src = collections.Counter(r.get("by") for r in p)
    sw = [r for r in p if r.get("waitedMs") is not None]
    full = sum(1 for r in p if r.get("by") in ("http-loader", "http"))
    aborted = sum(1 for r in p if r.get("hedge") == "taken")
    print(f"| {arg.split('matrix-flash-')[-1].replace('/3x-at-once/', ' ')} | {m([r['rest'] for r in p])} / {m([r['rest'] for r in c])} "
          f"| {m([r.get('req') for r in p])} / {m([r.get('req') for r in c])} | {m([r.get('join') for r in p])} | {m([r.get('open1') for r in p])} "
          f"| {m([r.get('bytes_at') for r in p])} / {m([r.get('bytes_at') for r in c])} "
          f"| {m([r['ff'] - r['bytes_at'] for r in p if r.get('bytes_at') is not None])} / {m([r['ff'] - r['bytes_at'] for r in c if r.get('bytes_at') is not None])} "
          f"| {src.get('http-loader', 0)} / {src.get('peer', 0) + src.get('mixed', 0)} / {src.get('http', 0)} "
          f"| {m([r['waitedMs'] / 1000 for r in sw])} ({len(sw)}) | {full} + {aborted} / {len(set(r.get('seq') for r in p))} | {len(set(r.get('seq') for r in c))} |")
