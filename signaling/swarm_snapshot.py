"""The operators' view of swarms (`/api/swarms`, docs/protocol.md §4.6). Pure."""

from __future__ import annotations

from collections import Counter
from typing import Any

from swarmcast.signaling.swarm_matcher import SwarmView


def describe_swarm(name: str, view: SwarmView, now: float, include_peers: bool) -> dict[str, Any]:
    stream, _, rendition = name.partition("/")
    entry: dict[str, Any] = {
        "swarm": name,
        "stream": stream,
        "rendition": rendition,
        "peers": len(view.peers),
        "seeders": sum(peer.seeder for peer in view.peers.values()),
        "links": view.link_count(),
        "prefixes": dict(Counter(peer.prefix for peer in view.peers.values())),
    }
    if include_peers:
        entry["peer_list"] = [
            {
                "peer_id": peer.peer_id,
                "prefix": peer.prefix,
                "neighbours": sorted(view.neighbours(peer.peer_id)),
                "seeder": peer.seeder,
                "upload_budget_bps": peer.upload_budget_bps,
                "age_s": round(now - peer.joined_at, 3),
            }
            for peer in sorted(view.peers.values(), key=lambda p: (p.joined_at, p.peer_id))
        ]
    return entry


def swarms_snapshot(
    views: list[tuple[str, SwarmView]],
    now: float,
    *,
    connections: int,
    bans: int,
    include_peers: bool = True,
) -> dict[str, Any]:
    swarms = [describe_swarm(name, view, now, include_peers) for name, view in views]
    return {
        "time": now,
        "connections": connections,
        "peers": sum(swarm["peers"] for swarm in swarms),
        "swarms": swarms,
        "bans": bans,
    }
