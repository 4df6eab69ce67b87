import sys, json, argparse
from swarmcast.bench import sim_bench
from swarmcast.bench.sim.runner import run_one
scen=sys.argv[1]; seed=int(sys.argv[2]); extra=sys.argv[3:]
B = {'b': ['--scenario','steady','--cap-x','20','--set','peer_down_x=3,8','--set','peer_up_x=0.8,3','--set','small_share=0.4'],
     's': ['--scenario','steady','--cap-x','20','--set','peer_down_x=1.1,2'],
     'f': ['--scenario','flash','--cap-x','2-4'], 't': ['--scenario','flash','--cap-x','2-4','--set','peer_down_x=1.1,2']}[scen]
p = argparse.ArgumentParser(); sim_bench.add_arguments(p)
a = p.parse_args(B + ['--duration','60','--seeds','1','--seed-base',str(seed),'--peers','8-40'] + extra)
import os; cfg, s = sim_bench.configs(a, os.environ.get('ADAPTER','shim'))[0]
run = run_one(cfg, s, trace=True)
print('share', run['stall_share'])
for v in run['viewers']:
    st=[ (e['t'],e['seq']) for e in run['trace'] if e['event']=='stall' and e['node']==v['node']]
    print(v['node'], 'down', v.get('down_x'), 'arr', v['arrives_at'], 'ttff', v['ttff'], 'stalled', v['stalled_s'], st)
