"""A lying swarm member for e2e/test_shim_swarm.py: the Python peer (peer/) as an edge seeder
whose every PIECE has one bit flipped. Everything else (HELLO, HAVE, choking) is honest, so
browsers take it for a good seeder until they check the bytes against the signed records.

Usage: python -m swarmcast.e2e.shim_corrupt_peer --url http://HOST:PORT --stream NAME
       [--rendition R] [--duration S]; prints the node's stats JSON when it stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from typing import Any

from swarmcast.peer import scheduler_actions as act
from swarmcast.peer.peer_config import PeerConfig
from swarmcast.protocol import wire


def corrupt(data: bytes) -> bytes:
    """The same length, one bit different: only a hash check can tell."""
    return bytes([data[0] ^ 0x01]) + data[1:]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from swarmcast.peer.peer_node import PeerNode  # aiortc is slow to import

    class CorruptingPeerNode(PeerNode):
        corrupted_pieces = 0

        def _dispatch(self, action: act.Action) -> None:
            link = self.links.get(getattr(action, "peer", ""))
            if isinstance(action, act.SendPiece) and link is not None:
                data = self.store.piece(action.seq, action.index)
                if data is not None:
                    self.corrupted_pieces += 1
                    link.send(
                        wire.Piece(action.request_id, action.seq, action.index, corrupt(data))
                    )
                    return
            super()._dispatch(action)

    config = PeerConfig(args.url, args.stream, rendition=args.rendition, seed=True)
    node = CorruptingPeerNode(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await node.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), args.duration)
        return {**node.stats(), "corrupted_pieces": node.corrupted_pieces}
    finally:
        await node.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--stream", required=True)
    parser.add_argument("--rendition")
    parser.add_argument("--duration", type=float, default=60.0)
    logging.basicConfig(
        level=logging.INFO, format="corrupt-peer %(levelname)s %(name)s: %(message)s"
    )
    stats = asyncio.run(run(parser.parse_args()))
    print(json.dumps(stats, sort_keys=True, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
