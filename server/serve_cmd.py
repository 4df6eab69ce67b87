"""`swarmcast serve`: source + segmenter + origin in one process, or an origin over a directory.

    swarmcast serve                              # synthetic live stream "demo" at :8080
    swarmcast serve --source file:talk.mp4 --loop
    swarmcast serve --rtmp --stream-key KEY      # OBS/ffmpeg publish to rtmp://HOST:1935/live/KEY
    swarmcast serve --whip --stream-key KEY      # WHIP (OBS 30+, browsers) POST to /whip
    swarmcast serve --dir var/live               # serve what a separate `swarmcast segment` writes

The origin's defaults live in `OriginConfig`, the encoder's in `SegmenterConfig`, the deployment
options shared with `swarmcast signaling` (allowed page origins, trusted proxies, public URLs,
ICE/TURN, secrets, Redis) in `DeployOptions`; flags, SWARMCAST_* variables (SWARMCAST_STREAM_KEY,
SWARMCAST_ADMIN_TOKEN, ...: secrets stay out of `ps`) and a TOML file (--config) only override
them (docs/deploy.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

from aiohttp import web

from swarmcast.protocol.signaling_schema import IceServer
from swarmcast.segmenter.cli import add_encoding_arguments, config_from_args
from swarmcast.server.metrics import watch_rtmp
from swarmcast.server.origin_app import AppSetup, create_app
from swarmcast.server.origin_config import OriginConfig
from swarmcast.server.origin_keys import CATALOG_KEY, TOKEN_SECRET_KEY
from swarmcast.signaling.cli import add_security_arguments, security_overrides
from swarmcast.signaling.config import SignalingConfig
from swarmcast.signaling.deploy_options import (
    DeployOptions,
    add_deploy_arguments,
    load_deploy_options,
)

log = logging.getLogger(__name__)

DEFAULT_STREAMS_DIR = Path("var/live")
# How long shutdown waits for the segmenter to flush its last segment and write VOD playlists.
STOP_TIMEOUT_S = 15.0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve a live stream (source + segmenter + origin) or a streams directory",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="HTTP address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="HTTP port; 0 picks a free one")
    parser.add_argument("--stream", default="demo", help="stream name (default demo)")
    parser.add_argument(
        "--source",
        help="synthetic (default) or file:PATH; omit with --dir to only serve that directory",
    )
    parser.add_argument("--loop", action="store_true", help="loop a file: source forever")
    parser.add_argument(
        "--dir",
        type=Path,
        help=f"streams directory (default {DEFAULT_STREAMS_DIR}); alone: serve it, no encoding",
    )
    add_encoding_arguments(parser)
    rtmp = parser.add_argument_group("RTMP ingest")
    rtmp.add_argument("--rtmp", action="store_true", help="take the feed from an RTMP publisher")
    rtmp.add_argument("--rtmp-host", default="0.0.0.0", help="RTMP address (default 0.0.0.0)")
    rtmp.add_argument("--rtmp-port", type=int, default=1935, help="RTMP port (default 1935)")
    rtmp.add_argument("--stream-key", help="publisher's secret key (or SWARMCAST_STREAM_KEY)")
    from swarmcast.server.whip_cli import add_serve_arguments

    add_serve_arguments(parser)
    players = parser.add_argument_group("players and swarms")
    players.add_argument(
        "--no-signaling", action="store_true", help="do not attach signaling to this origin"
    )
    players.add_argument(
        "--max-connections-per-address",
        type=int,
        help="HTTP connections one address may hold (default OriginConfig's); raise it "
        "behind a reverse proxy or CDN, whose connections all come from its address",
    )
    players.add_argument(
        "--no-token-endpoint",
        action="store_true",
        help="do not serve the open /api/token: viewer tokens come from the operator's backend",
    )
    players.add_argument(
        "--token-url", help="where players get viewer tokens (told in /api/config)"
    )
    players.add_argument(
        "--no-blocking-reload",
        action="store_true",
        help="do not advertise or hold blocking playlist reloads (_HLS_msn, docs/protocol.md 1)",
    )
    add_security_arguments(parser)
    add_deploy_arguments(parser)
    parser.set_defaults(func=run)


def origin_config_from_args(
    args: argparse.Namespace, streams_dir: Path, options: DeployOptions | None = None
) -> OriginConfig:
    """OriginConfig with the deployment options (flags > env > TOML file) applied; raises
    DeployConfigError (a ValueError) for a bad option."""
    if options is None:
        options = load_deploy_options(args)
    overrides: dict[str, Any] = {
        "ice_servers": tuple(IceServer((url,)) for url in options.ice_servers),
        "turn_urls": options.turn_urls,
        "turn_secret": options.turn_secret,
        "signaling_url": options.signaling_url,
        "public_url": options.public_url,
        "trusted_proxies": options.trusted_proxies,
        "shared_address_networks": tuple(getattr(args, "shared_address_network", None) or ()),
    }
    if getattr(args, "no_token_endpoint", False):
        overrides["token_endpoint"] = False
    if getattr(args, "no_blocking_reload", False):
        overrides["blocking_reload"] = False
    if getattr(args, "token_url", None):
        overrides["token_url"] = args.token_url
    if options.token_secret:
        overrides["token_secret"] = options.token_secret.encode()
    if getattr(args, "max_connections_per_address", None):
        overrides["max_connections_per_address"] = args.max_connections_per_address
    return OriginConfig(streams_dir=streams_dir, **overrides)


def make_source(args: argparse.Namespace, segmenter_config: Any) -> Any:
    """The live feed: RTMP publishers, a file played live, or the synthetic pattern."""
    if args.rtmp:
        from swarmcast.segmenter.rtmp_ingest import RtmpConfig, RtmpSource

        key = args.stream_key or os.environ.get("SWARMCAST_STREAM_KEY")
        if not key:
            raise SystemExit("--rtmp needs --stream-key KEY (or SWARMCAST_STREAM_KEY)")
        rtmp_config = RtmpConfig(
            listen_host=args.rtmp_host, port=args.rtmp_port, stream_keys={key: args.stream}
        )
        source = RtmpSource.listen(rtmp_config, args.stream)
        host, port = source.server.address
        print(f"RTMP: publish to rtmp://{_shown_host(host)}:{port}/{rtmp_config.app}/<stream key>")
        return source
    from swarmcast.segmenter.sources import FileSource, SyntheticSource

    spec = args.source or "synthetic"
    if spec == "synthetic":
        top = segmenter_config.top
        return SyntheticSource(width=top.width, height=top.height, fps=segmenter_config.fps)
    if spec.startswith("file:") and len(spec) > len("file:"):
        path = Path(spec[len("file:") :])
        if not path.is_file():
            raise SystemExit(f"no such file: {path}")
        return FileSource(path, loop=args.loop)
    raise SystemExit(f"unknown --source {spec!r}: use synthetic or file:PATH")


def live_stream_context(
    stream: Any, on_stuck: Callable[[], None] | None = None
) -> Callable[[web.Application], AsyncIterator[None]]:
    """cleanup_ctx: the pipeline starts with the server and is flushed and stopped with it.

    A pipeline that does not stop within STOP_TIMEOUT_S is reported through `on_stuck`: its
    worker thread (and the executor thread joining it) may never end, so the process must
    not wait for them on exit.
    """

    async def context(app: web.Application) -> AsyncIterator[None]:
        await stream.start()
        watcher = asyncio.create_task(_log_stream_events(stream, app), name="stream-events")
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            try:
                await asyncio.wait_for(stream.stop(), STOP_TIMEOUT_S)
            except TimeoutError:
                log.error("stream %s did not stop within %.0f s", stream.name, STOP_TIMEOUT_S)
                if on_stuck is not None:
                    on_stuck()

    return context


async def _log_stream_events(stream: Any, app: web.Application | None = None) -> None:
    from swarmcast.segmenter.pipeline import DiscontinuityStarted, PublisherLost, StreamEnded
    from swarmcast.server.metrics import ORIGIN_METRICS_KEY

    metrics = app.get(ORIGIN_METRICS_KEY) if app is not None else None
    async for event in stream.events():
        if metrics is not None:
            metrics.stream_event(stream.name, event)
        context = {"stream": stream.name}
        if isinstance(event, DiscontinuityStarted):
            log.info(
                "stream %s: publisher started (%s)", stream.name, event.description, extra=context
            )
        elif isinstance(event, PublisherLost):
            log.warning("stream %s: publisher lost (%s)", stream.name, event.reason, extra=context)
        elif isinstance(event, StreamEnded):
            log.info(
                "stream %s ended after %d segments", stream.name, event.segments, extra=context
            )
        else:
            log.debug("stream %s: %s", stream.name, event)


def signaling_setup(config: SignalingConfig, redis_url: str | None = None) -> AppSetup:
    """Attach python-socketio signaling to the origin app; it verifies the tokens `/api/token`
    mints, so it gets the origin's secret (`app[TOKEN_SECRET_KEY]`) handed over here, and
    creates swarms only for the renditions the origin's catalog lists."""
    from swarmcast.signaling.cli import mount_signaling

    def setup(app: web.Application) -> None:
        catalog = app[CATALOG_KEY]
        mount_signaling(
            app, config, app[TOKEN_SECRET_KEY], redis_url, renditions=catalog.rendition_names
        )

    return setup


