import sys, json, argparse, collections
from swarmcast.bench import sim_bench
from swarmcast.bench.sim.runner import run_one
scen=sys.argv[1]; seeds=range(1,int(sys.argv[2])+1); extra=sys.argv[3:]
B = {'b': ['--scenario','steady','--cap-x','20','--set','peer_down_x=3,8','--set','peer_up_x=0.8,3','--set','small_share=0.4'],
     's': ['--scenario','steady','--cap-x','20','--set','peer_down_x=1.1,2']}[scen]
tot=collections.Counter()
for seed in seeds:
    p = argparse.ArgumentParser(); sim_bench.add_arguments(p)
    a = p.parse_args(B + ['--duration','60','--seeds','1','--seed-base',str(seed),'--peers','8-40'] + extra)
    cfg, s = sim_bench.configs(a, 'shim')[0]
    run = run_one(cfg, s, trace=True)
    for v in run['viewers']:
        c = 'tight' if v.get('down_x',9) < 2 else ('mid' if v.get('down_x',9) < 3 else 'big')
        tot[c+'_s'] += v['stalled_s']; tot[c+'_n'] += v['stalls']; tot[c+'_watch'] += 1
        tot[c+'_origin'] += sum(v['origin_bytes'].values()); tot[c+'_peer'] += v['peer_bytes']
print({k: round(v,1) for k,v in sorted(tot.items())})
