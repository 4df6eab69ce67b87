import sys, json, collections, argparse
from swarmcast.bench import sim_bench
import swarmcast.bench.sim.viewer as V
from swarmcast.bench.sim.runner import run_one
LOG = []
class Logged(V.PieceScheduler):
    def __init__(self, config, peer_id, now, on_decision=None):
        inner = on_decision
        def hook(at, seq, kind, detail):
            LOG.append((round(at, 3), peer_id, seq, kind, detail))
            if inner: inner(at, seq, kind, detail)
        super().__init__(config, peer_id, now, on_decision=hook)
V.PieceScheduler = Logged
seed = int(sys.argv[1]); extra = sys.argv[2:]
B = ['--scenario','steady','--cap-x','20','--set','peer_down_x=3,8','--set','peer_up_x=0.8,3','--set','small_share=0.4']
p = argparse.ArgumentParser(); sim_bench.add_arguments(p)
a = p.parse_args(B + ['--duration','60','--seeds','1','--seed-base',str(seed),'--peers','8-40'] + extra)
cfg, s = sim_bench.configs(a, 'shim')[0]
run = run_one(cfg, s, trace=True)
json.dump({'run': run, 'log': LOG}, open(f'/tmp/deepb-{seed}.json','w'))
print(run['stall_share'])
