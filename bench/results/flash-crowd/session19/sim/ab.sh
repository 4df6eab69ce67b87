#!/bin/bash
cd /work/wt/ci
for v in true false; do
  .venv/bin/swarmcast bench sim --scenario steady --peers 8 --seeds 30 --adapter shim --compiled --jobs 1 --sched live_skip_empty_tiers=$v --out /tmp/s19sim/steady8-$v > /tmp/s19sim/steady8-$v.log 2>&1
done
for v in true false; do
  .venv/bin/swarmcast bench sim --scenario flash --peers 8 --cap-x 3 --seeds 40 --adapter shim --compiled --jobs 1 --sched live_skip_empty_tiers=$v --out /tmp/s19sim/flash8-$v > /tmp/s19sim/flash8-$v.log 2>&1
done
echo done > /tmp/s19sim/DONE
