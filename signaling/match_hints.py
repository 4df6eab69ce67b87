"""What the matcher learns beyond a join (docs/protocol.md §4.4), pure: which neighbour pairs
opened directly or only through a TURN relay (`path` events) or never opened (`failed`: an
`unreachable` report), which members so far reached nobody directly (a symmetric NAT, say), and
each member's upload as its beacons measure it.

The matcher ranks candidates with `reach_tier` (a known-direct pair, then an unknown one, then a
pair known or expected to need a relay) and `upload_bps` (the beacon's figure over the join's
announcement), so members that can connect directly are linked first and upload goes where
there is some.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

# A member whose links went through a relay with this many distinct neighbours, and directly
# with none, is expected to need a relay with anyone (a symmetric NAT meets a port-restricted
# one only through TURN).
RELAYED_AFTER: Final = 2

FAILED: Final = "failed"
"""The path of a pair whose link never opened (recorded from an `unreachable` report)."""


@dataclass(frozen=True, slots=True)
class MatchHints:
    paths: Mapping[frozenset[str], str] = field(default_factory=lambda: MappingProxyType({}))
    relayed: frozenset[str] = frozenset()
    upload: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def reach_tier(self, a: str, b: str) -> int:
        """2: the pair opened directly before; 1: unknown; 0: it needed a relay or never opened,
        or one side has needed one (or failed) with everybody so far."""
        known = self.paths.get(frozenset((a, b)))
        if known == "direct":
            return 2
        if known is not None or a in self.relayed or b in self.relayed:
            return 0
        return 1

    def upload_bps(self, peer_id: str, announced: int) -> int:
        """The member's upload: what its beacons report, else what it announced at join."""
        return self.upload.get(peer_id, announced)


NO_HINTS: Final = MatchHints()


def relayed_members(paths: Mapping[frozenset[str], str]) -> frozenset[str]:
    """Members with >= RELAYED_AFTER relayed or failed links and no direct one."""
    relays: dict[str, int] = {}
    direct: set[str] = set()
    for pair, path in paths.items():
        for member in pair:
            if path == "direct":
                direct.add(member)
            else:
                relays[member] = relays.get(member, 0) + 1
    return frozenset(m for m, n in relays.items() if n >= RELAYED_AFTER and m not in direct)
