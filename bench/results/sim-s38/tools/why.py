"""why.py SEED NODE SEQ T0 T1 [--set k=v ...]: re-run one seed (SCEN=b|s|f|t, default b) and print,
for one viewer and segment between T0 and T1, what `OriginGate.takeover_at` returned and its
inputs. NODE's peer id is read from `/tmp/deep-SEED.json`, the decision log of the same run
(`DEEP_SCENARIO=b ../../sim-s31/deep.py SEED 8-40`)."""
import json, math, os, sys
import swarmcast.peer.origin_gate as G
from scenarios import run
seed, node, seq, t0, t1 = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
extra = sys.argv[6:]
TARGET = {}
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
d = json.load(open(f'/tmp/deep-{seed}.json'))
TARGET['pid'] = next(v['peer_id'] for v in d['run']['viewers'] if v['node'] == node)
run(os.environ.get('SCEN', 'b'), seed, extra)
