"""overlap.py RUN...: per run, scheduler origin fetches that began while a player loader fetch of the same page was in flight (P2P pages), and loader fetches total."""
import json, glob, sys
for d in sys.argv[1:]:
    n_loader = n_inside = n_hs = 0
    for f in sorted(glob.glob(d + '/*/p2p-b0*.json')):
        ev = sorted(json.load(open(f))['events'], key=lambda e: e['t'])
        spans = []
        for x in ev:
            if x['kind'] == 'loader-http-start':
                e2 = next((y for y in ev if y['kind'] == 'loader-http-end' and y.get('id') == x['id'] and y['t'] >= x['t']), None)
                spans.append((x['t'], e2['t'] if e2 else x['t'], x.get('seq')))
        n_loader += len(spans)
        for x in ev:
            if x['kind'] == 'http-start':
                n_hs += 1
                if any(a < x['t'] < b and x.get('seq', -1) > (s or -1) for a, b, s in spans): n_inside += 1
    print(d, 'loader fetches', n_loader, 'scheduler fetches', n_hs, 'begun inside a loader fetch (later seq)', n_inside)
