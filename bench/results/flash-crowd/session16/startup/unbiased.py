"""Length-bias-free checks of "link set-up near the first bytes delays the first frame" (P2P phase):
(1) peer links opening in a FIXED window [bytes, bytes + 0.5 s] (counted whether or not the first
    frame came first), (2) the join landing in [bytes, bytes + 1 s] or not. Split by phase time
    (bytes before / after 14 s into the phase)."""
import sys, statistics, collections
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import load
g1 = collections.defaultdict(list); g2 = collections.defaultdict(list)
for arg in sys.argv[1:]:
    raw, phases = load(Path(arg))
    ph = next(p for p in raw['phases'] if p['spec']['name'] == 'p2p')
    for r in phases['p2p']:
        if r.get('bytes_at') is None: continue
        a = r['t0'] + r['bytes_at'] * 1000; y = r['ff'] - r['bytes_at']
        x = 'after 14 s' if a - ph['start_wall'] >= 14000 else 'before 14 s'
        j = next((e for e in r['events'] if e['kind'] == 'join'), None)
        if not j or j.get('neighbours', 0) == 0: continue
        opens = sum(1 for e in r['events'] if e['kind'] == 'peer-open' and a <= e['t'] <= a + 500)
        g1[(x, 'links opening in [bytes, +0.5 s]' if opens else 'no link opening in [bytes, +0.5 s]')].append(y)
        if j['t'] < a: k = 'join before the bytes'
        elif j['t'] <= a + 1000: k = 'join in [bytes, +1 s]'
        else: k = 'join > 1 s after the bytes'
        g2[(x, k)].append(y)
for g in (g1, g2):
    for k in sorted(g):
        v = g[k]
        print(f"{k[0]} | {k[1]:36s} n {len(v):3d} bytes->ff median {statistics.median(v):.2f} p75 {sorted(v)[3*len(v)//4]:.2f}")
    print()
