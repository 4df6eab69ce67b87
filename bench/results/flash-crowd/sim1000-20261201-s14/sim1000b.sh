#!/bin/bash
# seeds 542-1000 of the 1,000-seed flash target (seeds 1-541 ran in session 13 on 87af66a's scheduler; unchanged since but for pure refactors)
cd "$(git rev-parse --show-toplevel)"
git log --oneline -1
exec .venv/bin/swarmcast bench sim --scenario flash --peers 8-100 --cap-x 2-4 --seeds 459 --seed-base 542 --adapter shim --jobs 1 --compiled --out bench/results/flash-crowd/sim1000-20261201-s14
