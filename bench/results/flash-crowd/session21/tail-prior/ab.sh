#!/usr/bin/env bash
S=swarmcast
for v in base prior300k; do
  a=""; [ $v = prior300k ] && a="--sched http_rate_estimate_bytes_per_s=300000"
  echo "== $v"
  $S bench sim --scenario flash --peers 8 --cap-x 3 --arrival-window 10 --seeds 30 --adapter shim --jobs 2 --compiled $a --out bench/results/flash-crowd/session21/tail-prior/ab 2>&1 | grep "^sim flash" | sed 's/^/8v 3x 10s: /'
  $S bench sim --scenario flash --peers 8 --cap-x 2 --arrival-window 10 --seeds 30 --adapter shim --jobs 2 --compiled $a --out bench/results/flash-crowd/session21/tail-prior/ab 2>&1 | grep "^sim flash" | sed 's/^/8v 2x 10s: /'
  $S bench sim --scenario flash --peers 8 --cap-x 3 --arrival-window 0.01 --seeds 30 --adapter shim --jobs 2 --compiled $a --out bench/results/flash-crowd/session21/tail-prior/ab 2>&1 | grep "^sim flash" | sed 's/^/8v 3x once: /'
  $S bench sim --scenario flash --peers 8 --cap-x 2 --arrival-window 10 --seeds 30 --adapter shim --jobs 2 --compiled $a --set 'connect_delay_s=[2.0,5.0]' --out bench/results/flash-crowd/session21/tail-prior/ab 2>&1 | grep "^sim flash" | sed 's/^/8v 2x slow links: /'
  $S bench sim --scenario steady --peers 20 --seeds 6 --adapter shim --jobs 2 --compiled $a --out bench/results/flash-crowd/session21/tail-prior/ab 2>&1 | grep "^sim steady" | sed 's/^/steady 20: /'
  $S bench sim --scenario steady --peers 20 --seeds 6 --cap-x 40 --adapter shim --jobs 2 --compiled $a --set 'peer_up_x=[0.2,2.6]' --set bitrate_bps=753000 --set uplink_known_share=0.9 --out bench/results/flash-crowd/session21/tail-prior/ab 2>&1 | grep "^sim steady" | sed 's/^/small uplinks told: /'
  $S bench sim --scenario steady --peers 20 --seeds 6 --cap-x 40 --adapter shim --jobs 2 --compiled $a --set 'peer_up_x=[0.2,2.6]' --set bitrate_bps=753000 --out bench/results/flash-crowd/session21/tail-prior/ab 2>&1 | grep "^sim steady" | sed 's/^/small uplinks untold: /'
done
