"""Probe: why each fallback-takeover of a seed happened (interpreted; patches the scheduler's
_fetch_http to log the gate's state). Usage: probe.py SEED UNTIL_S"""
import argparse, sys
from swarmcast.bench import sim_bench
from swarmcast.bench.sim.runner import run_one
from swarmcast.peer.piece_scheduler import PieceScheduler

seed, until = int(sys.argv[1]), float(sys.argv[2])
orig = PieceScheduler._fetch_http
def probe(self, now, segment, *, take_over, reason):
    if reason == "fallback-takeover" and now < until and now >= segment.http_retry_at and (segment.free_count > 0 or segment.peer_owed > 0):
        book, seq = self.book, segment.seq
        complete = [p.peer_id for p in book.usable_holders(now, seq) if seq in p.haves]
        partial = [p.peer_id for p in book.usable_holders(now, seq) if seq not in p.haves]
        latest = book.latest_progress(now, seq)
        anyat = max((p.partial_at.get(seq, -1) for p in book.peers.values()), default=-1)
        print(f"t={now:.3f} me={self.local_peer_id[:6]} seq={seq} playing={self.clock.playing} "
              f"complete_holders={len(complete)} partial_holders={len(partial)} latest={latest} "
              f"any_partial_at={anyat:.2f} T={self.clock.progress_timeout():.2f} turn={segment.stale_turn} "
              f"grace_until={segment.peer_grace_until} requested={segment.requested} owed={segment.peer_owed} "
              f"missing={segment.piece_count - segment.have_count}", flush=True)
    return orig(self, now, segment, take_over=take_over, reason=reason)
PieceScheduler._fetch_http = probe
parser = argparse.ArgumentParser(); sim_bench.add_arguments(parser)
args = parser.parse_args(["--scenario", "flash", "--peers", "8-100", "--cap-x", "2-4", "--seeds", "1", "--seed-base", str(seed), "--adapter", "shim", "--duration", str(until)])
(config, s), = sim_bench.configs(args, "shim")
run_one(config, s)
