"""loaderstall.py RUN...: P2P stalls on a segment the player's own loader fetched: loader time, bytes, and scheduler origin fetches overlapping it."""
import sys, collections
from stall_events import stalls

C = collections.Counter(); S = collections.Counter()
spans_of = {}  # (run, page) -> the page's scheduler origin fetches (start, end, seq)
for s in stalls(sys.argv[1:]):
    ev, req, t, ms, i = s.events, s.req, s.t, s.ms, s.index
    if (s.run, s.page) not in spans_of:
        ends = [x for x in ev if x['kind'] == 'http-end']
        spans = []
        for x in ev:
            if x['kind'] == 'http-start':
                e2 = next((y for y in ends if y['id'] == x['id'] and y['t'] >= x['t']), None)
                spans.append((x['t'], e2['t'] if e2 else x['t'], x.get('seq')))
        spans_of[(s.run, s.page)] = spans
    if not req:
        continue
    seq = req['seq']
    ls = next((x for x in ev if x['kind'] == 'loader-http-start' and x.get('seq') == seq and x['t'] >= req['t'] - 100 and x['t'] <= t + ms), None)
    if not ls:
        continue
    le = next((x for x in ev if x['kind'] == 'loader-http-end' and x.get('id') == ls['id'] and x['t'] >= ls['t']), None)
    lend = le['t'] if le else t + ms
    over = [(round((a - ls['t'])/1000, 2), round((b - a)/1000, 2), q) for a, b, q in spans_of[(s.run, s.page)] if a < lend and b > ls['t']]
    joins = [x for x in ev if x['kind'] == 'join' and x['t'] <= t]
    key = ('E' if s.early else 'L', 'overlap' if over else 'alone')
    C[key] += 1; S[key] += ms / 1000
    print(s.run, s.page, key, f"stall {ms/1000:.2f} loader {(lend-ls['t'])/1000:.2f}s {le and le.get('bytes')}B start->stall {(t-ls['t'])/1000:.2f} req->loader {(ls['t']-req['t'])/1000:.2f} overlaps {over} joins {len(joins)}")
for k, v in C.most_common(): print(v, round(S[k], 1), k)
