"""The shared skeleton of the e2e test peers (`shim_corrupt_peer`, `recording_peer`): a Python
peer (peer/) that runs until SIGTERM or `--duration`, then prints its stats JSON on stdout."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from swarmcast.peer.peer_node import PeerNode


def peer_parser(description: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", required=True)
    parser.add_argument("--stream", required=True)
    parser.add_argument("--rendition")
    parser.add_argument("--duration", type=float, default=60.0)
    return parser


async def run_until_stopped(
    node: PeerNode, duration_s: float, extra: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """Start `node`, wait for SIGTERM or `duration_s`, return its stats plus `extra()` (taken
    before it stops, so open links are still listed), stop it."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await node.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), duration_s)
        return {**node.stats(), **extra()}
    finally:
        await node.stop()


def print_stats(
    run: Callable[[argparse.Namespace], Coroutine[Any, Any, dict[str, Any]]],
    args: argparse.Namespace,
    log_name: str,
) -> int:
    logging.basicConfig(
        level=logging.INFO, format=f"{log_name} %(levelname)s %(name)s: %(message)s"
    )
    stats = asyncio.run(run(args))
    print(json.dumps(stats, sort_keys=True, default=str), flush=True)
    return 0
