#!/bin/bash
# ns.sh up|down : two namespaces bxA (10.77.201.1) <-> bxB (10.77.201.2), A's uplink 1264 kbit, B's 150 kbit (lab's tbf)
set -e
if [ "$1" = down ]; then ip netns del bxA 2>/dev/null; ip netns del bxB 2>/dev/null; exit 0; fi
ip netns add bxA; ip netns add bxB
ip link add bxa type veth peer name bxb
ip link set bxa netns bxA; ip link set bxb netns bxB
ip -n bxA addr add 10.77.201.1/24 dev bxa; ip -n bxB addr add 10.77.201.2/24 dev bxb
for n in A B; do ip -n bx$n link set lo up; done
ip -n bxA link set bxa up; ip -n bxB link set bxb up
ip -n bxA route add default via 10.77.201.2; ip -n bxB route add default via 10.77.201.1
tc -n bxA qdisc replace dev bxa root tbf rate ${UPA:-1264}kbit burst $(( ${UPA:-1264}*1000/8/50 > 3028 ? ${UPA:-1264}*1000/8/50 : 3028 )) latency 200ms
tc -n bxB qdisc replace dev bxb root tbf rate ${UPB:-150}kbit burst 3028 latency 200ms
