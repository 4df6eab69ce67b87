#!/usr/bin/env bash
# Third series, after the lead's browser lab ended (~12:15): main and the landed branch (AFTER2)
# at 12 viewers, interleaved, two rounds. Same conventions as run_series.sh.
set -u
BASE=${BASE:-/tmp/pycpu-base}
AFTER2=${AFTER2:-/tmp/pycpu-after2}
PY=${PY:-/work/wt/pycpu/.venv/bin/python}
OUT=${OUT:-$(dirname "$(readlink -f "$0")")}
for round in 1 2; do
  for side in before after2; do
    tree=$BASE; [ "$side" = after2 ] && tree=$AFTER2
    (cd "$tree" && "$PY" -m swarmcast.server.cli bench viewers --viewers 12 --runs 1 \
      --label "s3-$side-round$round" --out "$OUT/raw")
  done
done
