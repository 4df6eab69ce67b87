"""Upper bound on what faster first-fragment bytes can buy P2P's `rest`: every P2P viewer whose bytes
came >= 1.5 s after t0 gets the first frame at F = the pooled median first frame of viewers whose
bytes came in 1-1.5 s (or its own, if earlier). Per run: rest p50 and TTFF p50 measured -> bound, CDN."""
import sys, statistics
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import load
runs = [load(Path(a)) + (a,) for a in sys.argv[1:]]
F = statistics.median(r['ff'] for _, ph, _ in runs for r in ph['p2p'] if r.get('bytes_at') is not None and 1.0 <= r['bytes_at'] < 1.5)
print(f"F = {F:.2f} s")
m = statistics.median
for raw, ph, a in runs:
    p, c = ph['p2p'], ph['cdn']
    rest = [r['rest'] for r in p]
    bound = [min(r['rest'], F) if (r.get('bytes_at') or 99) >= 1.5 else r['rest'] for r in p]
    tt = [r['start'] + r['rest'] for r in p]
    ttb = [r['start'] + b for r, b in zip(p, bound)]
    print(f"{a.split('matrix-flash-')[-1]}: P2P rest {m(rest):.2f} -> {m(bound):.2f} (CDN {m([r['rest'] for r in c]):.2f}); TTFF p50 {m(tt):.2f} -> {m(ttb):.2f} (CDN {m([r['start'] + r['rest'] for r in c]):.2f})")
