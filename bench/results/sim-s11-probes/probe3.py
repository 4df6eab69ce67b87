"""Experiment: the shim loader's safety net also waits while the scheduler's origin gate says the
member waits its stale-copy turn (copy_progress_until not None). Usage: probe3.py SEED [SEED...]"""
import argparse, sys
from swarmcast.bench import sim_bench
from swarmcast.bench.sim.runner import run_one
from swarmcast.bench.sim import viewer

orig = viewer.ViewerLogic._safety_net
def safety(self, node, seq, generation):
    sched = node.sched
    if sched is not None and generation == node.load_generation and seq not in node.delivered:
        seg = sched.book.segments.get(seq)
        if seg is not None:
            deadline = sched.clock.deadline(seg)
            if deadline is not None and sched.gate.copy_progress_until(self.q.now, seg, deadline) is not None:
                if node.safety_extensions < self.cfg.safety_extensions:
                    node.safety_extensions += 1
                    self.q.at(self.q.now + self.cfg.deadline_grace_s, self._safety_net, node, seq, generation)
                    return
    return orig(self, node, seq, generation)
import os
if os.environ.get("NO_SAFETY"):
    pass
else:
    viewer.ViewerLogic._safety_net = safety
if os.environ.get("OLD_TURN"):
    from swarmcast.peer import origin_gate
    def old_turn(self, segment):
        if segment.stale_turn < 0:
            n = len(self.book.peers)
            segment.stale_turn = self.config.stale_copy_tiers * origin_gate.http_first_delay(
                self.local_peer_id, segment.seq, neighbour_ids=self.book.peers.keys(), swarm_size=n + 1,
                http_first_count=1.0, tier_spacing_s=1.0, tier_growth=self.config.live_tier_growth,
                neighbour_stagger_s=0.5, seeder_neighbour=False)
        return segment.stale_turn
    origin_gate.OriginGate.stale_turn = old_turn
for seed in [int(s) for s in sys.argv[1:]]:
    parser = argparse.ArgumentParser(); sim_bench.add_arguments(parser)
    args = parser.parse_args(["--scenario", "flash", "--peers", "8-100", "--cap-x", "2-4", "--seeds", "1", "--seed-base", str(seed), "--adapter", "shim"])
    (config, s), = sim_bench.configs(args, "shim")
    r = run_one(config, s)
    print(seed, "stall_share", r["stall_share"], "offload", r["offload"], flush=True)
