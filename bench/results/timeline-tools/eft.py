"""eft.py RUN...: early P2P stalls whose segment's first origin fetch was a fallback takeover with no peer request: what came before."""
import json, glob, sys, collections
C = collections.Counter(); S = collections.Counter()
for d in sys.argv[1:]:
    for f in sorted(glob.glob(d + '/*/p2p-b0*.json')):
        ev = sorted(json.load(open(f))['events'], key=lambda e: e['t'])
        first = next((e['t'] for e in ev if e['kind'] == 'media' and e.get('event') == 'playing'), None)
        for i, e in enumerate(ev):
            if e['kind'] != 'stall' or e.get('phase') != 'start': continue
            end = next((x for x in ev[i+1:] if x['kind'] == 'stall' and x.get('phase') == 'end'), None)
            ms = end['ms'] if end else 0
            t, pos = e['t'], e['pos']
            if not (first is not None and t - first < 30000): continue
            req = next((x for x in reversed(ev[:i]) if x['kind'] == 'frag-request' and x.get('seq') is not None and x['start'] <= pos + 0.3 < x['start'] + 2.0), None)
            if not req: continue
            seq = req['seq']
            decs = [x for x in ev if x['kind'] == 'decision' and x.get('seq') == seq and req['t'] - 20000 <= x['t'] <= t + ms]
            if any(x['why'] == 'peer-request' for x in decs): continue
            if any(x['kind'] == 'loader-http-start' and x.get('seq') == seq and x['t'] >= req['t'] - 100 and x['t'] <= t + ms for x in ev): continue
            fetch = next((x for x in decs if 'firstPiece' in x), None)
            if not fetch or fetch['why'] != 'fallback-takeover': continue
            join = next((x for x in reversed(ev[:i]) if x['kind'] == 'join'), None)
            added = next((x for x in ev if x['kind'] == 'segment-added' and x.get('seq') == seq and x['t'] >= req['t'] - 20000), None)
            play = next((x for x in ev if x['kind'] == 'media' and x.get('event') == 'playing' and x['t'] <= fetch['t'] + 50 and x['t'] >= fetch['t'] - 50), None)
            pre = [x['why'] for x in decs if x['t'] < fetch['t']]
            rel = lambda x: round((x - fetch['t']) / 1000, 2)
            key = ('at-playing' if play else 'other', tuple(sorted(set(pre))), fetch.get('playing'))
            C[key] += 1; S[key] += ms / 1000
            print(d, f.split('/')[-1][:-5], f"stall {ms/1000:.2f} fetch->stall {(t-fetch['t'])/1000:.2f} dueS {fetch.get('dueS')} rate {fetch.get('httpRate')} req {rel(req['t'])} added {rel(added['t']) if added else None} join {rel(join['t']) if join else None} {join and join.get('startupWhy')} holders {fetch.get('holders')} pre {pre} atplay {bool(play)}")
for k, v in C.most_common(): print(v, round(S[k], 1), k)
