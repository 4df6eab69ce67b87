#!/usr/bin/env bash
# run.sh NAME [sim args...]: the 13 tail seeds of the 1,000-seed run, one variant
name=$1; shift
for s in 852 586 473 394 533 673 795 959 $(cat bench/results/flash-crowd/session21/tail-prior/more); do
  swarmcast bench sim --scenario flash --peers 8-100 --cap-x 2-4 --seeds 1 --seed-base $s --adapter shim --jobs 1 --compiled --out bench/results/flash-crowd/session21/tail-prior/$name "$@" 2>&1 | grep "^sim flash" | sed "s/^/seed $s: /"
done
