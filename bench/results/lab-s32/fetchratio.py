"""Lab timelines: each scheduler origin fetch's duration against bytes / the httpRate it planned with."""
import json, sys, tarfile, glob, os, statistics as st, collections
res = collections.defaultdict(list)
for d in sys.argv[1:]:
    run = os.path.basename(d.rstrip('/'))
    for tgz in glob.glob(f'{d}/run-*/{run}-timeline.tar.gz'):
        tf = tarfile.open(tgz)
        for m in tf.getmembers():
            if not (m.name.endswith('.json') and '/p2p-b' in m.name): continue
            j = json.load(tf.extractfile(m)); v = os.path.basename(m.name)[:-5]
            starts = {}
            for e in j['events']:
                if e['kind'] == 'http-start': starts[e['id']] = e
                if e['kind'] == 'http-end' and e.get('outcome') == 'ok' and e['id'] in starts:
                    s = starts[e['id']]; dur = (e['t'] - e['t0']) / 1000
                    plan = e['bytes'] / max(s['httpRate'], 1)
                    res[v].append((dur / plan if plan > 0 else 0, dur, s.get('dueS'), e['bytes']))
for v in sorted(res):
    r = sorted(x[0] for x in res[v]); n = len(r)
    late = sum(1 for x in res[v] if x[2] is not None and x[1] > x[2])
    print(v, 'n', n, 'ratio p50 %.2f p90 %.2f max %.2f' % (r[n//2], r[int(n*.9)], r[-1]), 'dur p50 %.2f p90 %.2f' % (sorted(x[1] for x in res[v])[n//2], sorted(x[1] for x in res[v])[int(n*.9)]), 'ended past dueS', late)
