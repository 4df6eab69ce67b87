cd /work/wt/ci && . .venv/bin/activate
run(){ name=$1; shift; nice -n 19 swarmcast bench sim --compiled --jobs 1 "$@" --out /tmp/simfin3/$name >/tmp/simfin3/$name.log 2>&1; echo "$name $(grep '^| shim\|^| peer' /tmp/simfin3/$name/*.md | head -1 | cut -d'|' -f2-8)"; }
SLOW='connect_delay_s=[2.0,5.0]'
S=connect_wait_s=4
run atonce-slow-cw4 --adapter shim --scenario flash --peers 8 --seeds 30 --cap-x 3 --arrival-window 1 --set $SLOW --sched $S
run 3x10-slow-cw4 --adapter shim --scenario flash --peers 8 --seeds 30 --cap-x 3 --arrival-window 10 --set $SLOW --sched $S
run 3x10-cw4 --adapter shim --scenario flash --peers 8 --seeds 30 --cap-x 3 --arrival-window 10 --sched $S
run p40-cw4 --adapter shim --scenario flash --peers 40 --seeds 10 --cap-x 3 --arrival-window 10 --sched $S
run steady-cw4 --adapter shim --scenario steady --peers 8 --seeds 20 --sched $S
run 2x10-cw4 --adapter shim --scenario flash --peers 8 --seeds 30 --cap-x 2 --arrival-window 10 --sched $S
run 4x30-cw4 --adapter shim --scenario flash --peers 8 --seeds 30 --cap-x 4 --arrival-window 30 --sched $S
run peer-3x10-slow-cw4 --adapter peer --scenario flash --peers 8 --seeds 30 --cap-x 3 --arrival-window 10 --set $SLOW --sched $S
echo DONE
