#!/usr/bin/env bash
# Sparser traffic (a live link: a few messages a second), with packet counts, at autogroup nice 19:
#   setsid bash -c 'echo 19 > /proc/self/autogroup; exec bench/results/peer-cpu-20261201-s15/run_sparse.sh'
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=bench/results/peer-cpu-20261201-s15/raw/${RAW:-v2}
mkdir -p "$out"
for r in 1 2; do
  for spec in "300 100" "120 250"; do
    set -- $spec
    for delay in 0 200; do
      line=$(scripts/in-netns.sh .venv/bin/python bench/results/peer-cpu-20261201-s15/msg_cost_sack.py "$1" 16384 "$delay" "$2" --count 2>>"$out/stderr.log" | tail -1)
      echo "{\"round\": $r, \"load1_before\": $(cut -d' ' -f1 /proc/loadavg), \"result\": $line}" | tee -a "$out/msg_cost_sparse.jsonl"
    done
  done
done
