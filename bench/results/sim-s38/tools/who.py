import sys, json, argparse, collections
from swarmcast.bench import sim_bench
from swarmcast.bench.sim.runner import run_one
scen = sys.argv[1]; seeds = [int(x) for x in sys.argv[2].split(',')]; extra = sys.argv[3:]
B = {'b': ['--scenario','steady','--cap-x','20','--set','peer_down_x=3,8','--set','peer_up_x=0.8,3','--set','small_share=0.4'],
     's': ['--scenario','steady','--cap-x','20','--set','peer_down_x=1.1,2'],
     'f': ['--scenario','flash','--cap-x','2-4']}[scen]
tot = collections.Counter()
for seed in seeds:
    p = argparse.ArgumentParser(); sim_bench.add_arguments(p)
    a = p.parse_args(B + ['--duration','60','--seeds','1','--seed-base',str(seed),'--peers','8-40'] + extra)
    cfg, s = sim_bench.configs(a, 'shim')[0]
    run = run_one(cfg, s, trace=True)
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
