"""stallcat.py RUN...: each P2P stall with the decision that started its segment's first origin fetch (why, dueS then, fetch time), served by, early/late."""
import json, glob, sys, collections
rows = []
for d in sys.argv[1:]:
    for f in sorted(glob.glob(d + '/*/p2p-b0*.json')):
        ev = sorted(json.load(open(f))['events'], key=lambda e: e['t'])
        first = next((e['t'] for e in ev if e['kind'] == 'media' and e.get('event') == 'playing'), None)
        for i, e in enumerate(ev):
            if e['kind'] != 'stall' or e.get('phase') != 'start': continue
            end = next((x for x in ev[i+1:] if x['kind'] == 'stall' and x.get('phase') == 'end'), None)
            ms = end['ms'] if end else 0
            t, pos = e['t'], e['pos']
            req = next((x for x in reversed(ev[:i]) if x['kind'] == 'frag-request' and x.get('seq') is not None and x['start'] <= pos + 0.3 < x['start'] + 2.0), None)
            seq = req['seq'] if req else None
            fetch = next((x for x in ev if x['kind'] == 'decision' and x.get('seq') == seq and 'firstPiece' in x and x['why'] != 'peer-request' and req and x['t'] >= req['t'] - 20000 and x['t'] <= t + ms), None)
            loader = next((x for x in ev if x['kind'] == 'loader-http-start' and x.get('seq') == seq and req and x['t'] >= req['t'] - 100 and x['t'] <= t + ms), None)
            served = next((x for x in ev if x['kind'] == 'frag-served' and x.get('seq') == seq and req and x['t'] >= req['t']), None)
            peerreq = any(x['kind'] == 'decision' and x.get('seq') == seq and x['why'] == 'peer-request' and req and req['t'] - 20000 <= x['t'] <= t + ms for x in ev)
            early = first is not None and t - first < 30000
            cls = ('loader' if loader else (fetch['why'] if fetch else 'none')) + ('+peer' if peerreq else '')
            rows.append((d, f.split('/')[-1][:-5], 'E' if early else 'L', ms / 1000, cls, round((fetch['t'] - t) / 1000, 2) if fetch else None, fetch and fetch.get('dueS'), served and served.get('by')))
for r in rows: print(*r)
c = collections.Counter(); s = collections.Counter()
for r in rows: c[(r[2], r[4])] += 1; s[(r[2], r[4])] += r[3]
print('\nclass counts (early/late, first-origin-decision): n, stall s')
for k, v in c.most_common(): print(f"  {k[0]} {k[1]:32s} {v:3d} {s[k]:6.1f}")
print('total', len(rows), round(sum(r[3] for r in rows), 1), 'runs', len(sys.argv) - 1)
