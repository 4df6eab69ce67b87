"""Per-run medians, part 2: playlist / init request (s after t0) and the append split
(bytes -> frag-buffered -> first frame), P2P / CDN."""
import sys, statistics
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import load
def m(v):
    v = [x for x in v if x is not None]
    return f"{statistics.median(v):.2f}" if v else "-"
print("| run | first playlist P2P / CDN | init request P2P / CDN | bytes -> frag-buffered P2P / CDN | frag-buffered -> first frame P2P / CDN | ttff P2P / CDN |")
print("| --- | --- | --- | --- | --- | --- |")
for arg in sys.argv[1:]:
    raw, ph = load(Path(arg))
    p, c = ph['p2p'], ph['cdn']
    f = lambda rows, k: [r.get(k) for r in rows]
    ab = lambda rows: [r['buffered'] - r['bytes_at'] for r in rows if r.get('bytes_at') is not None and r.get('buffered') is not None]
    bf = lambda rows: [r['ff'] - r['buffered'] for r in rows if r.get('buffered') is not None]
    tt = lambda rows: [r['start'] + r['rest'] for r in rows]
    print(f"| {arg.split('matrix-flash-')[-1].replace('/3x-at-once/', ' ')} | {m(f(p,'playlist'))} / {m(f(c,'playlist'))} | {m(f(p,'init_req'))} / {m(f(c,'init_req'))} | {m(ab(p))} / {m(ab(c))} | {m(bf(p))} / {m(bf(c))} | {m(tt(p))} / {m(tt(c))} |")
