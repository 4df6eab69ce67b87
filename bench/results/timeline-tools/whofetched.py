import json, sys, glob
# whofetched.py TIMELINE_DIR: per P2P stall, the segment it waited on and who took it from the origin first
files = sorted(glob.glob(sys.argv[1] + '/p2p-b*.json'))
data = {}
access = {}
for f in files:
    d = json.load(open(f)); data[d['viewer']] = d
rj = glob.glob(sys.argv[1] + '/../realistic.json')
if rj:
    for v in json.load(open(rj[0]))['phases']['p2p']['viewers']: access[v['viewer']] = v['access']
fetch = {}
for name, d in data.items():
    ps = d['phase_start']
    lvl = None
    for e in sorted(d['events'], key=lambda e: e['t']):
        if e['kind'] == 'frag-request' and 'seq' in e:
            lvl = e.get('level')
        if e['kind'] == 'http-start' and 'seq' in e:
            fetch.setdefault((e['seq'], lvl), []).append(((e['t'] - ps) / 1000, name, e.get('bytes_wanted'), e.get('holders')))
for name, d in data.items():
    ps = d['phase_start']; ev = sorted(d['events'], key=lambda e: e['t'])
    for i, e in enumerate(ev):
        if e['kind'] == 'stall' and e.get('phase') == 'start':
            t = (e['t'] - ps) / 1000
            req = [x for x in ev[:i] if x['kind'] == 'frag-request' and 'seq' in x]
            seq = req[-1]['seq'] if req else None
            lvl = req[-1].get('level') if req else None
            end = next((x for x in ev[i:] if x['kind'] == 'stall' and x.get('phase') == 'end'), None)
            ms = end.get('ms') if end else None
            fs = sorted(fetch.get((seq, lvl), []))[:3]
            print(f"{name} ({access.get(name)}) stall {t:.1f}s {ms}ms seq {seq} L{lvl}; origin fetches: " + ', '.join(f"{n}({access.get(n)})@{ft:.1f} {b}B h{h}" for ft, n, b, h in fs))
