#!/bin/bash
cd /work/wt/ci
for v in true false; do
  .venv/bin/swarmcast bench sim --scenario flash --peers 8-12 --cap-x 2-4 --seeds 100 --adapter shim --compiled --jobs 1 --sched live_skip_empty_tiers=$v --out /tmp/s19sim/flash8to12-$v > /tmp/s19sim/flash8to12-$v.log 2>&1
done
echo done > /tmp/s19sim/DONE2
