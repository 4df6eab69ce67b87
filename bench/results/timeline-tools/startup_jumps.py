"""startup_jumps.py DIR...: P2P pages whose player asked, before its first frame, for a fragment past every one asked for so far (a startup jump; fragments taken as 2 s)."""
import json, sys, glob, os
for d in sys.argv[1:]:
    for f in sorted(glob.glob(d + '/p2p-b*.json')):
        ev = json.load(open(f))['events']
        first = next((e['t'] for e in ev if e['kind'] == 'media' and e.get('event', e.get('name')) == 'playing'), None)
        end = None; out = []
        for e in ev:
            if first is not None and e['t'] >= first: break
            if e['kind'] != 'frag-request' or not e.get('p2p'): continue
            s = e['start']
            if end is not None and s > end + 0.5: out.append((s, end))
            end = max(end if end is not None else s + 2, s + 2)
        if out: print(os.path.basename(d), os.path.basename(f), out)
