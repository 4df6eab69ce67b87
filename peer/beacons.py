"""The Python peer's beacons to the operator (docs/protocol.md §4.7): its bytes, stalls and
start-up time over the signaling connection every `beacon_interval_s`. The peer reports P2P as
on: it is operator-run infrastructure (seeders, load generators) and does not act on the
stream's control (the acks carry it; the loop only logs changes)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from swarmcast.peer.signaling_client import SignalingRefused
from swarmcast.protocol.beacon_schema import MAX_HAVE, MAX_PEERS

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
    return {
        "seq": seq,
        "rendition": node.rendition,
        "p2p": "on",
        "reason": None,
        "ttff_ms": None if startup is None else round(startup * 1000),
        "stalls": int(stats["stalls"]),
        "stall_ms": round((playhead.stalled_s if playhead else 0.0) * 1000),
        "watch_ms": round(watch_s * 1000),
        "http_bytes": int(stats["bytes_from_http"]),
        "p2p_bytes": int(stats["bytes_from_peers"]),
        "upload_bytes": int(stats["bytes_uploaded"]),
        "shadow_saved_bytes": 0,
        "verify_failures": int(stats["verification_failures"]),
        "peers": min(int(stats["peers_connected"]), MAX_PEERS),
        # Not counted by the Python peer (0/0 leaves the stream's success ratio unchanged).
        "conn_attempts": 0,
        "conn_successes": 0,
        "latency_ms": None,
        "have": node.store.complete_seqs()[-MAX_HAVE:],
    }


async def beacon_loop(node: PeerNode, interval_s: float) -> None:
    """Beacon now and every `interval_s`; a refused or lost beacon is skipped (the counters are
    cumulative, the next one carries them)."""
    seq, version = 0, -1
    while True:
        seq += 1
        try:
            control = await node.signaling.beacon(beacon_payload(node, seq))
            if control.version != version:
                version = control.version
                log.info("stream control (not applied by this peer): %s", control.to_json())
        except (TimeoutError, SignalingRefused, OSError) as exc:
            log.debug("beacon %d not delivered: %s", seq, exc)
        except Exception as exc:  # a disconnected client raises its own errors
            log.debug("beacon %d failed: %s", seq, exc)
        await asyncio.sleep(interval_s)
