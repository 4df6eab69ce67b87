"""deepf.py SEED PEERS [--set k=v ...] [--sched k=v ...]: one flash-crowd sim run (origin 2-4x, drawn from the seed; as `f` in ../sim-s31/simrun.sh) logging every scheduler decision to /tmp/deep-SEED-$TAG.json.
Prints the stall share, offload and the count of each decision kind; compare two trees on one seed with TAG=a and TAG=b."""
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
base = ['--scenario', 'flash', '--cap-x', '2-4', '--duration', '60', '--seeds', '1', '--seed-base', str(seed), '--peers', peers]

import argparse
parser = argparse.ArgumentParser(); sim_bench.add_arguments(parser)
args = parser.parse_args(base + rest)
cfg, s = sim_bench.configs(args, 'shim')[0]
run = run_one(cfg, s, trace=True)
import os; json.dump({'run': {k: v for k, v in run.items()}, 'log': LOG}, open(f'/tmp/deep-{seed}-' + os.environ.get('TAG','x') + '.json', 'w'))
print('stall share', run['stall_share'], 'offload', run['offload'], 'counts', run['counts'])
print(collections.Counter(k for _, _, _, k, _ in LOG))
