"""Machine-wide peer traffic (sum of the viewer hosts' tx: uploads to peers, the lab's link
counters) in a fixed window [bytes, bytes + 1 s] of each P2P viewer, against that viewer's
bytes -> first frame. Tertiles of traffic; phase time split at 14 s."""
import sys, statistics, bisect, collections
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import load

def at(series, t):
    ws = [w for w, _ in series]
    i = bisect.bisect_left(ws, t)
    if i == 0: return series[0][1]
    if i >= len(series): return series[-1][1]
    (w0, v0), (w1, v1) = series[i-1], series[i]
    return v0 + (v1 - v0) * (t - w0) / max(1, w1 - w0)

pts = collections.defaultdict(list)
for arg in sys.argv[1:]:
    raw, phases = load(Path(arg))
    viewers = [k for k, h in raw['hosts'].items() if h['role'] == 'viewer']
    series = [(s['wall'], sum(s['hosts'][k][0] for k in viewers if k in s['hosts'])) for s in raw['links']]
    for name in ('p2p', 'cdn'):
        ph = next(p for p in raw['phases'] if p['spec']['name'] == name)
        for r in phases[name]:
            if r.get('bytes_at') is None: continue
            a = r['t0'] + r['bytes_at'] * 1000
            mbps = (at(series, a + 1000) - at(series, a - 1000)) / 2000 / 1000  # MB/s over [a-1, a+1]
            x = 'after 14 s' if a - ph['start_wall'] >= 14000 else 'before 14 s'
            pts[(name, x)].append((mbps, r['ff'] - r['bytes_at']))
for k in sorted(pts):
    p = sorted(pts[k]); n = len(p)
    parts = [p[i*n//3:(i+1)*n//3] for i in range(3)]
    print(k, " | ".join(f"viewer uploads {q[0][0]:.2f}-{q[-1][0]:.2f} MB/s: bytes->ff median {statistics.median(y for _, y in q):.2f} (n {len(q)})" for q in parts if q))
