"""Main-thread long-task ms per 250 ms bin around each P2P page's join (timeline `join` event), for
joins with neighbours at >= 14 s into the phase (after the browsers' launch burst); the same bins
around the CDN pages' first-bytes moment as a reference for a page with no P2P."""
import sys, statistics, collections
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import load
bins = [(-1000, -500), (-500, 0), (0, 250), (250, 500), (500, 750), (750, 1000), (1000, 1500), (1500, 2000), (2000, 3000)]
acc = {"p2p@join": collections.defaultdict(list), "p2p@first-peer-open": collections.defaultdict(list), "cdn@bytes": collections.defaultdict(list)}
for arg in sys.argv[1:]:
    raw, phases = load(Path(arg))
    finals = {v['viewer']: v['final'] for ph in raw['phases'] for v in ph['viewers']}
    for ph in raw['phases']:
        name = ph['spec']['name']
        for r in phases[name]:
            lt = finals[r['viewer']]['longTasks']['startup']
            anchors = []
            if name == 'p2p':
                j = next((e for e in r['events'] if e['kind'] == 'join'), None)
                if j and j.get('neighbours', 0) > 0 and j['t'] - ph['start_wall'] >= 14000:
                    anchors.append(("p2p@join", j['t']))
                    po = next((e for e in r['events'] if e['kind'] == 'peer-open'), None)
                    if po: anchors.append(("p2p@first-peer-open", po['t']))
            elif r.get('bytes_at') is not None:
                t = r['t0'] + r['bytes_at'] * 1000
                if t - ph['start_wall'] >= 14000:
                    anchors.append(("cdn@bytes", t))
            for key, t in anchors:
                for a, b in bins:
                    A, B = t + a, t + b
                    acc[key][(a, b)].append(sum(max(0, min(s + d, B) - max(s, A)) for s, d in lt) / (b - a))
for key, d in acc.items():
    n = len(next(iter(d.values()))) if d else 0
    print(f"{key} (n {n}): mean share of each bin in long tasks:", " ".join(f"[{a},{b}) {statistics.mean(v):.2f}" for (a, b), v in d.items()))
