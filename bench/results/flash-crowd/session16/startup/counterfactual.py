"""Crude counterfactual: P2P viewers whose join or link set-up fell between their first fragment's
bytes and their first frame get, instead of their own bytes->first frame, the median of the viewers
of the same runs whose links were up before the bytes (same phase-time bin: before / after 14 s).
Prints per run P2P rest p50 and TTFF p50 as measured and as in the counterfactual, and CDN's."""
import sys, statistics, collections
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import load

runs = [Path(a) for a in sys.argv[1:]]
data = []
ref = collections.defaultdict(list)
for run in runs:
    raw, phases = load(run)
    ph = {p['spec']['name']: p for p in raw['phases']}
    finals = {v['viewer']: v['final'] for p in raw['phases'] for v in p['viewers']}
    rows = []
    for r in phases['p2p']:
        nav = finals[r['viewer']]['navigationStart']
        if r.get('bytes_at') is None:
            rows.append((r, None, None, nav)); continue
        a = r['t0'] + r['bytes_at'] * 1000; b = r['t0'] + r['ff'] * 1000
        x = 'late' if a - ph['p2p']['start_wall'] >= 14000 else 'early'
        j = next((e for e in r['events'] if e['kind'] == 'join'), None)
        nb = j.get('neighbours', 0) if j else 0
        n_open = sum(1 for e in r['events'] if e['kind'] == 'peer-open' and a <= e['t'] <= b)
        g = 'none' if nb == 0 else ('join' if j['t'] > a else ('opening' if n_open else 'up'))
        if g == 'up': ref[x].append((b - a) / 1000)
        rows.append((r, g, x, nav))
    cdn = [(r['ff'] + r['start']) for r in phases['cdn']]
    cdn_rest = [r['rest'] for r in phases['cdn']]
    data.append((run, rows, cdn, cdn_rest))
refm = {k: statistics.median(v) for k, v in ref.items()}
print("reference bytes->ff (links up before the bytes):", {k: round(v, 2) for k, v in refm.items()})
for run, rows, cdn, cdn_rest in data:
    rest, rest_cf, ttff, ttff_cf = [], [], [], []
    for r, g, x, nav in rows:
        rest.append(r['rest']); ttff.append(r['start'] + r['rest'])
        if g in ('join', 'opening'):
            new_ff = r['bytes_at'] + min(refm[x], r['ff'] - r['bytes_at'])
            rest_cf.append(new_ff); ttff_cf.append(r['start'] + new_ff)
        else:
            rest_cf.append(r['rest']); ttff_cf.append(r['start'] + r['rest'])
    m = statistics.median
    print(f"{str(run).split('matrix-flash-')[-1]}: P2P rest p50 {m(rest):.2f} -> {m(rest_cf):.2f} (CDN {m(cdn_rest):.2f}); TTFF p50 {m(ttff):.2f} -> {m(ttff_cf):.2f} (CDN {m(cdn):.2f})")
