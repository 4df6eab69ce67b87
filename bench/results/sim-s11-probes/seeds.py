"""Run chosen seeds of `swarmcast bench sim --scenario flash --peers 8-100 --cap-x 2-4 --adapter shim`
one at a time (same per-seed configs as the CLI), appending each run (with digest) to a JSON lines file.
Usage: seeds.py OUT.jsonl SEED [SEED ...]   (run it under the compiled build: see run_seeds.sh)"""
import argparse, json, sys, time
from swarmcast.bench import sim_bench
from swarmcast.bench.sim.runner import decision_digest, run_one

from swarmcast.bench.sim.compiled import check_compiled
check_compiled()
out = sys.argv[1]
for seed in [int(s) for s in sys.argv[2:]]:
    parser = argparse.ArgumentParser()
    sim_bench.add_arguments(parser)
    args = parser.parse_args(["--scenario", "flash", "--peers", "8-100", "--cap-x", "2-4", "--seeds", "1", "--seed-base", str(seed), "--adapter", "shim"])
    (config, s), = sim_bench.configs(args, "shim")
    t = time.process_time()
    run = run_one(config, s)
    run["digest"] = decision_digest(run)[:16]
    run["cpu_s"] = round(time.process_time() - t, 3)
    run.pop("series", None); run.pop("trace", None); run.pop("viewers", None)
    with open(out, "a") as f:
        f.write(json.dumps(run) + "\n")
    print(seed, run["peers"], run["cap_x"], run["offload"], run["stall_share"], run["collapsed"], run["cpu_s"], flush=True)
