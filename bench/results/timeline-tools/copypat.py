import json, glob, sys, collections
# copypat.py TIMELINE_DIR LEVEL: per segment of LEVEL, the origin fetches in start order: access/why@offset(s), holders at decision
acc = {}
rj = glob.glob(sys.argv[1] + '/../realistic.json')
for v in json.load(open(rj[0]))['phases']['p2p']['viewers']: acc[v['viewer']] = v['access'][:1]
want = int(sys.argv[2])
fetch = collections.defaultdict(list)
members = collections.defaultdict(set)
for f in sorted(glob.glob(sys.argv[1] + '/p2p-b*.json')):
    d = json.load(open(f)); ev = sorted(d['events'], key=lambda e: e['t']); ps = d['phase_start']
    lvl = {}; name = d['viewer']; dec = {}
    for e in ev:
        if e['kind'] == 'frag-request' and 'seq' in e: lvl[e['seq']] = e.get('level')
        if e['kind'] == 'frag-served' and lvl.get(e['seq']) == want: members[e['seq']].add(acc[name] + name[-1])
        if e['kind'] == 'decision' and 'seq' in e and e.get('why') in ('election-turn','fallback-takeover','pace-takeover','race-takeover','catch-up','blocked-no-holder','peer-round'):
            dec[e['seq']] = (e['why'], e.get('holders'), e.get('firstPiece', 0))
        if e['kind'] == 'http-start' and 'seq' in e:
            w = dec.get(e['seq'], ('?', None, 0))
            fetch[e['seq']].append(((e['t'] - ps) / 1000, acc[name] + name[-1], w))
        if e['kind'] == 'loader-http-start' and 'seq' in e and lvl.get(e['seq']) == want:
            fetch[e['seq']].append(((e['t'] - ps) / 1000, acc[name] + name[-1], ('loader', None, 0)))
pat = collections.Counter()
for seq in sorted(members):
    fs = sorted(f for f in fetch.get(seq, []) if f[1] in members[seq])
    if not fs: continue
    t0 = fs[0][0]
    s = ' '.join(f"{who}:{w[0][:6]}{'' if not w[2] else '+'}(h{w[1]})@{t - t0:.1f}" for t, who, w in fs)
    print(f"seq {seq} t={t0:.1f} members {''.join(sorted(members[seq]))}: {s}")
