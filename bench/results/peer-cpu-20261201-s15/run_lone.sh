#!/usr/bin/env bash
# Lone packets (control messages 250 ms apart: every delayed SACK leaves on its timer), no packet
# counting, alternating off/on, at autogroup nice 19:
#   setsid bash -c 'echo 19 > /proc/self/autogroup; exec bench/results/peer-cpu-20261201-s15/run_lone.sh ROUNDS'
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=bench/results/peer-cpu-20261201-s15/raw/${RAW:-v2}
mkdir -p "$out"
for r in $(seq 1 "${1:-3}"); do
  for delay in 0 200; do
    line=$(scripts/in-netns.sh .venv/bin/python bench/results/peer-cpu-20261201-s15/msg_cost_sack.py 120 16384 "$delay" 250 2>>"$out/stderr.log" | tail -1)
    echo "{\"round\": $r, \"load1_before\": $(cut -d' ' -f1 /proc/loadavg), \"result\": $line}" | tee -a "$out/msg_cost_lone.jsonl"
  done
done
