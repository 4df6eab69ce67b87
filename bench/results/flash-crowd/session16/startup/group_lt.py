"""bytes -> first frame by phase time and by what the P2P page's links were doing in that window,
with main-thread long-task ms in the window (probe.js longtask observer)."""
import sys, statistics, collections
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import load
res = collections.defaultdict(list)
for arg in sys.argv[1:]:
    raw, phases = load(Path(arg))
    finals = {v['viewer']: v['final'] for ph in raw['phases'] for v in ph['viewers']}
    for ph in raw['phases']:
        name = ph['spec']['name']
        for r in phases[name]:
            if r.get('bytes_at') is None: continue
            a = r['t0'] + r['bytes_at']*1000; b = r['t0'] + r['ff']*1000
            x = (a - ph['start_wall'])/1000
            when = 'a: bytes <14 s' if x < 14 else 'b: bytes >=14 s'
            lt = sum(max(0, min(s+d, b) - max(s, a)) for s, d in finals[r['viewer']]['longTasks']['startup'])
            if name == 'p2p':
                j = next((e for e in r['events'] if e['kind']=='join'), None)
                nb = j.get('neighbours',0) if j else 0
                n_open = sum(1 for e in r['events'] if e['kind']=='peer-open' and a <= e['t'] <= b)
                g = 'p2p no neighbours' if nb == 0 else ('p2p join after bytes' if j['t'] > a else ('p2p links opening in window' if n_open else 'p2p links up before bytes'))
            else:
                g = 'cdn'
            res[(when, g)].append(((b-a)/1000, lt, (b - a)))
for k in sorted(res):
    v = res[k]
    ys = [y for y, _, _ in v]; lts = [l for _, l, _ in v]
    share = [l / w for _, l, w in v if w > 0]
    print(f"{k[0]} | {k[1]:28s} n {len(v):3d} bytes->ff median {statistics.median(ys):.2f} p75 {sorted(ys)[3*len(ys)//4]:.2f} | long tasks in window median {statistics.median(lts):.0f} ms, share of window {statistics.median(share):.2f}")
