#!/bin/bash
# Session 18: the at-once cell x3 on 0bc746c (hold only, no record prefetch) right after 4b80014's set (same hour), then fresh-clone CI of main.
while kill -0 18659 2>/dev/null; do sleep 5; done
echo "4b80014 at-once done"; date -u
cd /work/wt/lead || exit 1
git checkout -q --detach 0bc746c || exit 1
.venv/bin/pip install -q -e '.[dev]' > /dev/null 2>&1
(cd player-shim && npm ci > /dev/null 2>&1 && npm run build > /dev/null 2>&1) || { echo "build failed"; exit 1; }
git log --oneline -1; date -u
timeout 1200 .venv/bin/swarmcast bench lab --matrix flash --cells 3x-at-once --runs 3 --warmup 40 --separate-signaling --timeline --lock /work/.heavy.lock
echo "atonce 0bc746c rc $?"; date -u
echo "waiting for the lead's go for CI"
while [ ! -f /work/notes/s18/ci-go ]; do sleep 5; done
rm -rf /tmp/ci-check && git clone -q /work/main /tmp/ci-check && cd /tmp/ci-check && git log --oneline -1
echo "ci start"; flock /work/.heavy.lock timeout 2700 env CI=true bash .ci/run > /tmp/ci-check.log 2>&1; echo "ci rc $?"; date -u
echo "done"
