#!/usr/bin/env bash
# cpu-sample.sh OUT: every 2 s, machine busy % and the top processes' CPU (by comm), until killed.
out=$1; : > "$out"
read -r _ a b c d e f g h _ < /proc/stat; prev_busy=$((a+b+c+f+g+h)); prev_total=$((a+b+c+d+e+f+g+h))
while sleep 2; do
  read -r _ a b c d e f g h _ < /proc/stat; busy=$((a+b+c+f+g+h)); total=$((a+b+c+d+e+f+g+h))
  echo "$(date +%T) busy $(( 100*(busy-prev_busy)/(total-prev_total) ))% load $(cut -d' ' -f1 /proc/loadavg)" >> "$out"
  prev_busy=$busy; prev_total=$total
done
