import json, glob, sys, collections
# decisions.py DIR...: per run, decision counts (summed over P2P pages) and cancelled requests
for d in sys.argv[1:]:
    c = collections.Counter(); canc = 0; req = 0
    for f in glob.glob(d + '/p2p-b*.json'):
        j = json.load(open(f))
        for k, v in j['summary']['decisions'].items(): c[k] += v
        p = j['summary']['transfers'].get('peer', {})
        req += p.get('count', 0); canc += p.get('outcomes', {}).get('cancelled', 0)
    print(d.split('/')[-1][:25], 'requests', req, 'cancelled', canc, {k: c[k] for k in ('abandon-peer', 'fallback-takeover', 'pace-takeover', 'race-takeover', 'election-turn', 'catch-up')})
