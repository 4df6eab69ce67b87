#!/bin/bash
while pgrep -f sim-f2.sh >/dev/null; do sleep 10; done
cd /work/wt/lead
for drop in true false; do
  .venv/bin/swarmcast bench sim --scenario flash --peers 8-40 --cap-x 2-4 --seeds 100 --adapter shim --jobs 1 --compiled --set safety_net_drops_copy=$drop --out /work/notes/s13/sim-f2/wide-drop$drop > /work/notes/s13/sim-f2/wide-drop$drop.log 2>&1
done
