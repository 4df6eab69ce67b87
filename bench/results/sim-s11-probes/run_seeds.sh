#!/bin/bash
# From the checkout: bench/results/sim-s11-probes/run_seeds.sh BUILD_DIR OUT.jsonl SEEDS...
# BUILD_DIR: the mypyc build of the sources to test (print it with
#   .venv/bin/python -c "from swarmcast.bench.sim.compiled import build; print(build())").
B=$1; shift
export SWARMCAST_SIM_COMPILED=$B PYTHONPATH=$B
exec nice -n 19 timeout 3000 .venv/bin/python -P bench/results/sim-s11-probes/seeds.py "$@"
