# why.py SEED NODE SEQ T0 T1: re-run scenario b seed; log takeover_at internals for one node/seq
import sys, json, argparse, math
from swarmcast.bench import sim_bench
import swarmcast.peer.origin_gate as G
from swarmcast.bench.sim.runner import run_one
seed, node, seq, t0, t1 = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
extra = sys.argv[6:]
scen = __import__('os').environ.get('SCEN','b')
B = {'b': ['--scenario','steady','--cap-x','20','--set','peer_down_x=3,8','--set','peer_up_x=0.8,3','--set','small_share=0.4'],
     's': ['--scenario','steady','--cap-x','20','--set','peer_down_x=1.1,2'],
     'f': ['--scenario','flash','--cap-x','2-4']}[scen]
orig = G.OriginGate.takeover_at
TARGET = {}
def patched(self, now, segment, deadline):
    r = orig(self, now, segment, deadline)
    if segment.seq == seq and t0 <= now <= t1 and getattr(self, '_pid', None) == TARGET.get('pid'):
        c = self.clock
        info = dict(now=round(now,3), ret=round(r,3) if r != math.inf else 'inf', deadline=round(deadline,3),
            fallback=round(c.fallback_at(segment, deadline),3), playing=c.playing, waiting=c.waiting_on(segment),
            http_rate=round(c.http_rate), missing=segment.missing_bytes(), holders=len(self.book.usable_holders(now, segment.seq)),
            limit=self.hold_limit(now, segment, deadline), first_at=segment.http_first_at,
            race=self.stalled_race_at(segment), progress=self.copy_progress_until(now, segment, deadline),
            grace=segment.peer_grace_until, held=self.links_hold(now, segment), cw=self.connect_wait(now),
            too_slow=self.origin_too_slow(now, segment, deadline))
        print(json.dumps(info))
    return r
G.OriginGate.takeover_at = patched
import swarmcast.peer.piece_scheduler as PS
oi = PS.PieceScheduler.__init__
def init(self, config, peer_id, now, on_decision=None):
    oi(self, config, peer_id, now, on_decision=on_decision)
    self.gate._pid = peer_id
PS.PieceScheduler.__init__ = init
import swarmcast.bench.sim.viewer as V
V.PieceScheduler = PS.PieceScheduler
p = argparse.ArgumentParser(); sim_bench.add_arguments(p)
a = p.parse_args(B + ['--duration','60','--seeds','1','--seed-base',str(seed),'--peers','8-40'] + extra)
cfg, s = sim_bench.configs(a, 'shim')[0]
# first pass to learn pid of node
import swarmcast.bench.sim.swarm as SW
d = json.load(open(f'/tmp/deepb-{seed}.json'))
TARGET['pid'] = next(v['peer_id'] for v in d['run']['viewers'] if v['node']==node)
run = run_one(cfg, s, trace=True)
