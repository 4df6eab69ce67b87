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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from swarmcast.protocol.signaling_schema import IceServer
from swarmcast.signaling.auth import JwtSettings
from swarmcast.signaling.config import SignalingConfig
from swarmcast.signaling.deploy_options import (
    DeployOptions,
    add_deploy_arguments,
    load_deploy_options,
    public_origins,
)
from swarmcast.signaling.netaddr import parse_networks

if TYPE_CHECKING:
    from swarmcast.signaling.server import RenditionLookup, SignalingServer


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
        "--max-peers-per-address", type=int, help="per-address cap per swarm (below the prefix's)"
    )
    parser.add_argument(
        "--max-connections-per-address", type=int, help="connections per client address"
    )
    parser.add_argument(
        "--max-connections-per-prefix", type=int, help="connections per network prefix"
    )
    parser.add_argument(
        "--join-timeout", type=float, help="seconds a connection may stay in no swarm"
    )
    parser.add_argument(
        "--origin",
        metavar="URL",
        help="the origin whose /api/streams says which renditions exist (swarms only for those)",
    )
    add_security_arguments(parser)
    add_deploy_arguments(parser)
    parser.set_defaults(func=run)


def add_security_arguments(parser: argparse.ArgumentParser) -> None:
    """Options `serve` and `signaling` share: seeders, operator token, JWT issuer."""
    group = parser.add_argument_group("access control (docs/security.md)")
    group.add_argument(
        "--seeder-network",
        action="append",
        default=[],
        metavar="NET",
        help="networks whose seeder claims count (repeatable; default: loopback only)",
    )
    group.add_argument(
        "--admin-token",
        help="bearer token for the operators' /admin and /api/swarms (or "
        "SWARMCAST_ADMIN_TOKEN); without one they are off",
    )
    group.add_argument(
        "--shared-address-network",
        action="append",
        default=[],
        metavar="NET",
        help="network where many viewers share one address (office NAT, test lab): no "
        "per-address caps there (repeatable)",
    )
    group.add_argument("--jwt-secret", help="accept HS256 JWTs (or SWARMCAST_JWT_SECRET)")
    group.add_argument(
        "--jwt-public-key", type=Path, metavar="PEM", help="accept EdDSA/RS256/ES256 JWTs"
    )
    group.add_argument("--jwt-algorithm", action="append", default=[], metavar="ALG")
    group.add_argument("--jwt-audience", help="required JWT `aud`")
    group.add_argument("--jwt-issuer", help="required JWT `iss`")


def security_overrides(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """SignalingConfig overrides from `add_security_arguments`' options (ValueError if bad,
    OSError for an unreadable key file)."""
    env = os.environ if environ is None else environ
    overrides: dict[str, Any] = {}
    parse_networks([*args.seeder_network, *args.shared_address_network])  # ValueError if bad
    if args.seeder_network:
        overrides["seeder_networks"] = tuple(args.seeder_network)
    if args.shared_address_network:
        overrides["shared_address_networks"] = tuple(args.shared_address_network)
    admin = args.admin_token or env.get("SWARMCAST_ADMIN_TOKEN")
    if admin:
        overrides["admin_token"] = admin
    jwt_secret = args.jwt_secret or env.get("SWARMCAST_JWT_SECRET")
    key = args.jwt_public_key.read_text() if args.jwt_public_key else jwt_secret
    if key:
        overrides["jwt"] = JwtSettings(
            key, tuple(args.jwt_algorithm), args.jwt_audience, args.jwt_issuer
        )
    return overrides


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
        "relay_only_streams": options.relay_only_streams,
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
    overrides = security_overrides(args, environ)
    for name in (
        "max_neighbours",
        "max_peers_per_prefix",
        "max_peers_per_address",
        "max_connections_per_address",
        "max_connections_per_prefix",
    ):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    if args.join_timeout is not None:
        overrides["join_timeout_s"] = args.join_timeout
    base = dataclasses.replace(SignalingConfig(), **overrides)
    return signaling_config(load_deploy_options(args, environ), base)


def mount_signaling(
    app: web.Application,
    config: SignalingConfig,
    token_secret: bytes,
    redis_url: str | None,
    renditions: RenditionLookup | None = None,
) -> SignalingServer:
    """Attach signaling to `app` (the standalone one or the origin's); with `redis_url`, as one
    node of several sharing swarms (RedisSwarmStore + socketio.AsyncRedisManager); with
    `renditions`, swarms only for the renditions a stream has."""
    from swarmcast.signaling.attach import attach_signaling

    if not redis_url:
        return attach_signaling(app, config, token_secret, renditions=renditions)
    import socketio

    from swarmcast.signaling.redis_store import RedisSwarmStore

    store = RedisSwarmStore.from_url(redis_url)
    signaling = attach_signaling(
        app,
        config,
        token_secret,
        store=store,
        client_manager=socketio.AsyncRedisManager(redis_url),
        renditions=renditions,
    )

    from swarmcast.signaling.cluster import ClusterMembership

    # Members of a node that dies are removed; swarms are rebuilt when Redis restarts empty.
    ClusterMembership(signaling, store).attach(app)

    async def close_store(app: web.Application) -> None:
        await store.close()

    app.on_cleanup.append(close_store)
    return signaling


def build_app(
    config: SignalingConfig,
    token_secret: bytes,
    redis_url: str | None = None,
    origin_url: str | None = None,
) -> web.Application:
    """A standalone app: Socket.IO, `/api/swarms` (with an admin token), `/healthz` (see
    `mount_signaling`); with `origin_url`, swarms only for the renditions the origin lists."""
    from swarmcast.signaling.origin_renditions import OriginRenditions

    app = web.Application()
    renditions = OriginRenditions(origin_url) if origin_url else None
    if renditions is not None:

        async def close_lookup(app: web.Application) -> None:
            await renditions.close()

        app.on_cleanup.append(close_lookup)
    signaling = mount_signaling(app, config, token_secret, redis_url, renditions)

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
    except (ValueError, OSError) as error:
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
    app = build_app(config, secret.encode(), options.redis_url, args.origin)
    web.run_app(app, host=args.host, port=args.port)
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m swarmcast.signaling.cli [options]`: the same command without the other components'
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
