"""ttfb.py RUN...: time to first byte of the pages' origin requests (PerformanceResourceTiming in the timelines), P2P vs CDN-only, by kind."""
import sys, json, glob, statistics
def kind(p):
    if '_HLS_msn' in p: return None  # blocking reload: held on purpose
    if p.endswith('.integrity.json'): return 'record'
    if p.endswith('.m4s'): return 'media'
    if p.endswith('.m3u8'): return 'playlist'
    if p.startswith('/api/'): return 'api'
    return None
for run in sys.argv[1:]:
    for phase in ('p2p', 'cdn'):
        by = {}
        for f in glob.glob(run + f'/*/{phase}-b0*.json'):
            for x in json.load(open(f)).get('resources', []):
                k = kind(x['path'])
                if k: by.setdefault(k, []).append(x['ttfbMs'])
        row = []
        for k in ('media', 'record', 'playlist', 'api'):
            v = sorted(by.get(k, []))
            if v: row.append(f"{k} n{len(v)} med {statistics.median(v):.0f} p90 {v[int(len(v)*.9)]:.0f} >500ms {sum(t > 500 for t in v)}")
        print(run[-6:], phase, ' | '.join(row))
