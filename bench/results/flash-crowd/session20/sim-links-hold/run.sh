cd /work/wt/ci && . .venv/bin/activate
run(){ name=$1; shift; nice -n 19 swarmcast bench sim --compiled --jobs 1 "$@" --out /tmp/simfin2/$name >/tmp/simfin2/$name.log 2>&1; echo "$name $(grep '^| shim\|^| peer' /tmp/simfin2/$name/*.md | head -1 | cut -d'|' -f2-8)"; }
mkdir -p /tmp/simfin2
SLOW='connect_delay_s=[2.0,5.0]'
run p40-once --adapter shim --scenario flash --peers 40 --seeds 10 --cap-x 3 --arrival-window 10
run p40-slow-once --adapter shim --scenario flash --peers 40 --seeds 10 --cap-x 3 --arrival-window 10 --set $SLOW
run 3x10-slow-once --adapter shim --scenario flash --peers 8 --seeds 30 --cap-x 3 --arrival-window 10 --set $SLOW
run 2x10-slow-once --adapter shim --scenario flash --peers 8 --seeds 30 --cap-x 2 --arrival-window 10 --set $SLOW
run atonce-slow-once --adapter shim --scenario flash --peers 8 --seeds 30 --cap-x 3 --arrival-window 1 --set $SLOW
run atonce-def-once --adapter shim --scenario flash --peers 8 --seeds 30 --cap-x 3 --arrival-window 1
run 2x10-once --adapter shim --scenario flash --peers 8 --seeds 30 --cap-x 2 --arrival-window 10
run 3x10-once --adapter shim --scenario flash --peers 8 --seeds 30 --cap-x 3 --arrival-window 10
run 4x30-once --adapter shim --scenario flash --peers 8 --seeds 30 --cap-x 4 --arrival-window 30
run steady-once --adapter shim --scenario steady --peers 8 --seeds 20
run peer-3x10-once --adapter peer --scenario flash --peers 8 --seeds 30 --cap-x 3 --arrival-window 10
run peer-3x10-slow-once --adapter peer --scenario flash --peers 8 --seeds 30 --cap-x 3 --arrival-window 10 --set $SLOW
run peer-3x10-slow-h0 --adapter peer --scenario flash --peers 8 --seeds 30 --cap-x 3 --arrival-window 10 --set $SLOW --sched connect_hold_s=0
run peer-3x10-h0 --adapter peer --scenario flash --peers 8 --seeds 30 --cap-x 3 --arrival-window 10 --sched connect_hold_s=0
echo DONE
