"""Longest silence (no bytes) inside each media request of a Chromium net log: usage netlog_gaps.py FILE..."""
import json, sys
for f in sys.argv[1:]:
    raw = open(f).read()
    if not raw.rstrip().endswith('}'):
        raw = raw.rstrip().rstrip(',') + ']}'
    d = json.loads(raw); et = {v: k for k, v in d['constants']['logEventTypes'].items()}
    reqs = {}
    for e in d['events']:
        sid = e['source']['id']; typ = et.get(e['type']); t = float(e['time']); p = e.get('params', {})
        if typ == 'REQUEST_ALIVE' and e.get('phase') == 1: reqs[sid] = {'t': [t], 'url': ''}
        r = reqs.get(sid)
        if r is None: continue
        if typ == 'URL_REQUEST_START_JOB' and e.get('phase') == 1: r['url'] = p.get('url', '')
        if typ in ('URL_REQUEST_JOB_BYTES_READ', 'URL_REQUEST_JOB_FILTERED_BYTES_READ'): r['t'].append(t)
        if typ == 'REQUEST_ALIVE' and e.get('phase') == 2: r['t'].append(t); r['done'] = True
    gaps = []
    for r in reqs.values():
        if '.m4s' not in r['url'] or r['url'].endswith('.json') or not r.get('done'): continue
        ts = sorted(r['t']); g = max((b - a for a, b in zip(ts, ts[1:])), default=0) / 1000
        gaps.append(g)
    n = len(gaps)
    print(f.split('/')[-1].split('.')[0], n, 'media requests; longest silence >1 s:', sum(g > 1 for g in gaps), '>2 s:', sum(g > 2 for g in gaps), '>4 s:', sum(g > 4 for g in gaps), 'max %.2f' % max(gaps, default=0))
