#!/bin/bash
# The flash target's seeds (1-1000, --peers 8-100 --cap-x 2-4) whose swarm has <= 12 viewers: the only ones 11cde04 can change.
cd /work/wt/ci
for seed in 9 35 43 48 53 68 111 139 168 199 208 211 227 238 271 278 305 316 347 370 374 379 432 435 452 456 463 478 481 503 518 556 593 605 624 629 631 657 749 779 796 799 821 847 851 867 870 875 878 880 887 891 892 965 974 979 983; do
  for v in true false; do
    .venv/bin/swarmcast bench sim --scenario flash --peers 8-100 --cap-x 2-4 --seed-base $seed --seeds 1 --adapter shim --compiled --jobs 1 --sched live_skip_empty_tiers=$v --out /tmp/s19sim/small57-$v > /tmp/s19sim/small57-$v-$seed.log 2>&1
  done
done
echo done > /tmp/s19sim/DONE3
