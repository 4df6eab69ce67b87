"""For each P2P stall in lab timelines: the segment it waited on and how that segment came."""
import json, sys, tarfile, io, glob, os, collections
def load(tgz):
    tf = tarfile.open(tgz)
    out = {}
    for m in tf.getmembers():
        if m.name.endswith('.json') and '/p2p-b' in m.name:
            out[os.path.basename(m.name)[:-5]] = json.load(tf.extractfile(m))
    return out
tot = collections.Counter()
for d in sys.argv[1:]:
    for tgz in glob.glob(f'{d}/run-*/*timeline.tar.gz'):
        if not os.path.basename(tgz).startswith(os.path.basename(d)): pass
        views = load(tgz)
        run = os.path.basename(d)
        for v, j in sorted(views.items()):
            if run.split('realistic-')[-1] not in tgz: continue
            ev = j['events']; t0 = j['phase_start']
            segstart = {}
            for e in ev:
                if e['kind'] == 'segment-added': segstart[e['seq']] = e['start']
            starts = sorted((s, q) for q, s in segstart.items())
            for e in ev:
                if e['kind'] == 'stall' and e['phase'] == 'start':
                    pos = e['pos']; ts = e['t']
                    seq = None
                    for s, q in starts:
                        if s <= pos + 0.25: seq = q
                    hist = []
                    for f in ev:
                        if f.get('seq') == seq and f['kind'] in ('decision', 'http-start', 'http-end', 'frag-request', 'segment-added', 'frag-served'):
                            if f['kind'] == 'decision' and f.get('why') == 'peer-request': 
                                hist.append(('pr', round((f['t'] - ts) / 1000, 2))); continue
                            hist.append((f['kind'] if f['kind'] != 'decision' else f['why'], round((f['t'] - ts) / 1000, 2), f.get('dueS'), f.get('by')))
                    ends = [f for f in ev if f['kind'] == 'stall' and f['phase'] == 'end' and f['t'] >= ts]
                    ms = ends[0]['ms'] if ends else None
                    whys = [h[0] for h in hist]
                    if 'fallback-takeover' in whys: mech = 'fallback-takeover'
                    elif 'pace-takeover' in whys: mech = 'pace-takeover'
                    elif 'race-takeover' in whys: mech = 'race-takeover'
                    elif 'election-turn' in whys: mech = 'own-turn'
                    elif any(h[0]=='frag-served' and h[3]=='peer' for h in hist): mech='peer-only'
                    else: mech = 'other:' + ','.join(sorted(set(whys)))
                    tot[mech] += 1
                    print(run, v, 't', round((ts - t0) / 1000, 1), 'pos', pos, 'seq', seq, 'ms', ms, mech)
                    print('    ', [h for h in hist if h[0] != 'pr'][:14], 'peer-req', sum(1 for h in hist if h[0]=='pr'))
print(tot)
