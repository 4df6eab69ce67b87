"""window.py RUNDIR PAGE T0_REL_PLAY T1_REL_PLAY: a page's events between two times (s after its first frame)."""
import sys, json, glob
d, page, a, b = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
f = glob.glob(f'{d}/*/{page}.json')[0]
ev = sorted(json.load(open(f))['events'], key=lambda e: e['t'])
p = next(e['t'] for e in ev if e['kind'] == 'media' and e.get('event') == 'playing')
skip = {'uplink-wire', 'have-delta', 'announced', 'have'}
for e in ev:
    r = (e['t'] - p) / 1000
    if a <= r <= b and e['kind'] not in skip:
        x = {k: v for k, v in e.items() if k not in ('t', 'kind')}
        print(f"{r:7.2f} {e['kind']:16s} {json.dumps(x)[:230]}")
