import sys, collections
from scenarios import run as run_seed
scen = sys.argv[1]; seeds = [int(x) for x in sys.argv[2].split(',')]; extra = sys.argv[3:]
tot = collections.Counter()
for seed in seeds:
    run = run_seed(scen, seed, extra)
    tr = run['trace']
    stalls = [e for e in tr if e['event']=='stall']
    vs = {v['node']: v for v in run['viewers']}
    byclass = collections.Counter(); early = collections.Counter()
    for e in stalls:
        v = vs[e['node']]; dx = v.get('down_x', 0)
        cls = 'small' if dx < 2.5 else 'big'
        ff = v['arrives_at'] + (v['ttff'] or 0)
        byclass[cls] += 1
        early['early' if e['t'] - ff < 15 else 'later'] += 1
    tot.update(byclass); tot.update(early)
    print(seed, 'peers', len(vs), 'share', run['stall_share'], 'stalls', len(stalls), dict(byclass), dict(early), 'offload', run['offload'])
print(tot)
