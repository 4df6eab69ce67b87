"""What each peer is told about its neighbours after a swarm change (docs/protocol.md §4.3).
Pure: a plan and the view after it in, `neighbours` payloads and join-ack entries out."""

from __future__ import annotations

from typing import Any

from swarmcast.protocol import signaling_schema as schema
from swarmcast.signaling.swarm_matcher import MatchPlan, SwarmView


def neighbour_updates(
    swarm: str, plan: MatchPlan, after: SwarmView, skip: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """(peer id, `neighbours` event) for everyone the plan touched but `skip` (the joiner,
    told by its ack), in the plan's order."""
    updates = []
    for peer_id, (added, removed) in plan.notifications().items():
        if peer_id == skip or peer_id not in after.peers:
            continue
        entries = []
        for link in added:
            other = link.other(peer_id)
            info = after.peers.get(other)
            if info is not None and other in after.neighbours(peer_id):
                entries.append(schema.NeighbourEntry(other, link.initiator == peer_id, info.seeder))
        if entries or removed:
            updates.append((peer_id, schema.neighbours_event(swarm, entries, sorted(removed))))
    return updates


def joined_entries(peer_id: str, plan: MatchPlan, after: SwarmView) -> list[schema.NeighbourEntry]:
    """The joiner's neighbours for its join ack (it initiates to each)."""
    mine = plan.notifications().get(peer_id, ([], []))[0]
    return [
        schema.NeighbourEntry(
            link.other(peer_id), link.initiator == peer_id, after.peers[link.other(peer_id)].seeder
        )
        for link in mine
    ]


def current_entries(peer_id: str, view: SwarmView) -> list[schema.NeighbourEntry]:
    """A peer's current neighbours (a repeated join), initiator by the peer-id rule (§4.3)."""
    return [
        schema.NeighbourEntry(other, peer_id < other, view.peers[other].seeder)
        for other in sorted(view.neighbours(peer_id))
        if other in view.peers
    ]


def arrivals(peer_id: str, view: SwarmView, now: float, window_s: float) -> schema.JoinArrivals:
    """The join ack's crowd figures: the swarm's size with the joiner, and how many others
    joined within `window_s` of `now` (a newcomer starts from the swarm when a crowd arrives)."""
    others = [info for other, info in view.peers.items() if other != peer_id]
    recent = sum(1 for info in others if now - info.joined_at <= window_s)
    return schema.JoinArrivals(swarm_size=len(others) + 1, recent_joins=recent)
