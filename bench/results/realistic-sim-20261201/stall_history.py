"""Ad-hoc: history of the stalled segment on the stalled node (decisions + piece arrivals)."""
import sys, json
from collections import Counter, defaultdict
from swarmcast.bench.sim.config import SimConfig
from swarmcast.bench.sim import viewer as vw
from swarmcast.bench.sim.swarm import Swarm
from swarmcast.peer.piece_scheduler import PieceScheduler

seed = int(sys.argv[1]); adapter = sys.argv[2] if len(sys.argv) > 2 else "shim"
sched = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
up = tuple(json.loads(sys.argv[4])) if len(sys.argv) > 4 else (0.2, 2.6)
verbose = "-v" in sys.argv
cfg = SimConfig(scenario="steady", peers=20, cap_x=40, bitrate_bps=753000, peer_up_x=up,
                adapter=adapter, scheduler=sched, duration_s=120, arrival_window_s=60)
sw = Swarm(cfg, seed, trace=True)
br = cfg.bitrate_bytes
hist = defaultdict(list)  # (node, seq) -> events
orig_init = PieceScheduler.__init__
def init(self, config, pid, now, **kw):
    node = sw.by_id[pid]
    def hook(at, seq, kind, detail):
        d = dict(detail)
        if 'peer' in d and d['peer'] in sw.by_id:
            d['peer'] = f"v{sw.by_id[d['peer']].index}({sw.by_id[d['peer']].up_rate/br:.2f}x)"
        hist[(node.index, seq)].append((round(at, 2), kind, d))
        if seq == -1:
            hist[(node.index, 'abandon')].append((round(at, 2), kind, d))
    kw['on_decision'] = hook
    orig_init(self, config, pid, now, **kw)
PieceScheduler.__init__ = init
stalls = []
orig = vw.ViewerLogic._boundary
def boundary(self, node, generation):
    p = node.player; before = p.stalls
    orig(self, node, generation)
    if p.stalls > before:
        stalls.append((self.q.now, node.index, p.current_seq(self.q.now)))
vw.ViewerLogic._boundary = boundary
orig_arr = Swarm._piece_arrived
def arrived(self, sched, now, src, rid, seq, index, size):
    n = self.by_id[sched.local_peer_id]; s = self.by_id[src]
    hist[(n.index, seq)].append((round(now, 2), 'piece', f"v{s.index}({s.up_rate/br:.2f}x) #{index}"))
    orig_arr(self, sched, now, src, rid, seq, index, size)
Swarm._piece_arrived = arrived
sw.run()
# when each stalled node got the segment
done = {}
for e in sw.trace:
    if e['event'] == 'complete': done.setdefault((e['node'], e['seq']), e['t'])
cls = Counter()
for t, n, seq in stalls:
    h = hist[(n, seq)]
    kinds = Counter(k for _, k, _ in h)
    end = done.get((n, seq))
    reasons = [k for _, k, _ in h if k not in ('piece', 'peer-request')]
    pre = [e for e in h if e[0] <= t + 1e-6]
    reqs = [e for e in pre if e[1] == 'peer-request']
    fetch = [e for e in pre if e[1] in ('fallback-takeover', 'election-turn', 'blocked-no-holder')]
    if fetch: c = 'http-late:' + fetch[0][1]
    elif reqs:
        slow = min(float(e[2]['peer'].split('(')[1].rstrip('x)')) for e in reqs)
        first_req = min(e[0] for e in reqs)
        c = 'on-peer-requests(slowest %s, asked %.1fs before)' % ('<1x' if slow < 1 else '>=1x', t - first_req)
        c = c.split('(')[0] + (' slow<1x' if slow < 1 else ' all>=1x')
    else: c = 'no-request:' + ','.join(sorted({e[1] for e in pre})) 
    cls[c] += 1
    print(f"STALL t={t:.2f} v{n}({sw.nodes[n].up_rate/br:.2f}x) seq={seq} complete_at={end} class={c} decisions={dict(kinds)}")
    if verbose:
        for ev in h: print("    ", ev)
print(cls, "stalls", len(stalls), "stalled_s", round(sum(n.player.stalled_s for n in sw.nodes), 1), dict(sw.counts))
