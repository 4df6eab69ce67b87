"""stall_cases.py DIR...: each P2P stall of unpacked timelines: page, join why, seq waited on, its request, decisions, served, buffered (s relative to stall start)."""
import json, glob, sys
for d in sys.argv[1:]:
    for f in sorted(glob.glob(d + '/*/p2p-b0*.json')):
        ev = sorted(json.load(open(f))['events'], key=lambda e: e['t'])
        join = next((e for e in ev if e['kind'] == 'join'), None)
        first = next((e['t'] for e in ev if e['kind'] == 'media' and e.get('event') == 'playing'), None)
        for i, e in enumerate(ev):
            if e['kind'] != 'stall' or e.get('phase') != 'start': continue
            end = next((x for x in ev[i+1:] if x['kind'] == 'stall' and x.get('phase') == 'end'), None)
            ms = end['ms'] if end else 0
            pos = e['pos']; t = e['t']
            # segment containing pos (from segment-added), level-agnostic: latest added before stall
            segs = [x for x in ev if x['kind'] == 'segment-added' and x['start'] <= pos + 0.1 < x['start'] + 2.0 and x['t'] <= t + ms]
            seq = segs[-1]['seq'] if segs else None
            rel = lambda x: round((x - t) / 1000, 2)
            req = next((x for x in reversed(ev[:i]) if x['kind'] == 'frag-request' and x.get('seq') == seq), None)
            decs = [(x['why'], rel(x['t']), x.get('dueS')) for x in ev if x['kind'] == 'decision' and x.get('seq') == seq and x['t'] <= t + ms][-4:]
            served = next((x for x in ev if x['kind'] == 'frag-served' and x.get('seq') == seq and x['t'] >= (req['t'] if req else 0)), None)
            buf = next((x for x in ev if x['kind'] == 'frag-buffered' and x.get('seq') == seq and x['t'] >= (req['t'] if req else 0)), None)
            early = first is not None and t - first < 30000
            print(f"{d.split('/')[-1][:6]} {f.split('/')[-1][:-5]} {join and join.get('startupWhy')} {'E' if early else 'L'} stall {ms/1000:.1f}s pos {pos} seq {seq} sinceJoin {rel(join['t'])*-1 if join else None} req {rel(req['t']) if req else None} p2p={req and req.get('p2p')} served {rel(served['t']) if served else None} by {served and served.get('by')} buf {rel(buf['t']) if buf else None} decs {decs}")
