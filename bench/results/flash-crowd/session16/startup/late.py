"""P2P viewers whose first fragment's bytes came >= 2 s after t0: which path, and what they waited on."""
import sys, statistics, collections
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import load
rows = []
for arg in sys.argv[1:]:
    raw, phases = load(Path(arg))
    rows += [(arg, r) for r in phases['p2p'] if r.get('bytes_at') is not None]
late = [(a, r) for a, r in rows if r['bytes_at'] >= 2.0]
print(f"P2P viewers: {len(rows)}, bytes >= 2 s after t0: {len(late)}")
def path(r):
    if r.get('by') == 'http-loader':
        if r.get('hedge') == 'kept': return 'hls.js HTTP, hedge kept (join said swarm, half in)'
        if r.get('startup') == 'http': return 'hls.js HTTP, join said http'
        if r.get('join') is not None and r['join'] > r['bytes_at']: return 'hls.js HTTP, join after the bytes'
        return 'hls.js HTTP, other (join before, no hedge decision)'
    if r.get('by') in ('peer', 'mixed'): return 'swarm: peers'
    if r.get('by') == 'http': return 'swarm: engine origin fetch'
    return str(r.get('by'))
c = collections.defaultdict(list)
for a, r in late:
    c[path(r)].append(r)
for k, v in sorted(c.items(), key=lambda kv: -len(kv[1])):
    med = lambda xs: statistics.median(xs) if xs else float('nan')
    print(f"  {k}: n {len(v)}; request {med([r['req'] for r in v]):.2f}, join {med([r['join'] for r in v if r.get('join') is not None]):.2f}, "
          f"first link {med([r['open1'] for r in v if r.get('open1') is not None]):.2f}, record in {med([r['seg_added'] for r in v if r.get('seg_added') is not None]):.2f}, bytes {med([r['bytes_at'] for r in v]):.2f}, ff {med([r['ff'] for r in v]):.2f}")
# hls.js HTTP transfer time, P2P vs CDN, same run
print()
for a, r in rows: pass
