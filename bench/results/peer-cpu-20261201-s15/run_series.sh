#!/usr/bin/env bash
# Interleaved before/after of the message-cost bench (each run < 10 s CPU), at autogroup nice 19:
#   setsid bash -c 'echo 19 > /proc/self/autogroup; exec bench/results/peer-cpu-20261201-s15/run_series.sh SERIES ROUNDS [MODE...]'
# (series 1: 4 rounds of main off on; series 2: 4 rounds of on off main)
# main  = main's code and session 12's script (PYTHONPATH=/work/main: main 65291e8, as the branch's base)
# off   = this branch, SACK delay 0 (aiortc's SACK per packet)
# on    = this branch, SACK delay 200 ms
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=bench/results/peer-cpu-20261201-s15/raw/${RAW:-v2}
mkdir -p "$out"
series=${1:-1}
rounds=${2:-3}
shift 2 || true
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(main off on)
for r in $(seq 1 "$rounds"); do
  for mode in "${modes[@]}"; do
    case $mode in
      main) cmd=(env PYTHONPATH=/work/main .venv/bin/python /work/main/bench/results/peer-cpu-20261201/msg_cost.py 3000 16384) ;;
      off) cmd=(.venv/bin/python bench/results/peer-cpu-20261201-s15/msg_cost_sack.py 3000 16384 0) ;;
      on) cmd=(.venv/bin/python bench/results/peer-cpu-20261201-s15/msg_cost_sack.py 3000 16384 200) ;;
    esac
    load=$(cut -d' ' -f1 /proc/loadavg)
    main_head=$(git -C /work/main rev-parse --short HEAD)
    line=$(scripts/in-netns.sh "${cmd[@]}" 2>>"$out/stderr.log" | tail -1)
    echo "{\"series\": $series, \"mode\": \"$mode\", \"round\": $r, \"main\": \"$main_head\", \"load1_before\": $load, \"result\": $line}" | tee -a "$out/msg_cost_series.jsonl"
  done
done
