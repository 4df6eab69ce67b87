#!/usr/bin/env bash
# Second series (after run_series.sh, same conventions): this branch with the superseded
# HAVE_PIECES filter (AFTER2) at 12 and 6 viewers, then main's code once more at 12 (its
# round 1 in run_series.sh was lost to a harness bug). Cut to this by the session's time.
set -u
BASE=${BASE:-/tmp/pycpu-base}
AFTER2=${AFTER2:-/tmp/pycpu-after2}
PY=${PY:-/work/wt/pycpu/.venv/bin/python}
OUT=${OUT:-$(dirname "$(readlink -f "$0")")}
(cd "$AFTER2" && "$PY" -m swarmcast.server.cli bench viewers --viewers 12,6 --runs 1 \
  --label "s2-after2-round1" --out "$OUT/raw")
(cd "$BASE" && "$PY" -m swarmcast.server.cli bench viewers --viewers 12 --runs 1 \
  --label "s2-before-round1" --out "$OUT/raw")
