#!/bin/bash
# sims.sh NAME TREE: L, M, b (quick) then f and t in parallel, all with first_frame_delay_s=0.8, into ${NOTES:-/work/notes}/sim
export SIMRUN_OUT=${NOTES:-/work/notes}/sim
S=/work/main/bench/results/sim-s31/simrun.sh
n=$1; t=$2
for s in L M b; do $S $n-$s-ff $t $s --set first_frame_delay_s=0.8; done
$S $n-f-ff $t f --set first_frame_delay_s=0.8 & $S $n-t-ff $t t --set first_frame_delay_s=0.8 & wait
