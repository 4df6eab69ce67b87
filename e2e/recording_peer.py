"""A Python peer (peer/) for e2e tests that records what signaling relays to it: every candidate
line of every offer/answer and every trickled candidate, before the peer's own filter sees them,
and what it sent, so a test can check what reached the Python side (e2e/test_privacy_relay.py).
With `--leaky` it ignores a relay-only stream's policy (gathers and sends host candidates too,
like a modified client would): what signaling then lets through is the server's doing alone.

Usage: python -m swarmcast.e2e.recording_peer --url http://HOST:PORT --stream NAME [--seed]
       [--leaky] [--duration S]; prints `P2P_MARK` on a line of its own once it has sent or
       received a piece over a peer link (so a test can wait for that event), and the node's
       stats JSON with `received_candidates` and `sent_candidates` when it stops.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from swarmcast.e2e.peer_process import peer_parser, print_stats, run_until_stopped
from swarmcast.peer.peer_config import PeerConfig
from swarmcast.protocol import signaling_schema as schema

P2P_MARK = "p2p-bytes-exchanged"


def candidate_lines(kind: str, data: dict[str, Any]) -> list[str]:
    """The ICE candidates in one relayed `signal` payload (SDP lines or a trickled one)."""
    if kind in ("offer", "answer"):
        return [
            line.removeprefix("a=")
            for line in str(data.get("sdp", "")).splitlines()
            if line.startswith("a=candidate:")
        ]
    text = data.get("candidate")
    return [text] if isinstance(text, str) and text else []


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from swarmcast.peer.peer_link import PeerLink
    from swarmcast.peer.peer_node import PeerNode  # aiortc is slow to import
    from swarmcast.peer.signaling_client import SignalingClient

    received: list[str] = []
    sent: list[str] = []
    sdp_addresses: list[str] = []
    send = SignalingClient.signal

    async def recorded_send(client: SignalingClient, to: str, kind: str, data: Any) -> None:
        sent.extend(candidate_lines(kind, data))
        await send(client, to, kind, data)

    SignalingClient.signal = recorded_send  # type: ignore[method-assign,assignment]

    class RecordingPeerNode(PeerNode):
        marked = False

        def _pump(self) -> None:
            super()._pump()
            if self.marked:
                return
            stats = self.stats()  # the figures the final JSON reports
            if stats["bytes_from_peers"] + stats["bytes_uploaded"] > 0:
                self.marked = True
                print(P2P_MARK, flush=True)

        def _new_link(self, peer_id: str, *, initiator: bool) -> PeerLink:
            if args.leaky:
                self._relay_only = False  # keeps the join's TURN servers, drops the policy
            return super()._new_link(peer_id, initiator=initiator)

        async def _on_signal(self, relayed: schema.RelayedSignal) -> None:
            received.extend(candidate_lines(relayed.kind, relayed.data))
            if relayed.kind in ("offer", "answer"):
                sdp_addresses.extend(
                    line
                    for line in str(relayed.data.get("sdp", "")).splitlines()
                    if line.startswith(("c=", "a=rtcp:"))
                )
            await super()._on_signal(relayed)

    config = PeerConfig(args.url, args.stream, rendition=args.rendition, seed=args.seed)
    extra = {
        "received_candidates": received,
        "sent_candidates": sent,
        "sdp_addresses": sdp_addresses,
    }
    return await run_until_stopped(RecordingPeerNode(config), args.duration, lambda: extra)


def main() -> int:
    parser = peer_parser(__doc__)
    parser.add_argument("--seed", action="store_true")
    parser.add_argument("--leaky", action="store_true", help="ignore the relay-only policy")
    return print_stats(run, parser.parse_args(), "recording-peer")


if __name__ == "__main__":
    sys.exit(main())
