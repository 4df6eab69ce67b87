"""`swarmcast signaling`: the signaling server on its own (the origin normally embeds it).

    SWARMCAST_TOKEN_SECRET=... swarmcast signaling --port 8081 --allowed-origin http://origin:8080
    swarmcast signaling --config /etc/swarmcast/swarmcast.toml   # the options `serve` takes too

It must share the origin's viewer-token secret (SWARMCAST_TOKEN_SECRET, --token-secret or the
config file's token_secret: the same text the origin was given). Serves Socket.IO at
/socket.io/ (namespace /swarm), `/api/swarms` for operators and `/healthz`. Defaults live in
`SignalingConfig` and `DeployOptions`.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from protocol.signaling_schema import IceServer
from signaling.config import SignalingConfig
from signaling.deploy_options import (
    DeployOptions,
    add_deploy_arguments,
    load_deploy_options,
    public_origins,
)

if TYPE_CHECKING:
    from signaling.server import SignalingServer


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "signaling",
        help="run the Socket.IO signaling server on its own",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="port (default 8081)")
    parser.add_argument("--max-neighbours", type=int, help="neighbours per viewer (K)")
    parser.add_argument("--max-peers-per-prefix", type=int, help="per-network cap per swarm")
    parser.add_argument(
        "--seeder-network",
        action="append",
        default=[],
        metavar="NET",
        help="networks whose seeder claims count (repeatable; default: loopback only)",
    )
    parser.add_argument(
        "--admin-token", help="operator token for /admin (or SWARMCAST_ADMIN_TOKEN); none: off"
    )
    add_deploy_arguments(parser)
    parser.set_defaults(func=run)


def signaling_config(
    options: DeployOptions, base: SignalingConfig | None = None
) -> SignalingConfig:
    """`base` (default SignalingConfig()) with the deployment options applied."""
    overrides: dict[str, Any] = {
        "trusted_proxies": options.trusted_proxies,
        "public_origins": public_origins(options),
        "ice_servers": tuple(IceServer((url,)) for url in options.ice_servers),
        "turn_urls": options.turn_urls,
        "turn_secret": options.turn_secret,
    }
    if options.allowed_origins:
        overrides["cors_allowed_origins"] = (
            "*" if "*" in options.allowed_origins else options.allowed_origins
        )
    return dataclasses.replace(base or SignalingConfig(), **overrides)


def config_from_args(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> SignalingConfig:
    """Raises DeployConfigError (a ValueError) for a bad option."""
    env = os.environ if environ is None else environ
    overrides: dict[str, Any] = {
        "admin_token": args.admin_token or env.get("SWARMCAST_ADMIN_TOKEN"),
    }
    if args.seeder_network:
        overrides["seeder_networks"] = tuple(args.seeder_network)
    if args.max_neighbours is not None:
        overrides["max_neighbours"] = args.max_neighbours
    if args.max_peers_per_prefix is not None:
        overrides["max_peers_per_prefix"] = args.max_peers_per_prefix
    base = dataclasses.replace(SignalingConfig(), **overrides)
    return signaling_config(load_deploy_options(args, environ), base)


def mount_signaling(
    app: web.Application, config: SignalingConfig, token_secret: bytes, redis_url: str | None
) -> SignalingServer:
    """Attach signaling to `app` (the standalone one or the origin's); with `redis_url`, as one
    node of several sharing swarms (RedisSwarmStore + socketio.AsyncRedisManager)."""
    from signaling.server import attach_signaling

    if not redis_url:
        return attach_signaling(app, config, token_secret)
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
    return signaling


def build_app(
    config: SignalingConfig, token_secret: bytes, redis_url: str | None = None
) -> web.Application:
    """A standalone app: Socket.IO, `/api/swarms`, `/healthz` (see `mount_signaling`)."""
    app = web.Application()
    signaling = mount_signaling(app, config, token_secret, redis_url)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response(
            {"status": "ok", "connections": signaling.connection_count},
            headers={"Cache-Control": "no-store"},
        )

    app.router.add_get("/healthz", healthz)
    return app


def run(args: argparse.Namespace) -> int:
    try:
        options = load_deploy_options(args)
        config = config_from_args(args)
    except ValueError as error:
        print(f"swarmcast signaling: {error}", file=sys.stderr)
        return 2
    secret = options.token_secret
    if not secret:
        print(
            "swarmcast signaling: needs the origin's token secret (>= 16 bytes) in "
            "SWARMCAST_TOKEN_SECRET, --token-secret or the config file's token_secret",
            file=sys.stderr,
        )
        return 2
    app = build_app(config, secret.encode(), options.redis_url)
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
