import json, glob, sys, collections
# why_origin.py TIMELINE_DIR: origin bytes by the decision that started each fetch, per viewer class
acc = {}
rj = glob.glob(sys.argv[1] + '/../realistic.json')
if rj:
    for v in json.load(open(rj[0]))['phases']['p2p']['viewers']: acc[v['viewer']] = v['access']
tot = collections.Counter(); per = collections.defaultdict(collections.Counter)
for f in sorted(glob.glob(sys.argv[1] + '/p2p-b*.json')):
    d = json.load(open(f)); ev = sorted(d['events'], key=lambda e: e['t'])
    last = {}
    for e in ev:
        if e['kind'] == 'decision' and 'seq' in e: last[e['seq']] = e.get('why')
        if e['kind'] == 'http-end':
            why = last.get(e.get('seq'), '?')
            tot[why] += e.get('bytes', 0); per[acc.get(d['viewer'], d['viewer'])][why] += e.get('bytes', 0)
        if e['kind'] == 'loader-http-end':
            tot['player-loader'] += e.get('bytes', 0); per[acc.get(d['viewer'], d['viewer'])]['player-loader'] += e.get('bytes', 0)
print('all', {k: round(v/1e6, 2) for k, v in tot.most_common()}, 'MB total', round(sum(tot.values())/1e6, 2))
for k, c in per.items(): print(k, {w: round(v/1e6, 2) for w, v in c.most_common()})
