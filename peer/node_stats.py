"""The stats JSON of a Python peer (`swarmcast peer` prints it at the end, on SIGUSR1 and into
--stats-json; the lab reads it): bytes by source, uploads, stalls, verification, scheduler."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from swarmcast.peer.peer_node import PeerNode


def node_stats(node: PeerNode) -> dict[str, Any]:
    sched = node.sched.stats
    playhead = node.playhead
    links = list(node.links.values())
    uploaded = node.uploaded_bytes_closed + sum(link.piece_bytes_sent for link in links)
    return {
        "peer_id": node.peer_id,
        "stream": node.config.stream,
        "rendition": node.rendition,
        "seed": node.config.seed,
        "elapsed_s": round(node.now() - node.started_at, 3),
        "bytes_from_http": node.origin.stats.media_bytes,
        "bytes_from_peers": sched.bytes_from_peers,
        "bytes_uploaded": uploaded,
        "http_other_bytes": node.origin.stats.other_bytes,
        "missed_deadlines": sched.missed_deadlines,
        "stalls": playhead.stalls if playhead else 0,
        "startup_s": playhead.startup_s if playhead else None,
        "verification_failures": node.store.stats.verification_failures,
        "pieces_verified": node.store.stats.pieces_verified,
        "store_audit_failures": node.store.audit_new(),
        "segments_complete": len(node.store.complete_seqs()),
        "peers_connected": sum(1 for link in node.links.values() if link.hello is not None),
        "links": dict(node.link_log),  # neighbour -> seconds until its link opened, or None
        "candidate_pairs": {
            **node.pair_log,
            **{p: pair for p, link in node.links.items() if (pair := link.candidate_pair())},
        },
        # neighbour -> every address its relayed signals showed (the lab's privacy check)
        "signal_addresses": {p: sorted(a) for p, a in node.signal_log.items()},
        "peers_dropped": list(node.dropped_peers),
        # Data-channel messages by wire type since start (closed links included).
        "frames": {
            "sent": dict(sum((link.frames_sent for link in links), node.frames_closed["sent"])),
            "received": dict(
                sum((link.frames_received for link in links), node.frames_closed["received"])
            ),
            "superseded_announcements": node.superseded_announcements,
            "announcements_to_holders": node.announcements_to_holders,
        },
        "scheduler": node.sched.snapshot(),
    }
