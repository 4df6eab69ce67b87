#!/bin/bash
cd /work/wt/lead
for cap in 3 2; do
  for drop in true false; do
    .venv/bin/swarmcast bench sim --scenario flash --peers 8 --cap-x $cap --seeds 100 --adapter shim --jobs 1 --compiled --set safety_net_drops_copy=$drop --out /work/notes/s13/sim-f2/cap$cap-drop$drop > /work/notes/s13/sim-f2/cap$cap-drop$drop.log 2>&1
  done
done
