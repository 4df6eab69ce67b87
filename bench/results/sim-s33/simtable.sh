#!/bin/bash
# simtable.sh NAME...: each run's summary line from NAME.log in this directory (stall share
# median / worst seed, offload median), as in README.md's table.
cd "$(dirname "$0")"
for n in "$@"; do
  l=$(grep -h "stall share" "$n.log" 2>/dev/null | tail -1)
  echo "$n $(echo "$l" | sed -E 's/.*offload median ([0-9.]+), stall share median ([0-9.]+) worst ([0-9.]+).*/\2 \3 \1/' | awk '{printf "%.2f / %.2f %%  offload %.3f", 100*$1, 100*$2, $3}')"
done
