"""The Python peer's beacons to the operator (docs/protocol.md §4.7): its bytes, stalls,
start-up time, P2P mode and reason, shadow savings and upload capacity over the signaling
connection every `beacon_interval_s`. Each ack carries the stream's control, which the node
applies (`PeerNode.on_control`), like a pushed `control` event."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from swarmcast.peer.signaling_client import SignalingRefused
from swarmcast.protocol.beacon_schema import MAX_HAVE, MAX_PEERS, PAIR_TYPES

if TYPE_CHECKING:
    from swarmcast.peer.peer_node import PeerNode

log = logging.getLogger(__name__)


def beacon_payload(node: PeerNode, seq: int) -> dict[str, Any]:
    """A beacon from the peer's stats (cumulative since it started)."""
    stats = node.stats()
    playhead = node.playhead
    startup = stats.get("startup_s")
    watch_s = 0.0
    if playhead is not None and playhead.started and startup is not None:
        watch_s = max(0.0, stats["elapsed_s"] - startup - playhead.stalled_s)
    operator = node.operator
    capacity = operator.upload_capacity_bps(node.uplink.capacity_bps())
    return {
        "seq": seq,
        "rendition": node.rendition,
        "p2p": operator.mode,
        "reason": operator.reason,
        "ttff_ms": None if startup is None else round(startup * 1000),
        "stalls": int(stats["stalls"]),
        "stall_ms": round((playhead.stalled_s if playhead else 0.0) * 1000),
        "watch_ms": round(watch_s * 1000),
        "http_bytes": int(stats["bytes_from_http"]),
        "p2p_bytes": int(stats["bytes_from_peers"]),
        "upload_bytes": int(stats["bytes_uploaded"]),
        "shadow_saved_bytes": operator.shadow_saved_bytes,
        "verify_failures": int(stats["verification_failures"]),
        "peers": min(int(stats["peers_connected"]), MAX_PEERS),
        **connection_counts(node),
        "latency_ms": None,
        "have": node.store.complete_seqs()[-MAX_HAVE:],
        "upload_capacity_bps": capacity,
    }


def connection_counts(node: PeerNode) -> dict[str, Any]:
    """Neighbours the peer tried to connect to, those whose data channel opened, and the local
    candidate type of each opened link's selected ICE pair (as the shim counts them)."""
    pairs = dict.fromkeys(PAIR_TYPES, 0)
    selected = {**node.pair_log}
    for peer_id, link in node.links.items():
        if pair := link.candidate_pair():
            selected[peer_id] = pair
    for pair in selected.values():
        local_type = pair.split("/", 1)[0]
        if local_type in pairs:
            pairs[local_type] += 1
    return {
        "conn_attempts": len(node.link_log),
        "conn_successes": sum(1 for opened_at in node.link_log.values() if opened_at is not None),
        "pairs": pairs,
    }


async def send_beacon(node: PeerNode, seq: int) -> None:
    """One beacon; its ack's control goes to the node."""
    control = await node.signaling.beacon(beacon_payload(node, seq))
    await node.on_control(control)


async def beacon_loop(node: PeerNode, interval_s: float, first_seq: int = 1) -> None:
    """Beacon now and every `interval_s`; a refused or lost beacon is skipped (the counters are
    cumulative, the next one carries them)."""
    seq = first_seq - 1
    while True:
        seq += 1
        try:
            await send_beacon(node, seq)
        except (TimeoutError, SignalingRefused, OSError) as exc:
            log.debug("beacon %d not delivered: %s", seq, exc)
        except Exception as exc:  # a disconnected client raises its own errors
            log.debug("beacon %d failed: %s", seq, exc)
        await asyncio.sleep(interval_s)
