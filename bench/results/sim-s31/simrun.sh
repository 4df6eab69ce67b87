#!/bin/bash
# simrun.sh NAME WORKTREE SCEN [extra args...]: one 24-seed sim run into $SIMRUN_OUT (default: this directory) as NAME/ and NAME.log
# b, bk, bf: cable + DSL (small_share 0.4 on 0.2-0.7x up, 1.1-2x down; the rest 0.8-3x up, 3-8x down), bk with the uplink known, bf on a congested origin
# L, Lk, M, T: the realistic lab's small per-rendition swarms, 120 s (../sim-s40/README.md): L 2-4 viewers, half on small links
#   (up 0.3-1.1x, down 1.4-2.5x), the rest 0.8-2.7x up, 2.7-8x down; Lk with uplinks told; M 5-8 viewers; T 2-4 on 1-2x up, 1.1-2x down
O=${SIMRUN_OUT:-$(cd "$(dirname "$0")" && pwd)}; name=$1; dir=$2; scen=$3; shift 3
B="--peers 8-40 --seeds 24 --duration 60 --jobs 1"
case $scen in
  s) A="--scenario steady --cap-x 20 --set peer_down_x=1.1,2";;
  t) A="--scenario flash --cap-x 2-4 --set peer_down_x=1.1,2";;
  f) A="--scenario flash --cap-x 2-4";;
  u) A="--scenario steady --cap-x 20 --set peer_down_x=1.1,2 --set peer_up_x=0.3,1.5";;
  w) A="--scenario steady --cap-x 20 --set peer_down_x=1.1,6";;
  wf) A="--scenario flash --cap-x 2-4 --set peer_down_x=1.1,6";;
  uk) A="--scenario steady --cap-x 20 --set peer_down_x=1.1,2 --set peer_up_x=0.3,1.5 --set uplink_known_share=0.9";;
  b) A="--scenario steady --cap-x 20 --set peer_down_x=3,8 --set peer_up_x=0.8,3 --set small_share=0.4";;
  bk) A="--scenario steady --cap-x 20 --set peer_down_x=3,8 --set peer_up_x=0.8,3 --set small_share=0.4 --set uplink_known_share=0.9";;
  bf) A="--scenario flash --cap-x 2-4 --set peer_down_x=3,8 --set peer_up_x=0.8,3 --set small_share=0.4";;
  L|Lk|M) A="--scenario steady --cap-x 20 --set small_share=0.5 --set small_up_x=0.3,1.1 --set small_down_x=1.4,2.5 --set peer_up_x=0.8,2.7 --set peer_down_x=2.7,8"
     B="--peers 2-4 --seeds 24 --duration 120 --jobs 2"
     [ $scen = Lk ] && A="$A --set uplink_known_share=0.8"; [ $scen = M ] && B="--peers 5-8 --seeds 24 --duration 120 --jobs 2";;
  T) A="--scenario steady --cap-x 20 --set peer_up_x=1,2 --set peer_down_x=1.1,2"; B="--peers 2-4 --seeds 24 --duration 120 --jobs 2";;
esac
cd $dir && nice -n 19 .venv/bin/swarmcast bench sim $A $B "$@" --out $O/$name > $O/$name.log 2>&1
echo "$name: $(grep -v wrote $O/$name.log | tail -1)"
