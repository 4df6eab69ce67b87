"""Connection caps of one signaling node (docs/security.md §4.4). Pure bookkeeping.

Tokens and peer ids are free, so caps count what an attacker pays for: a token may hold a
couple of connections (a page's reconnect overlaps the old one), an address more (a household
or a small NAT), a network prefix more again. The per-address cap sits well below the
per-prefix cap, so one address cannot fill its network's share for its neighbours.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from swarmcast.signaling.config import SignalingConfig
from swarmcast.signaling.swarm_matcher import SwarmView


@dataclass
class ConnectionCounter:
    per_token: int
    per_address: int
    per_prefix: int
    _tokens: Counter[str] = field(default_factory=Counter)
    _addresses: Counter[str] = field(default_factory=Counter)
    _prefixes: Counter[str] = field(default_factory=Counter)

    def refusal(
        self, sub: str, address: str, prefix: str, shared_address: bool = False
    ) -> str | None:
        """Why a new connection with these keys is refused, or None when it fits
        (`shared_address`: many viewers behind this address, so no per-address cap)."""
        if self._tokens[sub] >= self.per_token:
            return "too many connections with this token"
        if not shared_address and self._addresses[address] >= self.per_address:
            return "too many connections from your address"
        if self._prefixes[prefix] >= self.per_prefix:
            return "too many connections from your network"
        return None

    def add(self, sub: str, address: str, prefix: str) -> None:
        self._tokens[sub] += 1
        self._addresses[address] += 1
        self._prefixes[prefix] += 1

    def remove(self, sub: str, address: str, prefix: str) -> None:
        for counter, key in (
            (self._tokens, sub),
            (self._addresses, address),
            (self._prefixes, prefix),
        ):
            counter[key] -= 1
            if counter[key] <= 0:
                del counter[key]


def room_refusal(
    config: SignalingConfig,
    stream: str,
    view: SwarmView,
    address: str,
    prefix: str,
    swarm_names: list[str],
    shared_address: bool = False,
) -> tuple[str, str] | None:
    """(code, message) refusing a join to the swarm `view` of `stream`, or None.
    `swarm_names` (every swarm) counts only when this swarm is new: one more of its stream."""
    if view.prefix_count(prefix) >= config.max_peers_per_prefix:
        return "prefix-full", "too many peers from your network here"
    same_address = sum(1 for p in view.peers.values() if p.address == address)
    if not shared_address and same_address >= config.max_peers_per_address:
        return "prefix-full", "too many peers from your address here"
    if not view.peers:
        siblings = sum(name.startswith(f"{stream}/") for name in swarm_names)
        if siblings >= config.max_swarms_per_stream:
            return "unknown-rendition", "too many swarms for this stream"
    return None
