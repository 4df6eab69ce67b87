#!/bin/bash
cd /work/wt/haves
git log --oneline -1
exec .venv/bin/swarmcast bench sim --scenario flash --peers 8-100 --cap-x 2-4 --seeds 1000 --adapter shim --jobs 1 --compiled --time-budget 4500 --out /work/notes/s13/sim1000
