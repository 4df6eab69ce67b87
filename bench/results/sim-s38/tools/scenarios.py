"""The simulator scenarios these tools run (as `../../sim-s31/simrun.sh` names them), and one
seed's run: `run(scen, seed, extra, adapter, trace)`. Import it from this directory."""
import argparse
from swarmcast.bench import sim_bench
from swarmcast.bench.sim.runner import run_one

ARGS = {
    'b': ['--scenario', 'steady', '--cap-x', '20', '--set', 'peer_down_x=3,8', '--set', 'peer_up_x=0.8,3', '--set', 'small_share=0.4'],
    's': ['--scenario', 'steady', '--cap-x', '20', '--set', 'peer_down_x=1.1,2'],
    'f': ['--scenario', 'flash', '--cap-x', '2-4'],
    't': ['--scenario', 'flash', '--cap-x', '2-4', '--set', 'peer_down_x=1.1,2'],
    'u': ['--scenario', 'steady', '--cap-x', '20', '--set', 'peer_down_x=1.1,2', '--set', 'peer_up_x=0.3,1.5'],
}


def run(scen, seed, extra=(), adapter='shim', trace=True):
    """One 60-s run of `scen` for `seed` (8-40 viewers, drawn from the seed)."""
    p = argparse.ArgumentParser(); sim_bench.add_arguments(p)
    a = p.parse_args(ARGS[scen] + ['--duration', '60', '--seeds', '1', '--seed-base', str(seed), '--peers', '8-40'] + list(extra))
    cfg, s = sim_bench.configs(a, adapter)[0]
    return run_one(cfg, s, trace=trace)
