import json, glob, sys, collections
# copies.py TIMELINE_DIR: per rendition, origin copies per segment and who/why
acc = {}
rj = glob.glob(sys.argv[1] + '/../realistic.json')
if rj:
    for v in json.load(open(rj[0]))['phases']['p2p']['viewers']: acc[v['viewer']] = v['access']
seg = collections.defaultdict(lambda: collections.Counter())  # (level, seq) -> bytes by (viewer, why)
size = {}
for f in sorted(glob.glob(sys.argv[1] + '/p2p-b*.json')):
    d = json.load(open(f)); ev = sorted(d['events'], key=lambda e: e['t'])
    last = {}; lvl = None; name = d['viewer']
    for e in ev:
        if e['kind'] == 'frag-request' and 'seq' in e: lvl = e.get('level')
        if e['kind'] == 'segment-added': size[(lvl, e['seq'])] = e['size']
        if e['kind'] == 'decision' and 'seq' in e: last[e['seq']] = e.get('why')
        if e['kind'] in ('http-end', 'loader-http-end') and 'seq' in e:
            why = 'loader' if e['kind'] == 'loader-http-end' else last.get(e['seq'], '?')
            seg[(lvl, e['seq'])][(acc.get(name, name)[:5], why)] += e.get('bytes', 0)
by_level = collections.defaultdict(list)
whys = collections.defaultdict(collections.Counter)
for (lvl, seq), c in seg.items():
    s = size.get((lvl, seq))
    if not s: continue
    by_level[lvl].append(sum(c.values()) / s)
    for k, v in c.items(): whys[lvl][k] += v / s
for lvl in sorted(by_level, key=lambda x: -1 if x is None else x):
    xs = by_level[lvl]
    print(f"level {lvl}: {len(xs)} segments, origin copies mean {sum(xs)/len(xs):.2f}")
    print('   ', {f"{k[0]}/{k[1]}": round(v / len(xs), 2) for k, v in whys[lvl].most_common(12)})