def embedded_signaling_config(
    options: DeployOptions, origin: OriginConfig, **access: Any
) -> SignalingConfig:
    """The embedded signaling server's config: the same deployment options as the origin, and
    `access` (signaling.cli.security_overrides: seeders, admin token, JWT issuer)."""
    from swarmcast.signaling.cli import signaling_config

    config = signaling_config(options)
    return dataclasses.replace(config, turn_ttl_s=origin.turn_ttl_s, **access)


def _shown_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


async def serve(
    app: web.Application, host: str, port: int, stream: str | None, *, access_log: bool = False
) -> None:
    """Run `app` until SIGINT/SIGTERM; prints the URL once the port is bound."""
    from swarmcast.server.origin_guard import (
        ConnectionGuard,
        GuardedTCPSite,
        GuardLimits,
        quiet_accept_errors,
        raise_fd_limit,
    )
    from swarmcast.server.origin_keys import CONFIG_KEY

    config = app[CONFIG_KEY]
    budget = raise_fd_limit(config.reserved_fds, config.max_connections, config.accept_backlog)
    guard = ConnectionGuard(
        GuardLimits(config.header_timeout_s, budget, config.max_connections_per_address)
    )
    quiet_accept_errors(asyncio.get_running_loop())
    # Per-request logging only with -v: a live origin answers several requests per viewer
    # per second.
    options: dict[str, Any] = {"keepalive_timeout": config.keepalive_timeout_s}
    if not access_log:
        options["access_log"] = None
    runner = web.AppRunner(app, handle_signals=False, **options)
    await runner.setup()
    # Handlers before the URL is printed: whoever reads it may stop the server at once.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        site = GuardedTCPSite(runner, host, port, guard, config.accept_backlog)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        base = f"http://{_shown_host(bound_host)}:{bound_port}/"
        print(f"swarmcast: serving {base}", flush=True)
        if stream:
            print(f"swarmcast: HLS {base}live/{stream}/master.m3u8", flush=True)
            print(f"swarmcast: DASH {base}live/{stream}/manifest.mpd", flush=True)
        await stop.wait()
        print("swarmcast: stopping", flush=True)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await runner.cleanup()
        print("swarmcast: stopped", flush=True)


