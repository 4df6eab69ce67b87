"""stallcat.py RUN...: each P2P stall with the decision that started its segment's first origin fetch (why, dueS then, fetch time), served by, early/late."""
import sys, collections
from stall_events import stalls

rows = []
for s in stalls(sys.argv[1:]):
    ev, req, t, ms = s.events, s.req, s.t, s.ms
    seq = req['seq'] if req else None
    fetch = next((x for x in ev if x['kind'] == 'decision' and x.get('seq') == seq and 'firstPiece' in x and x['why'] != 'peer-request' and req and x['t'] >= req['t'] - 20000 and x['t'] <= t + ms), None)
    loader = next((x for x in ev if x['kind'] == 'loader-http-start' and x.get('seq') == seq and req and x['t'] >= req['t'] - 100 and x['t'] <= t + ms), None)
    served = next((x for x in ev if x['kind'] == 'frag-served' and x.get('seq') == seq and req and x['t'] >= req['t']), None)
    peerreq = any(x['kind'] == 'decision' and x.get('seq') == seq and x['why'] == 'peer-request' and req and req['t'] - 20000 <= x['t'] <= t + ms for x in ev)
    cls = ('loader' if loader else (fetch['why'] if fetch else 'none')) + ('+peer' if peerreq else '')
    rows.append((s.run, s.page, 'E' if s.early else 'L', ms / 1000, cls, round((fetch['t'] - t) / 1000, 2) if fetch else None, fetch and fetch.get('dueS'), served and served.get('by')))
for r in rows: print(*r)
c = collections.Counter(); secs = collections.Counter()
for r in rows: c[(r[2], r[4])] += 1; secs[(r[2], r[4])] += r[3]
print('\nclass counts (early/late, first-origin-decision): n, stall s')
for k, v in c.most_common(): print(f"  {k[0]} {k[1]:32s} {v:3d} {secs[k]:6.1f}")
print('total', len(rows), round(sum(r[3] for r in rows), 1), 'runs', len(sys.argv) - 1)
