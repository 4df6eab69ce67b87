#!/bin/bash
# labseq.sh TREE...: one realistic lab run per tree (in order), appending "tree tag row" to ${NOTES:-/work/notes}/lab.log
for t in "$@"; do
  cd $t && (cd player-shim && node build.mjs > /dev/null 2>&1)
  out=$(timeout 2400 .venv/bin/swarmcast bench lab --scenario realistic --scenario-file bench/scenarios/realistic-browsers.toml --runs 1 --timeline --lock /work/.heavy.lock 2>&1 | tail -3)
  md=$(ls -t $t/bench/results/realistic-*.md 2>/dev/null | head -1)
  row=$(grep '^| 1 |' $md | head -1)
  echo "$(date +%H:%M) $(basename $t) $(basename $md .md) $row" >> ${NOTES:-/work/notes}/lab.log
done
