import sys, statistics
from swarmcast.bench.sim.config import SimConfig
from swarmcast.bench.sim.runner import run_one
from swarmcast.bench.sim_bench import SCENARIO_DEFAULTS, pick
from swarmcast.peer import deadline_clock as dc, piece_scheduler as ps
variant = sys.argv[1]
if variant != "landed":
    recent = float(sys.argv[2]) if len(sys.argv) > 2 else 1e9
    orig = ps.PieceScheduler.http_piece_received
    def hpr(self, now, fetch_id, seq, index, valid):
        before = self.clock.http_rate
        orig(self, now, fetch_id, seq, index, valid)
        if self.clock.http_rate != before:
            self.clock.measured_at = now
    ps.PieceScheduler.http_piece_received = hpr
    def ots(self, segment, deadline, now):
        m = getattr(self, "measured_at", None)
        rate = self.http_rate if (m is not None and now - m <= recent) else min(self.http_rate, self.copy_rate)
        return now + segment.missing_bytes() / rate > deadline
    dc.DeadlineClock.origin_too_slow = ots
out = []
for seed in range(1, 21):
    idx = seed - 1
    peers = int(pick("8-40", seed, idx, integer=True)); cap = pick("2-4", seed, idx, integer=False)
    r = run_one(SimConfig(scenario="flash", peers=peers, cap_x=cap, **SCENARIO_DEFAULTS["flash"]), seed)
    out.append((seed, r["offload"], r["stall_share"], r["collapsed"]))
print(variant, sys.argv[2:] , "per-seed stall:", [round(s, 4) for _, _, s, _ in out])
print(variant, "offload median %.4f worst %.4f | stall median %.4f worst %.4f | collapses %d" % (
    statistics.median(o for _, o, _, _ in out), min(o for _, o, _, _ in out),
    statistics.median(s for _, _, s, _ in out), max(s for _, _, s, _ in out), sum(1 for *_, c in out if c)))
