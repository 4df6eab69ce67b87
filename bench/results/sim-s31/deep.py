"""deep.py SEED PEERS [--set k=v ...] [--sched k=v ...]: one steady/tight sim run (DEEP_SCENARIO=flash: a flash crowd on a 2-4x origin; DEEP_SCENARIO=b: the cable + DSL audience; TAG=name: /tmp/deep-SEED-name.json) (add --set peer_up_x=0.3,1.5 for small uplinks) logging every scheduler decision.
Prints, per stall, the stalled node's decisions for that seq (peer requests, abandons, takeovers)."""
import sys, json, collections
sys.argv = ['x'] + sys.argv[1:]
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
seed, peers = int(sys.argv[1]), sys.argv[2]
rest = sys.argv[3:]
import os
if os.environ.get('DEEP_SCENARIO') == 'flash':  # as `f` in simrun.sh: origin 2-4x (drawn from the seed)
    base = ['--scenario', 'flash', '--cap-x', '2-4', '--duration', '60', '--seeds', '1', '--seed-base', str(seed), '--peers', peers]
elif os.environ.get('DEEP_SCENARIO') == 'b':  # cable + DSL (sim-s38); its arguments live in sim-s38/tools/scenarios.py
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'sim-s38', 'tools'))
    from scenarios import ARGS
    base = ARGS['b'] + ['--duration', '60', '--seeds', '1', '--seed-base', str(seed), '--peers', peers]
else:
    base = ['--scenario', 'steady', '--cap-x', '20', '--duration', '60', '--seeds', '1', '--seed-base', str(seed), '--peers', peers,
            '--set', 'peer_down_x=1.1,2']  # small uplinks: add --set peer_up_x=0.3,1.5
import argparse
parser = argparse.ArgumentParser(); sim_bench.add_arguments(parser)
args = parser.parse_args(base + rest)
cfg, s = sim_bench.configs(args, 'shim')[0]
run = run_one(cfg, s, trace=True)
json.dump({'run': {k: v for k, v in run.items()}, 'log': LOG}, open(f'/tmp/deep-{seed}' + (f"-{os.environ['TAG']}" if os.environ.get('TAG') else '') + '.json', 'w'))
print('stall share', run['stall_share'], 'offload', run['offload'], 'counts', run['counts'])
print(collections.Counter(k for _, _, _, k, _ in LOG))
