#!/bin/bash
cd /work/wt/stagger
echo 19 > /proc/self/autogroup
.venv/bin/swarmcast bench sim --scenario flash --peers 8-100 --cap-x 2-4 --seeds 10 --adapter shim --jobs 1 --compiled --out /work/notes/s15/sim-base10
.venv/bin/swarmcast bench sim --scenario flash --peers 8-100 --cap-x 2-4 --seeds 150 --adapter shim --jobs 1 --compiled --set live_sync_count=4 --time-budget 3000 --out /work/notes/s15/sim-ls4
#!/bin/bash
# The origin-copy-rate rule (wt-stagger, uncommitted) in the simulator: targeted seeds, then seeds 1-150 (baseline: session 13's 1,000-seed set, same digests on 65291e8).
cd /work/wt/stagger
echo 19 > /proc/self/autogroup
while pgrep -f "sim-ls4" > /dev/null; do sleep 10; done
for s in 394 210 585; do
  .venv/bin/swarmcast bench sim --scenario flash --peers 8-100 --cap-x 2-4 --seed-base $s --seeds 1 --adapter shim --jobs 1 --compiled --out /work/notes/s15/sim-ocr-seeds
done
.venv/bin/swarmcast bench sim --scenario flash --peers 8 --cap-x 3 --arrival-window 10 --seeds 20 --adapter shim --jobs 1 --compiled --out /work/notes/s15/sim-ocr-8p
.venv/bin/swarmcast bench sim --scenario flash --peers 8-100 --cap-x 2-4 --seeds 150 --adapter shim --jobs 1 --compiled --time-budget 2400 --out /work/notes/s15/sim-ocr150
#!/bin/bash
# After the lab suite: origin_copy_rate on heterogeneous small uplinks (session 12's het-uplinks check), on vs off; and the off switch's digests against the baseline.
while kill -0 $(cat /work/notes/s15/suite.pid) 2>/dev/null; do sleep 5; done
cd /work/wt/stagger
B=".venv/bin/swarmcast bench sim"
$B --scenario steady --peers 20 --seeds 6 --cap-x 40 --adapter shim,peer --set 'peer_up_x=[0.2,2.6]' --set bitrate_bps=753000 --jobs 2 --compiled --out /work/notes/s15/sim-het-on
$B --scenario steady --peers 20 --seeds 6 --cap-x 40 --adapter shim,peer --set 'peer_up_x=[0.2,2.6]' --set bitrate_bps=753000 --jobs 2 --compiled --sched origin_copy_rate=false --out /work/notes/s15/sim-het-off
$B --scenario flash --peers 8-100 --cap-x 2-4 --seeds 10 --adapter shim --jobs 2 --compiled --sched origin_copy_rate=false --out /work/notes/s15/sim-off10
#!/bin/bash
cd /work/wt/stagger
B=".venv/bin/swarmcast bench sim"
$B --scenario steady --peers 20 --seeds 6 --cap-x 40 --adapter shim,peer --set 'peer_up_x=[0.2,2.6]' --set bitrate_bps=753000 --jobs 2 --compiled --out /work/notes/s15/sim-refA-het
$B --scenario flash --peers 8-100 --cap-x 2-4 --seeds 150 --adapter shim --jobs 2 --compiled --out /work/notes/s15/sim-refA-150
# het-uplinks-known-0.9-*: the same steady command with --set uplink_known_share=0.9 (and --sched origin_copy_rate=false for off), on the below-bitrate variant
