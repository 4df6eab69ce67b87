#!/usr/bin/env bash
# Before/after, interleaved so both see the same (shared, loaded) machine: for each round,
# main's code then this branch's, 6 and 12 viewers, one run each. BASE and AFTER are copies of
# the two trees (so editing the worktree meanwhile changes nothing); PY is the venv's python.
# Run at the lowest priority: setsid bash -c 'echo 19 > /proc/self/autogroup; exec ./run_series.sh'
set -u
BASE=${BASE:-/tmp/pycpu-base}
AFTER=${AFTER:-/tmp/pycpu-after}
PY=${PY:-/work/wt/pycpu/.venv/bin/python}
OUT=${OUT:-$(dirname "$(readlink -f "$0")")}
for round in 1 2 3; do
  for side in before after; do
    tree=$BASE; [ "$side" = after ] && tree=$AFTER
    (cd "$tree" && "$PY" -m swarmcast.server.cli bench viewers --viewers 6,12 --runs 1 \
      --label "$side-round$round" --out "$OUT/raw")
  done
done
