"""One signaling connection's state, local to the node that holds it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from protocol.token_bucket import TokenBucket
from signaling.swarm_matcher import PeerInfo


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
    events: TokenBucket
    joins: TokenBucket
    swarm: str | None = None
    info: PeerInfo | None = None
    refusals_in_a_row: int = 0
    closed: bool = False
    # Join, leave, report and disconnect of one connection never interleave.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
