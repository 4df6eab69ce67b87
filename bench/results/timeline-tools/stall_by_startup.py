"""stall_by_startup.py ARM=DIR,DIR ...: P2P stall seconds by first join's startupWhy, per arm (unpacked timeline directories: DIR/<tag>-timeline/)."""
import json, glob, collections, sys
for spec in sys.argv[1:]:
    arm, runs = spec.split('=')
    agg = collections.defaultdict(lambda: [0, 0])
    for r in runs.split(','):
        for f in sorted(glob.glob(f'{r}/*/p2p-b0*.json')):
            ev = sorted(json.load(open(f))['events'], key=lambda e: e['t'])
            joins = [e for e in ev if e['kind'] == 'join']
            why = joins[0].get('startupWhy') if joins else 'none'
            ms = sum(e['ms'] for e in ev if e['kind'] == 'stall' and e.get('phase') == 'end')
            for k in (why, 'ALL'):
                agg[k][0] += 1; agg[k][1] += ms
    print(arm, len(runs.split(',')), {k: (v[0], round(v[1] / 1000, 1)) for k, v in sorted(agg.items())})
