#!/bin/bash
# Session 18: same-hour A/B of the 3x-10s-processes flash cell: 5c4c472 (main before this session) vs 4b80014 (hold 1.2x + record prefetch).
cd /work/wt/lead || exit 1
for C in 5c4c472 4b80014; do
  git checkout -q --detach $C || exit 1
  .venv/bin/pip install -q -e '.[dev]' > /dev/null 2>&1
  (cd player-shim && npm ci > /dev/null 2>&1 && npm run build > /dev/null 2>&1) || { echo "build failed"; exit 1; }
  git log --oneline -1; date -u
  timeout 1500 .venv/bin/swarmcast bench lab --matrix flash --cells 3x-10s-processes --runs 3 --warmup 40 --separate-signaling --timeline --lock /work/.heavy.lock
  echo "ab $C rc $?"; date -u
done
echo "ab done"
