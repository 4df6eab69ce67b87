#!/bin/bash
# RATE=<kbit/s> unshare -n ./run.sh HIGH_WATER TOTAL: dc.py in this (new) network namespace,
# loopback capped by tbf (README.md).
set -e
here=$(cd "$(dirname "$0")" && pwd)
ip link set lo up
ip link add v0 type veth peer name v1; ip addr add 10.77.99.1/24 dev v0; ip link set v0 up; ip link set v1 up
ip route add default dev v0
tc qdisc add dev lo root tbf rate ${RATE:-1000}kbit burst 3028 latency 200ms
"$here/../../../.venv/bin/python" "$here/dc.py" "$@"
