"""Paired per-seed comparison of simulator runs (shim adapter) against the session-13/14 1,000-seed baseline (same digests on 65291e8): python paired.py "DIR/*.json*"."""
import glob, gzip, json, statistics, sys
def runs(pattern):
    out = {}
    for f in glob.glob(pattern):
        d = json.load(gzip.open(f) if f.endswith('.gz') else open(f))
        for r in d['adapters']['shim']['runs']:
            out[r['seed']] = r
    return out
base = runs(str(__import__('pathlib').Path(__file__).resolve().parents[1] / 'sim1000-20261201-s1[34]' / '*.json.gz'))
new = runs(sys.argv[1])
seeds = sorted(s for s in new if s in base)
def q(xs, p): xs = sorted(xs); return xs[min(len(xs) - 1, int(p * len(xs)))]
for key in ('stall_share', 'offload', 'origin_copies_per_segment_mean', 'ttff_p50'):
    b = [base[s][key] for s in seeds]; n = [new[s][key] for s in seeds]
    print(f"{key:32s} n={len(seeds)} base median {statistics.median(b):.4f} p95 {q(b,.95):.4f} worst {max(b) if key!='offload' else min(b):.4f} | new median {statistics.median(n):.4f} p95 {q(n,.95):.4f} worst {max(n) if key!='offload' else min(n):.4f}")
d = [(new[s]['stall_share'] - base[s]['stall_share'], s) for s in seeds]
print('stall better', sum(1 for x, _ in d if x < -0.001), 'worse', sum(1 for x, _ in d if x > 0.001), 'same', sum(1 for x, _ in d if abs(x) <= 0.001))
print('worst regressions', [(s, round(base[s]['stall_share'], 4), round(new[s]['stall_share'], 4)) for x, s in sorted(d)[-5:]])
print('best gains', [(s, round(base[s]['stall_share'], 4), round(new[s]['stall_share'], 4)) for x, s in sorted(d)[:5]])
print('collapses', sum(1 for s in seeds if new[s]['collapsed']))
