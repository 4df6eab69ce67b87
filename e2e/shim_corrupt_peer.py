"""A lying swarm member for e2e/test_shim_swarm.py and e2e/test_mixed_players.py: the Python
peer (peer/) as an edge seeder whose every PIECE has one bit flipped. Everything else (HELLO,
HAVE, choking) is honest, so browsers take it for a good seeder until they check the bytes
against the signed records.

Usage: python -m swarmcast.e2e.shim_corrupt_peer --url http://HOST:PORT --stream NAME
       [--rendition R] [--duration S]; prints the node's stats JSON when it stops. Tests start
it with `running(...)`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from swarmcast.e2e.peer_process import peer_parser, print_stats, run_until_stopped
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
    return await run_until_stopped(
        node, args.duration, lambda: {"corrupted_pieces": node.corrupted_pieces}
    )


@contextlib.contextmanager
def running(url: str, stream: str, rendition: str, duration_s: float) -> Iterator[list[str]]:
    """This peer as a subprocess of the test; yields a list that holds its stats JSON (the last
    lines it printed) once it stopped."""
    process = subprocess.Popen(
        [sys.executable, "-m", "swarmcast.e2e.shim_corrupt_peer", "--url", url.rstrip("/"),
         "--stream", stream, "--rendition", rendition, "--duration", str(duration_s)],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=None,
        text=True,
    )  # fmt: skip
    output: list[str] = []
    try:
        yield output
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            out, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        output.append(out[-2000:] if out else "")
        print("corrupting peer stats:", output[-1] or None)


def main() -> int:
    return print_stats(run, peer_parser(__doc__).parse_args(), "corrupt-peer")


if __name__ == "__main__":
    sys.exit(main())
