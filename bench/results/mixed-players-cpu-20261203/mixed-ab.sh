#!/usr/bin/env bash
# mixed-ab.sh N: alternately run the mixed-players e2e on main (uplink wt, 360p) and the 240p variant (exp wt), N times each.
for i in $(seq 1 "$1"); do
  for wt in uplink exp; do
    /work/notes/s23/cpu-sample.sh /work/notes/s23/cpu-ab-$wt-$i.log & s=$!
    (cd /work/wt/$wt && flock /work/.heavy.lock timeout 600 scripts/in-netns.sh .venv/bin/python -m pytest e2e/test_mixed_players.py -x -q -s > /work/notes/s23/mixed-ab-$wt-$i.log 2>&1)
    kill $s
    echo "$wt $i: $(grep -E 'passed|failed in' /work/notes/s23/mixed-ab-$wt-$i.log | tail -1) stalls: $(grep -oE '^[a-z]+[01]: first frame [0-9]+ ms, stalls [0-9]+' /work/notes/s23/mixed-ab-$wt-$i.log | awk '{print $1 $NF}' | tr '\n' ' ') cpu-mean: $(awk '{gsub("%","",$3); s+=$3; n++} END {print s/n}' /work/notes/s23/cpu-ab-$wt-$i.log)"
  done
done
echo done
