"""deepL.py SCEN SEED [--set/--sched ...]: one L-scenario run with every decision logged;
prints origin pieces by decision reason and per node, and writes /tmp/deepL-SEED.json."""
import sys, json, collections, argparse
from swarmcast.bench import sim_bench
import swarmcast.bench.sim.viewer as V
from swarmcast.bench.sim.runner import run_one
LOG = []
class Logged(V.PieceScheduler):
    def __init__(self, config, peer_id, now, on_decision=None, **kw):
        inner = on_decision
        def hook(at, seq, kind, detail):
            LOG.append((round(at, 3), peer_id, seq, kind, detail))
            if inner: inner(at, seq, kind, detail)
        super().__init__(config, peer_id, now, on_decision=hook, **kw)
V.PieceScheduler = Logged
WHY = collections.Counter(); WHYL = []
of = Logged._fetch_http
def fh(self, now, segment, *, take_over, reason):
    if reason == 'election-turn' and not (now < segment.http_retry_at or (segment.free_count <= 0 and segment.peer_owed <= 0)):
        for p in self.book._by_id:
            seq = segment.seq
            if seq in p.haves or seq in p.partial:
                if p.choking_us: w = 'choking'
                elif now < p.cooldown_until: w = 'cooldown'
                elif seq in p.partial and not p.partial[seq]: w = 'stale-promise'
                else: w = 'other'
                WHY[w] += 1; WHYL.append((round(now,2), self.local_peer_id[:6], seq, p.peer_id[:6], w, round(now - p.partial_at.get(seq, -1e9),2), round(p.cooldown_until-now,2)))
    return of(self, now, segment, take_over=take_over, reason=reason)
Logged._fetch_http = fh
SC = {
 'L': "--scenario steady --cap-x 20 --peers 2-4 --set small_share=0.5 --set small_up_x=0.3,1.1 --set small_down_x=1.4,2.5 --set peer_up_x=0.8,2.7 --set peer_down_x=2.7,8",
 'M': "--scenario steady --cap-x 20 --peers 5-8 --set small_share=0.5 --set small_up_x=0.3,1.1 --set small_down_x=1.4,2.5 --set peer_up_x=0.8,2.7 --set peer_down_x=2.7,8",
 'T': "--scenario steady --cap-x 20 --peers 2-4 --set peer_up_x=1,2 --set peer_down_x=1.1,2",
}
scen, seed = sys.argv[1], int(sys.argv[2]); rest = sys.argv[3:]
p = argparse.ArgumentParser(); sim_bench.add_arguments(p)
a = p.parse_args(SC[scen].split() + ['--duration', '120', '--seeds', '1', '--seed-base', str(seed)] + rest)
cfg, s = sim_bench.configs(a, 'shim')[0]
run = run_one(cfg, s, trace=True)
json.dump({'run': run, 'log': LOG}, open(f'/tmp/deepL-{scen}-{seed}.json', 'w'), default=str)
print('stall', run['stall_share'], 'offload', run['offload'], 'fetch/seg', run['origin_fetches_per_segment_mean'])
by = collections.Counter(); bynode = collections.defaultdict(collections.Counter)
for at, pid, seq, kind, d in LOG:
    if 'piece_count' in d:
        by[kind] += d['piece_count']; bynode[pid][kind] += d['piece_count']
print('origin pieces by reason', dict(by))
for v in run['viewers']:
    print(v['node'], {k: v[k] for k in v if k in ('down_x', 'up_x', 'small', 'arrives_at', 'stalled_s', 'peer_bytes')}, 'origin', sum(v['origin_bytes'].values()))
for pid, c in bynode.items(): print(pid, dict(c))
print('excluded holders at election turns', dict(WHY))
import os
if os.environ.get('V'):
    for w in WHYL: print(w)
