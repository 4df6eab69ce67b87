"""stallwait.py RUN...: each early P2P stall: from the stalled segment's arrival in the playlist to its completion, where the time went."""
import collections, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stall_events import early_stalls

rows = []
for s in early_stalls(sys.argv[1:]):
    ev, seq = s.events, s.req['seq']
    added = s.added()
    hs = s.origin_fetches(added) if added else []
    he = {x['id']: x for x in ev if x['kind'] == 'http-end' and x.get('seq') == seq}
    lhs = [x for x in ev if x['kind'] == 'loader-http-start' and x.get('seq') == seq and x['t'] >= s.req['t'] - 100 and x['t'] <= s.t + s.ms]
    dec = [x for x in ev if x['kind'] == 'decision' and x.get('seq') == seq and added and added['t'] - 100 <= x['t'] <= s.t + s.ms]
    peerreq = [x for x in dec if x['why'] == 'peer-request']
    if lhs:
        cls = 'loader'
    elif not hs:
        cls = 'peer-only'
    else:
        cls = hs[0]['why'] if 'why' in hs[0] else 'http'
    first_http = hs[0] if hs else None
    end = he.get(first_http['id']) if first_http else None
    playing = next((x for x in ev if x['kind'] == 'media' and x.get('event') == 'playing'), None)
    r = dict(run=s.run.split('-')[-1], page=s.page, ms=s.ms / 1000, cls=cls,
             added=added['t'] if added else None, size=added['size'] if added else None,
             wait=(first_http['t'] - added['t']) / 1000 if first_http and added else None,
             dueS=first_http.get('dueS') if first_http else None,
             est=first_http.get('httpRate') if first_http else None,
             real=(end['bytes'] / max(1, end['t'] - end['t0']) * 1000) if end and end.get('bytes') else None,
             dur=(end['t'] - end['t0']) / 1000 if end else None,
             wanted=first_http.get('bytes_wanted') if first_http else None,
             peers=len(peerreq), pre=sorted({x['why'] for x in dec if not first_http or x['t'] <= first_http['t']}),
             afterplay=(s.t - playing['t']) / 1000 if playing else None)
    rows.append(r)
for r in rows:
    f = lambda v, n=2: '-' if v is None else (f'{v:.{n}f}' if isinstance(v, float) else str(v))
    print(r['run'], r['page'], f"stall {r['ms']:.2f} cls {r['cls']} wait {f(r['wait'])} dueS {f(r['dueS'])} est {f(r['est'],0)} real {f(r['real'],0)} dur {f(r['dur'])} wanted {r['wanted']} size {r['size']} peers {r['peers']} pre {','.join(r['pre'])} sincePlay {f(r['afterplay'],1)}")
