"""Lab: for each P2P stall, who took the stalled segment's first origin copy (by election turn)."""
import json, sys, tarfile, glob, os, collections
CLASS = {}
tot = collections.Counter()
for d in sys.argv[1:]:
    run = os.path.basename(d.rstrip('/'))
    rj = json.load(open(glob.glob(f'{d}/run-1/realistic.json')[0]))
    for tgz in glob.glob(f'{d}/run-*/{run}-timeline.tar.gz'):
        tf = tarfile.open(tgz); V = {}
        for m in tf.getmembers():
            if m.name.endswith('.json') and '/p2p-b' in m.name:
                V[os.path.basename(m.name)[:-5]] = json.load(tf.extractfile(m))
        # per (level, seq): origin fetch starts
        fetch = collections.defaultdict(list); lvl_of = {}
        for v, j in V.items():
            lvl = None
            reqlvl = {}
            for e in j['events']:
                if e['kind'] == 'frag-request' and 'seq' in e: reqlvl[e['seq']] = e['level']
            for e in j['events']:
                if e['kind'] == 'decision' and e.get('why') in ('election-turn', 'fallback-takeover', 'pace-takeover', 'race-takeover', 'blocked-election', 'unheld') and 'seq' in e:
                    fetch[(reqlvl.get(e['seq']), e['seq'])].append((e['t'], v, e['why'], e.get('holders')))
            lvl_of[v] = reqlvl
        for v, j in sorted(V.items()):
            ev = j['events']
            starts = sorted((e['start'], e['seq']) for e in ev if e['kind'] == 'segment-added')
            for e in ev:
                if e['kind'] == 'stall' and e['phase'] == 'start':
                    seq = None
                    for s, q in starts:
                        if s <= e['pos'] + 0.25: seq = q
                    key = (lvl_of[v].get(seq), seq)
                    f = sorted(fetch.get(key, []))
                    first = f[0] if f else None
                    tag = f'{first[1]}:{first[2]}' if first else 'none'
                    print(run, v, 'seq', key, 'first', tag, 'all', [(x[1], x[2][:8], round((x[0]-f[0][0])/1000,1)) for x in f][:6])
