"""ttfb_due.py RUN...: the P2P pages' origin Range fetches (timeline http-start, with dueS) joined to resource timing
(same segment, started within 150 ms): time to first byte for fetches due within 4 s and later ones."""
import sys, json, glob, re, statistics
for run in sys.argv[1:]:
    rows = {'urgent': [], 'later': []}
    for f in glob.glob(run + '/*/p2p-b0*.json'):
        d = json.load(open(f))
        res = [(x['t'], int(m.group(1)), x['ttfbMs']) for x in d.get('resources', []) if (m := re.search(r'seg-(\d+)\.m4s$', x['path']))]
        for e in d['events']:
            if e['kind'] != 'http-start' or e.get('dueS') is None: continue
            hit = [r for r in res if r[1] == e['seq'] and abs(r[0] - e['t']) < 150]
            if hit:
                rows['urgent' if e['dueS'] <= 4 else 'later'].append(hit[0][2])
    out = []
    for k, v in rows.items():
        v.sort()
        if v: out.append(f"{k} n{len(v)} med {statistics.median(v):.0f} p90 {v[int(len(v)*.9)]:.0f} >500 {sum(t > 500 for t in v)}")
    print(run[-6:], ' | '.join(out))
