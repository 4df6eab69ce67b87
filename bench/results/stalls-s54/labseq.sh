#!/bin/bash
# labseq.sh TREE[+edge]...: one realistic lab run per tree (in order; "+edge" adds --page-edge),
# appending "arm tag row" to ${NOTES:-/work/notes/s54}/lab.log (arm = tree basename, +edge)
for spec in "$@"; do
  t=${spec%+edge}; extra=""; arm=$(basename $t)
  [ "$spec" != "$t" ] && { extra="--page-edge"; arm="$arm+edge"; }
  cd $t && (cd player-shim && node build.mjs > /dev/null 2>&1)
  out=$(timeout 2400 .venv/bin/swarmcast bench lab --scenario realistic --scenario-file bench/scenarios/realistic-browsers.toml --runs 1 --timeline $extra --lock /work/.heavy.lock 2>&1 | tail -3)
  md=$(ls -t $t/bench/results/realistic-*.md 2>/dev/null | head -1)
  row=$(grep '^| 1 |' $md | head -1)
  echo "$(date +%H:%M) $arm $(basename $md .md) $row" >> ${NOTES:-/work/notes/s54}/lab.log
done
