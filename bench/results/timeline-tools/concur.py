"""concur.py RUN...: for each early stall's first origin fetch: what else came in over the downlink while it ran."""
import collections, glob, json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stall_events import early_stalls

def overlap(a0, a1, b0, b1):
    return max(0.0, min(a1, b1) - max(a0, b0))

out = []
for s in early_stalls(sys.argv[1:]):
    ev, seq = s.events, s.req['seq']
    added = s.added()
    if not added:
        continue
    hs = s.origin_fetches(added)
    if not hs:
        continue
    end = next((x for x in ev if x['kind'] == 'http-end' and x.get('id') == hs[0]['id'] and x['t'] >= hs[0]['t']), None)
    if not end or not end.get('bytes'):
        continue
    a0, a1 = end['t0'], end['t']
    dur = (a1 - a0) / 1000
    other = collections.Counter()
    for x in ev:
        if x['kind'] in ('peer-end', 'http-end', 'loader-http-end') and x.get('bytes') and x is not end:
            b0, b1 = x['t0'], x['t']
            ov = overlap(a0, a1, b0, b1)
            if ov > 0:
                k = {'peer-end': 'peer', 'http-end': 'http', 'loader-http-end': 'loader'}[x['kind']]
                other[k] += x['bytes'] * ov / max(1, b1 - b0)
    est = hs[0].get('httpRate') or 0
    real = end['bytes'] / dur
    total = (end['bytes'] + sum(other.values())) / dur
    out.append((real / est, total / est, other, s))
    print(s.run.split('-')[-1], s.page, f"stall {s.ms/1000:.2f} dur {dur:.2f} est {est} real/est {real/est:.2f} total/est {total/est:.2f} others " + ' '.join(f"{k}:{v/1000:.0f}kB" for k, v in other.items()))
r = sorted(x[0] for x in out); t = sorted(x[1] for x in out)
print('n', len(out), 'real/est median', round(r[len(r)//2], 2), 'total/est median', round(t[len(t)//2], 2))
alone = sorted(x[0] for x in out if sum(x[2].values()) < 5000)
print('alone n', len(alone), 'median real/est', alone and round(alone[len(alone)//2], 2))
