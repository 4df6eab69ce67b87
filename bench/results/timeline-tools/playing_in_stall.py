"""playing_in_stall.py DIR...: per P2P page, decisions marked playing more than 1 s into a stall: (stall start s, length s, count, first decision, s from it to the stall end)."""
import json, glob, sys, os
for d in sys.argv[1:]:
    for f in sorted(glob.glob(d + '/p2p-b*.json')):
        ev = sorted(json.load(open(f))['events'], key=lambda e: e['t'])
        t0 = ev[0]['t']; stalls = []
        start = None
        for e in ev:
            if e['kind'] == 'stall' and e.get('phase') == 'start': start = e['t']
            if e['kind'] == 'stall' and e.get('phase') == 'end' and start is not None:
                stalls.append((start, e['t'])); start = None
        bad = []
        for a, b in stalls:
            n = [x for x in ev if x['kind'] == 'decision' and x.get('playing') is True and a + 1000 < x['t'] < b]
            if n: bad.append((round((a - t0) / 1000, 1), round((b - a) / 1000, 1), len(n), n[0]['why'], round((b - n[0]['t']) / 1000, 2)))
        if bad: print(os.path.basename(d), os.path.basename(f), bad)
