import json, sys
f, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
skip = set(sys.argv[4].split(',')) if len(sys.argv) > 4 else {'uplink-wire', 'main', 'have-delta', 'peer-start', 'peer-end', 'announced'}
d = json.load(open(f)); ps = d['phase_start']
for e in sorted(d['events'], key=lambda e: e['t']):
    t = (e['t'] - ps) / 1000
    if t < t0 or t > t1 or e['kind'] in skip: continue
    rest = {k: v for k, v in e.items() if k not in ('t', 'kind')}
    print(f"{t:7.2f} {e['kind']:16s} {json.dumps(rest)[:170]}")
