"""The addresses a Python peer logs per neighbour from relayed signals (its stats'
`signal_addresses`, the NAT lab's privacy check): what arrived before any filtering, bounded."""

from __future__ import annotations

from types import SimpleNamespace

from swarmcast.peer import swarm_membership
from swarmcast.peer.swarm_membership import SwarmMembership
from swarmcast.protocol.signaling_schema import RelayedSignal

HOST = "candidate:1 1 udp 2122260223 10.77.9.2 50000 typ host"
RELAY = "candidate:3 1 udp 41885439 10.77.200.1 49160 typ relay raddr 0.0.0.0 rport 0"


def test_addresses_are_logged_per_neighbour_and_bounded() -> None:
    node = SimpleNamespace(signal_log={})
    log = SwarmMembership._log_addresses
    log(node, RelayedSignal("peerA", "candidate", {"candidate": HOST}))  # type: ignore[arg-type]
    log(node, RelayedSignal("peerA", "candidate", {"candidate": RELAY}))  # type: ignore[arg-type]
    sdp = f"v=0\r\nc=IN IP4 10.77.200.1\r\na={RELAY}\r\n"
    log(node, RelayedSignal("peerB", "offer", {"type": "offer", "sdp": sdp}))  # type: ignore[arg-type]
    assert node.signal_log == {
        "peerA": {"10.77.9.2", "10.77.200.1", "0.0.0.0"},
        "peerB": {"10.77.200.1", "0.0.0.0"},
    }
    many = "\r\n".join(f"a=candidate:{i} 1 udp 1 10.0.{i}.1 5000 typ host" for i in range(100))
    log(node, RelayedSignal("peerB", "offer", {"type": "offer", "sdp": many}))  # type: ignore[arg-type]
    assert len(node.signal_log["peerB"]) == swarm_membership.MAX_SIGNAL_LOG_ADDRESSES
    for i in range(swarm_membership.MAX_SIGNAL_LOG_PEERS):
        log(node, RelayedSignal(f"p{i}", "candidate", {"candidate": HOST}))  # type: ignore[arg-type]
    assert len(node.signal_log) == swarm_membership.MAX_SIGNAL_LOG_PEERS
