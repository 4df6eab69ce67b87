"""gate.py SEED PEERS NODE SEQ [sim args]: log the gate's view of one node's segment over time."""
import sys, json, argparse
from swarmcast.bench import sim_bench
import swarmcast.bench.sim.viewer as V
from swarmcast.bench.sim.runner import run_one
from swarmcast.peer import origin_gate as G
seed, peers, node, seq = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rest = sys.argv[5:]
base = ['--scenario', 'steady', '--cap-x', '20', '--duration', '60', '--seeds', '1', '--seed-base', str(seed), '--peers', peers,
        '--set', 'peer_down_x=1.1,2']  # small uplinks: add --set peer_up_x=0.3,1.5
parser = argparse.ArgumentParser(); sim_bench.add_arguments(parser); args = parser.parse_args(base + rest)
cfg, s = sim_bench.configs(args, 'shim')[0]
import random
target = {}
orig = G.OriginGate.takeover_at
last = {}
def takeover_at(self, now, segment, deadline):
    r = orig(self, now, segment, deadline)
    if segment.seq == seq and getattr(self, '_node', None) == node:
        c = self.clock
        row = (round(r, 2), round(c.fallback_at(segment, deadline), 2), round(deadline, 2), c.playing,
               self.origin_too_slow(now, segment, deadline), round(c.http_rate), round(c.copy_rate),
               c.http_measured_at and round(now - c.http_measured_at, 1), segment.missing_bytes(), self.small_uplink(segment),
               self.copy_progress_until(now, segment, deadline))
        if last.get(0) != row[1:]:
            print(round(now, 2), 'takeover', row[0], 'fallback', row[1], 'deadline', row[2], 'playing', row[3], 'too_slow', row[4],
                  'http', row[5], 'copy', row[6], 'own_age', row[7], 'missing', row[8], 'small', row[9], 'prog_until', row[10])
            last[0] = row[1:]
    return r
G.OriginGate.takeover_at = takeover_at
class Tagged(V.PieceScheduler):
    pass
orig_session = V.Viewers._session if hasattr(V, 'Viewers') else None
cls = [c for c in vars(V).values() if isinstance(c, type) and hasattr(c, '_session')][0]
o = cls._session
def _session(self, n):
    o(self, n)
    if n.sched is not None:
        n.sched.gate._node = n.index
cls._session = _session
run = run_one(cfg, s, trace=True)
print('stall share', run['stall_share'])
