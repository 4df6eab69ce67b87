#!/bin/bash
# mkwt.sh NAME [BASE]: worktree /work/wt/NAME at BASE (main) with a venv that borrows main's packages
set -e
name=$1; base=${2:-main}; wt=/work/wt/$name
cd /work/main && git worktree add -b wt-$name $wt $base >/dev/null
python3 -m venv $wt/.venv
echo /work/main/.venv/lib/python3.11/site-packages > $wt/.venv/lib/python3.11/site-packages/main-venv.pth
$wt/.venv/bin/pip install -q --no-deps --no-build-isolation -e $wt > /dev/null 2>&1 || $wt/.venv/bin/pip install -q --no-deps -e $wt
[ -d /work/main/player-shim/node_modules ] && ln -sfn /work/main/player-shim/node_modules $wt/player-shim/node_modules
echo $wt
