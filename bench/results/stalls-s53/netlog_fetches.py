"""Per media request in a Chromium net log: queued (until a socket), connect, waiting for headers, body.
usage: netlog_fetches.py FILE [min_total_s]"""
import json, sys
f = sys.argv[1]; mint = float(sys.argv[2]) if len(sys.argv) > 2 else 0
phase_start = float(sys.argv[3]) if len(sys.argv) > 3 else None  # the timeline's phase_start (wall ms)
raw = open(f).read()
if not raw.rstrip().endswith('}'):
    raw = raw.rstrip().rstrip(',') + ']}'
d = json.loads(raw)
c = d['constants']; et = {v: k for k, v in c['logEventTypes'].items()}
reqs = {}
sock_connect = {}  # socket source id -> (begin, end)
bound = {}  # request id -> socket id
for e in d['events']:
    t = float(e['time']); sid = e['source']['id']; typ = et.get(e['type'], e['type']); ph = e.get('phase')  # 1 begin 2 end 0 none
    p = e.get('params', {})
    if typ == 'REQUEST_ALIVE' and ph == 1:
        reqs[sid] = {'t0': t}
    r = reqs.get(sid)
    if typ == 'URL_REQUEST_START_JOB' and ph == 1 and r is not None:
        r['url'] = p.get('url', '')
    if r is None:
        if typ == 'TCP_CONNECT':
            b = sock_connect.setdefault(sid, [None, None])
            b[0 if ph == 1 else 1] = t
        continue
    if typ == 'HTTP_TRANSACTION_SEND_REQUEST' and ph == 1:
        r.setdefault('send', t)
    if typ == 'HTTP_TRANSACTION_SEND_REQUEST_HEADERS' or typ == 'HTTP_TRANSACTION_HTTP2_SEND_REQUEST_HEADERS':
        for h in p.get('headers', []):
            if h.lower().startswith('range'): r['range'] = h
    if typ == 'HTTP_TRANSACTION_READ_HEADERS' and ph == 2:
        r['hdr'] = t
    if typ == 'SOCKET_POOL_BOUND_TO_SOCKET' or typ == 'HTTP_STREAM_REQUEST_BOUND_TO_JOB':
        s = p.get('source_dependency', {}).get('id')
        if s: r.setdefault('deps', []).append(s)
    if typ == 'REQUEST_ALIVE' and ph == 2:
        r['end'] = t
    if typ == 'URL_REQUEST_JOB_FILTERED_BYTES_READ' or typ == 'URL_REQUEST_JOB_BYTES_READ':
        r['bytes'] = r.get('bytes', 0) + p.get('byte_count', 0)
    if 'STALLED' in typ:
        r.setdefault('flags', set()).add(typ)
t0 = min((r['t0'] for r in reqs.values()), default=0)
if phase_start is not None: t0 = phase_start - float(c['timeTickOffset'])
for sid, r in sorted(reqs.items(), key=lambda kv: kv[1]['t0']):
    u = r.get('url', '')
    if '.m4s' not in u and '.mp4' not in u: continue
    if 'end' not in r: continue
    tot = (r['end'] - r['t0']) / 1000
    if tot < mint: continue
    q = (r.get('send', r['t0']) - r['t0']) / 1000
    h = (r.get('hdr', r['end']) - r.get('send', r['t0'])) / 1000
    b = (r['end'] - r.get('hdr', r['end'])) / 1000
    print(f"{(r['t0']-t0)/1000:8.2f} total={tot:5.2f} queue={q:5.2f} ttfb={h:5.2f} body={b:5.2f} bytes={r.get('bytes',0)} {u.rsplit('/',2)[-2:]} {r.get('range','')} {','.join(r.get('flags',[]))}")
