#!/bin/bash
# collect.sh TREE TAG...: copy TREE's lab runs bench/results/TAG (e.g. realistic-20261207-122838)
# into /work/main's bench/results, each run's timeline directory packed as <dir>.tar.gz
set -e
tree=$1; shift
for tag in "$@"; do
  src=$tree/bench/results/$tag; dst=/work/main/bench/results/$tag
  [ -d "$src" ] || { echo "no $src" >&2; exit 1; }
  mkdir -p $dst
  for run in $src/run-*; do
    r=$dst/$(basename $run); mkdir -p $r
    for f in $run/*; do
      if [ -d "$f" ]; then tar czf $r/$(basename $f).tar.gz -C $run $(basename $f)
      else cp $f $r/; fi
    done
  done
  echo $dst
done
