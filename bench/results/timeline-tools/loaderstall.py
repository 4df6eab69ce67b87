"""loaderstall.py RUN...: P2P stalls on a segment the player's own loader fetched: loader time, bytes, and scheduler origin fetches overlapping it."""
import json, glob, sys, collections
C = collections.Counter(); S = collections.Counter()
for d in sys.argv[1:]:
    for f in sorted(glob.glob(d + '/*/p2p-b0*.json')):
        ev = sorted(json.load(open(f))['events'], key=lambda e: e['t'])
        first = next((e['t'] for e in ev if e['kind'] == 'media' and e.get('event') == 'playing'), None)
        https = {}
        for x in ev:
            if x['kind'] == 'http-start': https[x['id'] + str(x['t'])] = [x['t'], None, x.get('seq')]
        ends = [x for x in ev if x['kind'] == 'http-end']
        spans = []
        for x in ev:
            if x['kind'] == 'http-start':
                e2 = next((y for y in ends if y['id'] == x['id'] and y['t'] >= x['t']), None)
                spans.append((x['t'], e2['t'] if e2 else x['t'], x.get('seq')))
        for i, e in enumerate(ev):
            if e['kind'] != 'stall' or e.get('phase') != 'start': continue
            end = next((x for x in ev[i+1:] if x['kind'] == 'stall' and x.get('phase') == 'end'), None)
            ms = end['ms'] if end else 0
            t, pos = e['t'], e['pos']
            req = next((x for x in reversed(ev[:i]) if x['kind'] == 'frag-request' and x.get('seq') is not None and x['start'] <= pos + 0.3 < x['start'] + 2.0), None)
            if not req: continue
            seq = req['seq']
            ls = next((x for x in ev if x['kind'] == 'loader-http-start' and x.get('seq') == seq and x['t'] >= req['t'] - 100 and x['t'] <= t + ms), None)
            if not ls: continue
            le = next((x for x in ev if x['kind'] == 'loader-http-end' and x.get('id') == ls['id'] and x['t'] >= ls['t']), None)
            lend = le['t'] if le else t + ms
            over = [(round((a - ls['t'])/1000, 2), round((b - a)/1000, 2), s) for a, b, s in spans if a < lend and b > ls['t']]
            sw = next((x for x in reversed(ev[:i]) if x['kind'] == 'level-switching'), None)
            joins = [x for x in ev if x['kind'] == 'join' and x['t'] <= t]
            early = first is not None and t - first < 30000
            key = ('E' if early else 'L', 'overlap' if over else 'alone')
            C[key] += 1; S[key] += ms / 1000
            print(d, f.split('/')[-1][:-5], key, f"stall {ms/1000:.2f} loader {(lend-ls['t'])/1000:.2f}s {le and le.get('bytes')}B start->stall {(t-ls['t'])/1000:.2f} req->loader {(ls['t']-req['t'])/1000:.2f} overlaps {over} joins {len(joins)}")
for k, v in C.most_common(): print(v, round(S[k], 1), k)
