#!/usr/bin/env bash
# Python viewers before/after, interleaved so both see the same (shared, loaded) machine: for
# each round, main's code (c5d9c03) then this branch's, 6 viewers, one run each, 30 s window.
# BEFORE and AFTER are copies of the two trees (editing the worktree meanwhile changes nothing);
# PY is the venv's python. Run at the lowest priority:
#   setsid bash -c 'echo 19 > /proc/self/autogroup; exec ./run_viewers.sh'
set -u
BEFORE=${BEFORE:-/tmp/haves-mainsnap}
AFTER=${AFTER:-/tmp/haves-final}
PY=${PY:-/work/wt/haves/.venv/bin/python}
OUT=${OUT:-$(dirname "$(readlink -f "$0")")/raw/viewers}
mkdir -p "$OUT"
for round in 1 2 3; do
  for side in before after; do
    tree=$BEFORE; [ "$side" = after ] && tree=$AFTER
    (cd "$tree" && PYTHONPATH="$tree" "$PY" -m swarmcast.server.cli bench viewers --viewers 6 \
      --runs 1 --duration 30 --label "$side-round$round" --out "$OUT")
  done
done
