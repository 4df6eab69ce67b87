"""classify.py TRACE.json: each stall by how its segment arrived (own fetch reasons, overlap)."""
import json, sys
from collections import Counter, defaultdict
d = json.load(open(sys.argv[1])); r = d['run']; log = d['log']
V = {v['node']: v for v in r['viewers']}; idx = {v['node']: v['peer_id'] for v in r['viewers']}
fetches = defaultdict(list); completes = {}
for e in r['trace']:
    if e['event'] == 'fetch': fetches[(e['node'], e['seq'])].append((e['t'], e['reason'], e['requests_outstanding']))
    if e['event'] == 'complete': completes[(e['node'], e['seq'])] = e['t']
    if e['event'].startswith('http_'): fetches[(e['node'], e['seq'])].append((e['t'], e['event'], 0))
peerreq = defaultdict(int)
for at, p, seq, kind, det in log:
    if kind == 'peer-request': peerreq[(p, seq)] += 1
cat = Counter(); secs = Counter()
for e in r['trace']:
    if e['event'] != 'stall': continue
    n, q = e['node'], e['seq']; v = V[n]
    ff = (v['arrives_at'] + v['ttff']) if v['ttff'] else None
    early = ff is not None and e['t'] - ff <= 5
    f = [x for x in fetches[(n, q)] if x[0] <= e['t'] + 0.001]
    pr = peerreq[(idx[n], q)]
    if not f: c = 'peers-only' if pr else 'nothing-started'
    else:
        first = f[0]
        c = first[1] + ('+peers' if pr else '') + (' overlap%d' % min(first[2], 3) if first[2] else '')
    cat[('early' if early else 'later', c)] += 1
for k, n in sorted(cat.items(), key=lambda kv: -kv[1]): print(n, k)