def run_event_loop(
    main: Coroutine[Any, Any, None], *, skip_executor_shutdown: Callable[[], bool]
) -> None:
    """`asyncio.run(main)`, except that waiting for the default executor's threads is skipped
    when `skip_executor_shutdown()` says one of them is stuck (asyncio.run would wait forever).
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(main)
    finally:
        try:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            if not skip_executor_shutdown():
                loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def run(args: argparse.Namespace) -> int:
    embedded = args.dir is None or args.source is not None or args.rtmp or args.whip
    streams_dir = args.dir or DEFAULT_STREAMS_DIR
    try:
        options = load_deploy_options(args)
        config = origin_config_from_args(args, streams_dir, options)
        setups: list[AppSetup] = []
        if not args.no_signaling and not options.signaling_url:
            access = security_overrides(args)
            signaling = embedded_signaling_config(options, config, **access)
            setups.append(signaling_setup(signaling, options.redis_url))
    except (ValueError, OSError) as error:
        print(f"swarmcast serve: {error}", file=sys.stderr)
        return 2
    whip_source = None
    if args.whip:
        from swarmcast.server.whip_cli import serve_ingest

        whip_source, whip_setup = serve_ingest(args)
        setups.append(whip_setup)
    app = create_app(config, extra_setup=setups)
    stuck: list[str] = []  # streams whose pipeline did not stop
    if embedded:
        from swarmcast.segmenter.pipeline import LiveStream

        segmenter_config = config_from_args(args)
        streams_dir.mkdir(parents=True, exist_ok=True)
        source = whip_source or make_source(args, segmenter_config)
        watch_rtmp(app, source)
        stream = LiveStream(args.stream, streams_dir, segmenter_config, source)
        app.cleanup_ctx.append(live_stream_context(stream, lambda: stuck.append(args.stream)))
    else:
        print(
            f"swarmcast: no source given, so {streams_dir} is only read, not written "
            "(add --source synthetic|file:PATH or --rtmp to encode into it)",
            file=sys.stderr,
        )
        if not streams_dir.is_dir():
            print(f"swarmcast: {streams_dir} does not exist yet", file=sys.stderr)
    if options.public_url:
        print(f"swarmcast: viewers reach this origin at {options.public_url}/", flush=True)
    try:
        run_event_loop(
            serve(
                app,
                args.host,
                args.port,
                args.stream if embedded else None,
                access_log=bool(getattr(args, "verbose", False)),
            ),
            skip_executor_shutdown=lambda: bool(stuck),
        )
    except OSError as exc:  # port in use, address not available
        print(f"swarmcast: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    if stuck:
        # Exit now: a normal interpreter exit would join the wedged threads forever.
        print(f"swarmcast: stream {stuck[0]} did not stop cleanly", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(1)
    return 0
