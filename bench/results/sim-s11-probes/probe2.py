"""Probe: with the landed (compute-once) stale turn, how many neighbours each member had when
its stale turn for a segment was computed, for the members that took a copy over before UNTIL.
Usage: probe2.py SEED UNTIL_S [new]  ('new': the recompute-on-neighbour-change rule instead)"""
import argparse, sys
from swarmcast.bench import sim_bench
from swarmcast.bench.sim.runner import run_one
from swarmcast.peer import origin_gate
from swarmcast.peer.piece_scheduler import PieceScheduler

seed, until = int(sys.argv[1]), float(sys.argv[2])
new = len(sys.argv) > 3
first = {}
def old_turn(self, segment):
    if segment.stale_turn < 0:
        n = len(self.book.peers)
        segment.stale_turn = self.config.stale_copy_tiers * origin_gate.http_first_delay(
            self.local_peer_id, segment.seq, neighbour_ids=self.book.peers.keys(), swarm_size=n + 1,
            http_first_count=1.0, tier_spacing_s=1.0, tier_growth=self.config.live_tier_growth,
            neighbour_stagger_s=0.5, seeder_neighbour=False)
        first[(self.local_peer_id, segment.seq)] = n
    return segment.stale_turn
if not new:
    origin_gate.OriginGate.stale_turn = old_turn
orig = PieceScheduler._fetch_http
def probe(self, now, segment, *, take_over, reason):
    if reason == "fallback-takeover" and now < until and now >= segment.http_retry_at and (segment.free_count > 0 or segment.peer_owed > 0):
        print(f"t={now:.3f} me={self.local_peer_id[:6]} seq={segment.seq} turn={segment.stale_turn} "
              f"neighbours_at_turn={first.get((self.local_peer_id, segment.seq), getattr(segment, 'stale_turn_neighbours', None))} neighbours_now={len(self.book.peers)}", flush=True)
    return orig(self, now, segment, take_over=take_over, reason=reason)
PieceScheduler._fetch_http = probe
parser = argparse.ArgumentParser(); sim_bench.add_arguments(parser)
args = parser.parse_args(["--scenario", "flash", "--peers", "8-100", "--cap-x", "2-4", "--seeds", "1", "--seed-base", str(seed), "--adapter", "shim", "--duration", str(until)])
(config, s), = sim_bench.configs(args, "shim")
r = run_one(config, s)
print("stall_share", r["stall_share"], "offload", r["offload"])
