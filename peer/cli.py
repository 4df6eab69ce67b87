"""`swarmcast peer`: a headless viewer (simulated player) or an edge seeder (`--seed`).

    swarmcast peer --url http://127.0.0.1:8080 --stream demo --rendition 360p --duration 60
    swarmcast peer --url http://127.0.0.1:8080 --stream demo --seed

Prints its stats as JSON (bytes from HTTP, from peers, uploaded, missed deadlines,
verification failures, ...) at the end and whenever it gets SIGUSR1. Defaults live in
`PeerConfig` / `SchedulerConfig`; flags only override them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from swarmcast.peer.event_timeline import DEFAULT_TIMELINE_CAPACITY
from swarmcast.peer.peer_config import IceServerConfig, PeerConfig
from swarmcast.peer.scheduler_config import SchedulerConfig

log = logging.getLogger(__name__)
PROFILE_ENV = "SWARMCAST_PEER_CPROFILE"
"""Set to a file path: the peer runs under cProfile (CPU time) and writes its stats there."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "peer",
        help="run a headless viewer or an edge seeder in a swarm",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(func=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", required=True, help="origin base URL, e.g. http://HOST:8080")
    parser.add_argument("--stream", required=True, help="stream name")
    parser.add_argument("--rendition", help="rendition to join (default: the first listed)")
    parser.add_argument("--seed", action="store_true", help="edge seeder: fetch all, serve peers")
    parser.add_argument("--duration", type=float, help="seconds to run (default: until Ctrl-C)")
    parser.add_argument("--stats-json", type=Path, help="also write the stats JSON to this file")
    parser.add_argument(
        "--stats-interval",
        type=float,
        default=5.0,
        help="rewrite --stats-json every this many seconds while running (default 5)",
    )
    parser.add_argument("--signaling-url", help="signaling server (default: the origin)")
    parser.add_argument(
        "--token-secret",
        help="the operator's token secret (or SWARMCAST_TOKEN_SECRET): mint tokens locally, "
        "seeder tokens with --seed, instead of asking /api/token",
    )
    parser.add_argument(
        "--ice-server",
        action="append",
        default=[],
        metavar="URL",
        help="STUN/TURN URL (repeatable); none by default (host candidates only)",
    )
    parser.add_argument(
        "--use-signaling-ice", action="store_true", help="also use signaling's ICE servers"
    )
    parser.add_argument("--max-neighbours", type=int, help="ask signaling for this many")
    parser.add_argument(
        "--no-p2p", action="store_true", help="every byte from the origin (a CDN-only baseline)"
    )
    parser.add_argument("--upload-slots", type=int, help="peers served at once")
    parser.add_argument("--upload-rate", type=float, help="upload cap in bytes/s")
    parser.add_argument(
        "--upload-share-of-measured", type=float, metavar="SHARE",
        help="with no --upload-rate: cap the upload at this share of the uplink measured while"
        " the data channels back up, on an uplink below the stream's bitrate"
        " (default 0.7; 0: no cap)",
    )  # fmt: skip
    parser.add_argument("--live-delay", type=float, help="start this many segments behind live")
    parser.add_argument(
        "--viewer-key", help="stable key for the operator's ramp-up cohort (default: random)"
    )
    parser.add_argument(
        "--timeline", type=Path, metavar="FILE",
        help="record a timeline (segments, transfers, decisions, stalls); JSON to FILE on exit",
    )  # fmt: skip


def config_from_args(args: argparse.Namespace) -> PeerConfig:
    scheduler: dict[str, Any] = {}
    if args.upload_slots is not None:
        scheduler["upload_slots"] = args.upload_slots
    if args.upload_rate is not None:
        scheduler["upload_rate_bytes_per_s"] = args.upload_rate
    overrides: dict[str, Any] = {
        "rendition": args.rendition,
        "seed": args.seed,
        "signaling_url": args.signaling_url,
        "ice_servers": tuple(IceServerConfig((url,)) for url in args.ice_server),
        "use_signaling_ice_servers": args.use_signaling_ice,
        "max_neighbours": args.max_neighbours,
        "p2p": not getattr(args, "no_p2p", False),
        "viewer_key": getattr(args, "viewer_key", None),
        "scheduler": SchedulerConfig().with_overrides(scheduler),
    }
    if args.live_delay is not None:
        overrides["live_delay_segments"] = args.live_delay
    if getattr(args, "upload_share_of_measured", None) is not None:
        overrides["upload_share_of_measured"] = args.upload_share_of_measured
    if getattr(args, "timeline", None) is not None:
        overrides["timeline_capacity"] = DEFAULT_TIMELINE_CAPACITY
    secret = args.token_secret or os.environ.get("SWARMCAST_TOKEN_SECRET")
    if secret:
        overrides["token_secret"] = secret.encode()
    return dataclasses.replace(PeerConfig(args.url, args.stream), **overrides)


def emit_stats(stats: dict[str, Any], path: Path | None) -> None:
    text = json.dumps(stats, sort_keys=True)
    print(text, flush=True)
    if path is not None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text + "\n")
        tmp.replace(path)


async def _write_stats_periodically(node: Any, path: Path, interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        text = json.dumps(node.stats(), sort_keys=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text + "\n")
        tmp.replace(path)


async def run_peer(
    config: PeerConfig,
    duration: float | None,
    stats_path: Path | None,
    stats_interval_s: float = 5.0,
    timeline_path: Path | None = None,
) -> int:
    from swarmcast.peer.peer_node import PeerNode  # aiortc is slow to import; only when running

    node = PeerNode(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(
        signal.SIGUSR1, lambda: emit_stats(node.stats(), stats_path) if node.peer_id else None
    )
    writer: asyncio.Task[None] | None = None
    try:
        await node.start()
        if stats_path is not None:
            writer = asyncio.create_task(
                _write_stats_periodically(node, stats_path, stats_interval_s)
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), duration)
        if writer is not None:
            writer.cancel()
        emit_stats(node.stats(), stats_path)
    finally:
        if writer is not None:
            writer.cancel()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1):
            loop.remove_signal_handler(signum)
        await node.stop()
        if timeline_path is not None:
            timeline_path.write_text(json.dumps(node.tl.dump(), separators=(",", ":")))
    return 0


def run(args: argparse.Namespace) -> int:
    # SIGUSR1 asks for stats; until the loop handles it, it must not kill the process.
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    if not getattr(args, "verbose", False):
        # aioice logs every candidate pair at INFO; keep the peer's own log readable.
        for name in ("aioice", "aiortc"):
            logging.getLogger(name).setLevel(logging.WARNING)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"swarmcast peer: {exc}", file=sys.stderr)
        return 2
    try:
        timeline = getattr(args, "timeline", None)
        peer = run_peer(config, args.duration, args.stats_json, args.stats_interval, timeline)
        profile_path = os.environ.get(PROFILE_ENV)
        if profile_path:
            return _profiled(peer, Path(profile_path))
        return asyncio.run(peer)
    except Exception as exc:
        log.error("peer failed: %s", exc, exc_info=log.isEnabledFor(logging.DEBUG))
        return 1


def _profiled(peer: Coroutine[Any, Any, int], path: Path) -> int:
    """Run under cProfile with a CPU-time clock (what `swarmcast bench viewers --cprofile`
    reads: on a shared machine wall time would count the time spent waiting for a core)."""
    import cProfile
    import time

    profile = cProfile.Profile(time.process_time)
    try:
        return profile.runcall(asyncio.run, peer)
    finally:
        profile.dump_stats(path)
