"""estbias.py RUN...: every scheduler origin fetch of the browsers: realized rate against the estimate it was planned with."""
import sys, json, glob, collections, statistics
rows = collections.defaultdict(list)
for d in sys.argv[1:]:
    for f in sorted(glob.glob(d + '/*/p2p-b0*.json')):
        ev = sorted(json.load(open(f))['events'], key=lambda e: e['t'])
        ends = {x['id']: x for x in ev if x['kind'] == 'http-end'}
        first_play = next((e['t'] for e in ev if e['kind'] == 'media' and e.get('event') == 'playing'), None)
        transfers = [x for x in ev if x['kind'] in ('peer-end', 'http-end', 'loader-http-end') and x.get('bytes')]
        for s in ev:
            if s['kind'] != 'http-start':
                continue
            e = ends.get(s['id'])
            if not e or not e.get('bytes') or e.get('outcome') != 'ok' or e['bytes'] < 30000:
                continue
            dur = (e['t'] - e['t0']) / 1000
            est = s.get('httpRate') or 0
            if dur <= 0 or est <= 0:
                continue
            other = sum(x['bytes'] * max(0, min(e['t'], x['t']) - max(e['t0'], x['t0'])) / max(1, x['t'] - x['t0']) for x in transfers if x is not e)
            alone = other < 5000
            early = first_play is not None and s['t'] - first_play < 30000
            rows[('alone' if alone else 'shared', 'early' if early else 'late')].append(e['bytes'] / dur / est)
            rows['all'].append(e['bytes'] / dur / est)
for k, v in sorted(rows.items(), key=str):
    v.sort()
    print(k, 'n', len(v), 'q10 %.2f q25 %.2f median %.2f q75 %.2f' % (v[len(v)//10], v[len(v)//4], v[len(v)//2], v[3*len(v)//4]))
