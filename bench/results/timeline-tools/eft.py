"""eft.py RUN...: early P2P stalls whose segment's first origin fetch was a fallback takeover with no peer request: what came before."""
import sys, collections
from stall_events import stalls

C = collections.Counter(); S = collections.Counter()
for s in stalls(sys.argv[1:]):
    ev, req, t, ms, i = s.events, s.req, s.t, s.ms, s.index
    if not s.early or not req:
        continue
    seq = req['seq']
    decs = [x for x in ev if x['kind'] == 'decision' and x.get('seq') == seq and req['t'] - 20000 <= x['t'] <= t + ms]
    if any(x['why'] == 'peer-request' for x in decs):
        continue
    if any(x['kind'] == 'loader-http-start' and x.get('seq') == seq and x['t'] >= req['t'] - 100 and x['t'] <= t + ms for x in ev):
        continue
    fetch = next((x for x in decs if 'firstPiece' in x), None)
    if not fetch or fetch['why'] != 'fallback-takeover':
        continue
    join = next((x for x in reversed(ev[:i]) if x['kind'] == 'join'), None)
    added = s.added()
    play = next((x for x in ev if x['kind'] == 'media' and x.get('event') == 'playing' and fetch['t'] - 50 <= x['t'] <= fetch['t'] + 50), None)
    pre = [x['why'] for x in decs if x['t'] < fetch['t']]
    rel = lambda x: round((x - fetch['t']) / 1000, 2)
    key = ('at-playing' if play else 'other', tuple(sorted(set(pre))), fetch.get('playing'))
    C[key] += 1; S[key] += ms / 1000
    print(s.run, s.page, f"stall {ms/1000:.2f} fetch->stall {(t-fetch['t'])/1000:.2f} dueS {fetch.get('dueS')} rate {fetch.get('httpRate')} req {rel(req['t'])} added {rel(added['t']) if added else None} join {rel(join['t']) if join else None} {join and join.get('startupWhy')} holders {fetch.get('holders')} pre {pre} atplay {bool(play)}")
for k, v in C.most_common(): print(v, round(S[k], 1), k)
