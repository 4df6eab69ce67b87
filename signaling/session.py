"""What the signaling server knows about one connection (local to the node that holds it)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from swarmcast.signaling.admission import EventGate
from swarmcast.signaling.swarm_matcher import PeerInfo


def peer_room(peer_id: str) -> str:
    """Every connection sits in the room of its peer id: emits reach it on any node."""
    return f"peer:{peer_id}"


@dataclass
class Session:
    """What the server knows about one connection (local to the node that holds it)."""

    sid: str
    peer_id: str
    sub: str
    stream: str
    address: str  # host key (signaling.netaddr.host_key)
    prefix: str
    seeder_token: bool
    gate: EventGate
    swarm: str | None = None
    info: PeerInfo | None = None
    # From a configured shared-address network: no per-address caps (SignalingConfig).
    shared_address: bool = False
    closed: bool = False
    # Join, leave, report and disconnect of one connection never interleave.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
