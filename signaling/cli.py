"""`swarmcast signaling`: the signaling server on its own (the origin normally embeds it).

    SWARMCAST_TOKEN_SECRET=... swarmcast signaling --port 8081 --cors-origin http://origin:8080

It must share the origin's viewer-token secret (SWARMCAST_TOKEN_SECRET or --token-secret, the
same text the origin was given). Serves Socket.IO at /socket.io/ (namespace /swarm),
`/api/swarms` for operators and `/healthz`. Defaults live in `SignalingConfig`.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from typing import Any

from aiohttp import web

from protocol.signaling_schema import IceServer
from signaling.config import SignalingConfig


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "signaling",
        help="run the Socket.IO signaling server on its own",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="port (default 8081)")
    parser.add_argument("--token-secret", help="viewer token secret (or SWARMCAST_TOKEN_SECRET)")
    parser.add_argument("--max-neighbours", type=int, help="neighbours per viewer (K)")
    parser.add_argument("--max-peers-per-prefix", type=int, help="per-network cap per swarm")
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="NET",
        help="address/network whose X-Forwarded-For is trusted (repeatable)",
    )
    parser.add_argument(
        "--seeder-network",
        action="append",
        default=[],
        metavar="NET",
        help="networks whose seeder claims count (repeatable; default: loopback only)",
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allowed browser origin (repeatable; '*' for any; default: same origin only)",
    )
    parser.add_argument("--ice-server", action="append", default=[], metavar="URL")
    parser.add_argument("--turn-url", action="append", default=[], metavar="URL")
    parser.add_argument(
        "--turn-secret", help="coturn static-auth-secret (or SWARMCAST_TURN_SECRET)"
    )
    parser.add_argument(
        "--admin-token", help="operator token for /admin (or SWARMCAST_ADMIN_TOKEN); none: off"
    )
    parser.add_argument(
        "--redis",
        metavar="URL",
        help="share swarms with other signaling nodes through Redis (redis://host:port/db)",
    )
    parser.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> SignalingConfig:
    overrides: dict[str, Any] = {
        "trusted_proxies": tuple(args.trusted_proxy),
        "ice_servers": tuple(IceServer((url,)) for url in args.ice_server),
        "turn_urls": tuple(args.turn_url),
        "turn_secret": args.turn_secret or os.environ.get("SWARMCAST_TURN_SECRET"),
        "admin_token": args.admin_token or os.environ.get("SWARMCAST_ADMIN_TOKEN"),
    }
    if args.seeder_network:
        overrides["seeder_networks"] = tuple(args.seeder_network)
    if args.max_neighbours is not None:
        overrides["max_neighbours"] = args.max_neighbours
    if args.max_peers_per_prefix is not None:
        overrides["max_peers_per_prefix"] = args.max_peers_per_prefix
    if args.cors_origin:
        overrides["cors_allowed_origins"] = (
            "*" if "*" in args.cors_origin else tuple(args.cors_origin)
        )
    return dataclasses.replace(SignalingConfig(), **overrides)


def build_app(
    config: SignalingConfig, token_secret: bytes, redis_url: str | None = None
) -> web.Application:
    """A standalone app: Socket.IO, `/api/swarms`, `/healthz`; with `redis_url`, one node of
    several sharing swarms (RedisSwarmStore + socketio.AsyncRedisManager)."""
    from signaling.server import attach_signaling

    app = web.Application()
    if redis_url:
        import socketio

        from signaling.redis_store import RedisSwarmStore

        store = RedisSwarmStore.from_url(redis_url)
        signaling = attach_signaling(
            app,
            config,
            token_secret,
            store=store,
            client_manager=socketio.AsyncRedisManager(redis_url),
        )

        async def close_store(app: web.Application) -> None:
            await store.close()

        app.on_cleanup.append(close_store)
    else:
        signaling = attach_signaling(app, config, token_secret)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response(
            {"status": "ok", "connections": signaling.connection_count},
            headers={"Cache-Control": "no-store"},
        )

    app.router.add_get("/healthz", healthz)
    return app


def run(args: argparse.Namespace) -> int:
    secret = args.token_secret or os.environ.get("SWARMCAST_TOKEN_SECRET")
    if not secret or len(secret.encode()) < 16:
        print(
            "swarmcast signaling: needs the origin's token secret (>= 16 bytes) in "
            "SWARMCAST_TOKEN_SECRET or --token-secret"
        )
        return 2
    try:
        config = config_from_args(args)
    except ValueError as error:
        print(f"swarmcast signaling: {error}")
        return 2
    app = build_app(config, secret.encode(), args.redis)
    web.run_app(app, host=args.host, port=args.port)
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m signaling.cli [options]`: the same command without the other components'
    imports (quick to start, e.g. for benchmarks)."""
    import logging

    parser = argparse.ArgumentParser(prog="swarmcast")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["signaling", *(sys.argv[1:] if argv is None else argv)])
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
