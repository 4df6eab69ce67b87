"""arrival_lead.py RUN...: for each browser page's live-edge segment, the time left to its
deadline when it was added (decision election-wait dueS, playing only), by seconds since the
page's first 'playing'."""
import glob, json, os, statistics, sys, collections
buckets = collections.defaultdict(list)
for run in sys.argv[1:]:
    for f in glob.glob(os.path.join(run, '*-timeline', 'p2p-b*.json')):
        ev = json.load(open(f))['events']
        play = next((e['t'] for e in ev if e['kind'] == 'media' and e.get('event') == 'playing'), None)
        if play is None:
            continue
        for e in ev:
            if e['kind'] == 'decision' and e.get('why') == 'election-wait' and e.get('playing') and e.get('dueS') is not None:
                since = (e['t'] - play) / 1000
                b = '<0' if since < 0 else ('0-3' if since < 3 else '3-6' if since < 6 else '6-10' if since < 10 else '10-30' if since < 30 else '30+')
                buckets[b].append(e['dueS'])
for b in ['<0', '0-3', '3-6', '6-10', '10-30', '30+']:
    v = sorted(buckets[b])
    if v:
        q = lambda p: v[min(len(v) - 1, int(p * len(v)))]
        print(f"{b:6} n={len(v):5} p10 {q(.1):.2f} p25 {q(.25):.2f} med {q(.5):.2f} p75 {q(.75):.2f} p90 {q(.9):.2f}")
