"""WHIP on the command line: `swarmcast serve --whip` and `swarmcast whip-publish`.

    swarmcast serve --whip --stream-key KEY                 # accept WHIP publishers at /whip
    swarmcast whip-publish http://HOST:8080/whip --stream-key KEY --seconds 30

`whip-publish` sends a synthetic picture with the wall clock burned in plus a tone (the
publisher the tests and `swarmcast bench ingest` use).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
from typing import Any

from swarmcast.server.origin_app import AppSetup


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    whip = parser.add_argument_group("WHIP ingest (RFC 9725; defaults: server.whip_config)")
    whip.add_argument(
        "--whip",
        action="store_true",
        help="take the feed from WHIP publishers (OBS 30+, /broadcast); key = --stream-key",
    )


def serve_ingest(args: argparse.Namespace) -> tuple[Any, AppSetup]:
    """The stream's `WhipSource` and the app setup mounting the endpoint for it."""
    from swarmcast.server.whip_config import WhipConfig
    from swarmcast.server.whip_routes import add_whip_routes
    from swarmcast.server.whip_source import WhipSource

    if args.rtmp or args.source:
        raise SystemExit("--whip cannot be combined with --rtmp or --source")
    key = args.stream_key or os.environ.get("SWARMCAST_STREAM_KEY")
    if not key:
        raise SystemExit("--whip needs --stream-key KEY (or SWARMCAST_STREAM_KEY)")
    _quiet_ice(args)
    config = WhipConfig(stream_keys={key: args.stream})
    source = WhipSource(args.stream, config.max_queued_frames)

    def setup(app: Any) -> None:
        add_whip_routes(app, config, {args.stream: source})

    print(
        f"WHIP: publishers POST to {config.endpoint} with 'Authorization: Bearer <stream key>';"
        " browser broadcaster at /broadcast",
        flush=True,
    )
    return source, setup


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "whip-publish",
        help="publish a synthetic clock picture + tone to a WHIP endpoint",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("endpoint", help="WHIP endpoint URL, e.g. http://127.0.0.1:8080/whip")
    parser.add_argument("--stream-key", help="bearer token (or SWARMCAST_STREAM_KEY)")
    parser.add_argument("--seconds", type=float, default=0, help="stop after this; 0 = Ctrl-C")
    parser.add_argument("--size", default="640x360", help="picture WIDTHxHEIGHT")
    parser.add_argument("--codec", choices=("VP8", "H264"), help="video codec (default: VP8)")
    parser.set_defaults(func=_publish)


def _publish(args: argparse.Namespace) -> int:
    key = args.stream_key or os.environ.get("SWARMCAST_STREAM_KEY")
    if not key:
        raise SystemExit("whip-publish needs --stream-key KEY (or SWARMCAST_STREAM_KEY)")
    _quiet_ice(args)
    width, _, height = args.size.partition("x")
    return asyncio.run(
        _publish_async(args.endpoint, key, (int(width), int(height)), args.seconds, args.codec)
    )


async def _publish_async(
    endpoint: str, key: str, size: tuple[int, int], seconds: float, codec: str | None
) -> int:
    from swarmcast.server.whip_client import ClockVideoTrack, ToneTrack, WhipClient, WhipRejected

    client = WhipClient(endpoint, key, [ClockVideoTrack(*size), ToneTrack()], video_codec=codec)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await client.publish()
        print(f"whip-publish: publishing, session {client.session_url}", flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds or None)
        return 0
    except WhipRejected as exc:
        print(f"whip-publish: {exc}", flush=True)
        return 3
    except (ConnectionError, TimeoutError, OSError) as exc:
        print(f"whip-publish: connection failed: {exc!r}", flush=True)
        return 4
    finally:
        status = await client.close()
        print(f"whip-publish: ended (DELETE -> {status})", flush=True)


def _quiet_ice(args: argparse.Namespace) -> None:
    """aioice logs every candidate pair at INFO: only with -v."""
    if not getattr(args, "verbose", False):
        logging.getLogger("aioice").setLevel(logging.WARNING)
