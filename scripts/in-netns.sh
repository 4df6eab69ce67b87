#!/usr/bin/env bash
# Runs a command inside a fresh, private network namespace so that tests can only reach
# addresses made here: loopback (plus 127.0.0.2, which aioice will use) and a veth pair
# 10.77.0.1 <-> 10.77.0.2. WebRTC candidates gathered in tests are these addresses only.
# Usage: scripts/in-netns.sh COMMAND [ARGS...]
set -euo pipefail
if [ "${SWARMCAST_NETNS:-}" = 1 ]; then
  exec "$@"
fi
exec unshare --net --fork -- bash -c '
  set -e
  ip link set lo up
  ip addr add 127.0.0.2/8 dev lo 2>/dev/null || true
  ip link add swc0 type veth peer name swc1
  ip addr add 10.77.0.1/24 dev swc0
  ip addr add 10.77.0.2/24 dev swc1
  ip link set swc0 up
  ip link set swc1 up
  export SWARMCAST_NETNS=1
  exec "$@"
' in-netns "$@"
