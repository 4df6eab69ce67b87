"""Segment-resolved capacity bound of a realistic run (timeline-tools README): per (level, seq) the pages that played it
(frag-served), N; bound = min(1 - 1/N, sum(u_i) * dur / (N * bytes)); bytes-weighted; beside
the run's dominant-rung bound and its offload. Also offload per N."""
import json, glob, sys, collections
for d in sys.argv[1:]:
    R = json.load(open(glob.glob(d + '/../realistic.json')[0] if glob.glob(d + '/../realistic.json') else d + '/realistic.json'))
    ph = R['phases']['p2p']
    up = {v['viewer']: v['up_kbit'] * 1000 / 8 for v in ph['viewers']}
    segs = collections.defaultdict(dict)  # (level, seq) -> page -> (bytes, p2p)
    for f in sorted(glob.glob(d + '/p2p-*.json')):
        page = f.split('/')[-1][:-5]
        J = json.load(open(f))
        level = {}
        for e in sorted(J['events'], key=lambda e: e['t']):
            if e['kind'] == 'frag-request' and 'seq' in e:
                level[e['seq']] = e['level']
            if e['kind'] == 'frag-served' and 'seq' in e:
                b = e.get('httpBytes', 0) + e.get('p2pBytes', 0)
                lv = level.get(e['seq'])
                segs[(lv, e['seq'])][page] = (b, e.get('p2pBytes', 0))
    tot = p2p = wb = 0.0
    byn = collections.defaultdict(lambda: [0.0, 0.0])
    for (lv, seq), pages in segs.items():
        n = len(pages)
        bytes_ = sum(b for b, _ in pages.values())
        per = bytes_ / n
        cap = sum(up[p] for p in pages) * 2.0  # 2 s segments
        bound = min(1 - 1 / n, cap / (n * per)) if per > 0 else 0
        wb += bound * bytes_
        tot += bytes_
        p2p += sum(x for _, x in pages.values())
        byn[n][0] += bytes_; byn[n][1] += sum(x for _, x in pages.values())
    print(f"{d.split('/')[-2] if d.endswith('timeline') else d}: run bound {ph['bound']:.3f} offload {ph['offload']:.3f} of bound {ph['offload_of_bound']:.3f} | segment-resolved bound {wb/tot:.3f}, offload (frag-served) {p2p/tot:.3f}, of it {p2p/wb:.3f}")
    print('   by N: ' + ', '.join(f"N={n}: {b/1e6:.1f} MB off {x/b:.2f}" for n, (b, x) in sorted(byn.items())))
