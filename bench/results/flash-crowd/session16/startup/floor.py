"""Is there a floor under `rest`? First frame (s after t0) against when the first fragment's bytes
were in (s after t0), both phases; also init request and hls.js's first 'buffer' sample."""
import sys, statistics, collections
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import load
bins = [(0, 1), (1, 1.5), (1.5, 2), (2, 2.5), (2.5, 3), (3, 4), (4, 6), (6, 99)]
acc = collections.defaultdict(list)
for arg in sys.argv[1:]:
    raw, phases = load(Path(arg))
    for name in ('p2p', 'cdn'):
        for r in phases[name]:
            if r.get('bytes_at') is None: continue
            for a, b in bins:
                if a <= r['bytes_at'] < b:
                    acc[(name, a, b)].append((r['ff'], r['ff'] - r['bytes_at'], r['buffered'] - r['bytes_at']))
for name in ('p2p', 'cdn'):
    for a, b in bins:
        v = acc.get((name, a, b))
        if not v: continue
        print(f"{name} bytes in at {a}-{b} s after t0: n {len(v):3d}  first frame median {statistics.median(x for x, _, _ in v):.2f}  bytes->ff {statistics.median(y for _, y, _ in v):.2f}  bytes->buffered {statistics.median(z for _, _, z in v):.2f}")
