"""Mounting signaling on an aiohttp app, and the operators' `/api/swarms` behind a bearer token
(docs/protocol.md §4.6, docs/security.md §4.4)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import socketio
from aiohttp import web
from redis.exceptions import RedisError

from swarmcast.protocol import tokens
from swarmcast.signaling.admin_routes import bearer_ok
from swarmcast.signaling.config import SignalingConfig
from swarmcast.signaling.server import Clock, RenditionLookup, SignalingServer
from swarmcast.signaling.swarm_store import SwarmStore

SIGNALING_KEY = web.AppKey("swarmcast_signaling", SignalingServer)
SWARMS_ROUTE = "/api/swarms"
SWARM_SIZE_ROUTE = "/api/swarm-size"


Handler = Callable[[web.Request], Awaitable[web.Response]]
# The shared store is down or reconnecting (a node's first command on a connection Redis
# dropped fails): a retryable 503 for the operator's poller, not a 500.
STORE_UNAVAILABLE = (RedisError, ConnectionError, TimeoutError)


def _store_unavailable(error: Exception) -> web.Response:
    return web.json_response(
        {"error": f"swarm store unavailable, retry: {type(error).__name__}"},
        status=503,
        headers={"Retry-After": "1", "Cache-Control": "no-store"},
    )


def swarms_handler(signaling: SignalingServer, admin_token: str) -> Handler:
    """`/api/swarms` for operators only: it names viewers' networks and the neighbour graph.
    No CORS header: a page of another origin must not read it even with the token."""

    async def handler(request: web.Request) -> web.Response:
        if not bearer_ok(request, admin_token):
            return web.json_response(
                {"error": "operator token required"},
                status=401,
                headers={"WWW-Authenticate": "Bearer", "Cache-Control": "no-store"},
            )
        include_peers = request.query.get("peers", "1") != "0"
        try:
            snapshot = await signaling.snapshot(include_peers)
        except STORE_UNAVAILABLE as error:
            return _store_unavailable(error)
        return web.json_response(snapshot, headers={"Cache-Control": "no-store"})

    return handler


def swarm_size_handler(signaling: SignalingServer) -> Handler:
    """`/api/swarm-size?swarm=<stream>/<rendition>`: `{"swarm", "peers"}`, public (CORS `*`).
    A member sizes its live election with it (peer/swarm_membership.py, the shim's
    swarm_size_poll.ts); a count is all it reveals."""

    async def handler(request: web.Request) -> web.Response:
        swarm = request.query.get("swarm", "")
        stream, _, rendition = swarm.partition("/")
        if not (tokens.is_valid_name(stream) and tokens.is_valid_name(rendition)):
            return web.json_response({"error": "swarm must be <stream>/<rendition>"}, status=400)
        try:
            view = await signaling.store.load(swarm)
        except STORE_UNAVAILABLE as error:
            return _store_unavailable(error)
        # Any page may read it (the shim polls it from the player's origin): a count is public.
        headers = {"Cache-Control": "no-store", "Access-Control-Allow-Origin": "*"}
        return web.json_response({"swarm": swarm, "peers": len(view.peers)}, headers=headers)

    return handler


def attach_signaling(
    app: web.Application,
    config: SignalingConfig | None,
    token_secret: bytes,
    *,
    store: SwarmStore | None = None,
    client_manager: socketio.AsyncManager | None = None,
    renditions: RenditionLookup | None = None,
    clock: Clock = time.time,
) -> SignalingServer:
    """Mount signaling on `app` at `/socket.io/` (namespace `/swarm`) and return it (also at
    `app[SIGNALING_KEY]`).

    `token_secret` is the HMAC key viewer tokens are minted with (the origin's `/api/token`,
    or the operator's backend). `renditions` tells which renditions a stream has (None: any
    name, up to `max_swarms_per_stream`). With `config.admin_token` set, the operators'
    snapshot is served at `/api/swarms` to `Authorization: Bearer <admin token>`; without,
    not at all (404). `store` (default in-memory) and `client_manager` (e.g.
    socketio.AsyncRedisManager) let several signaling nodes share swarms. Call before the
    app starts (routes freeze then).
    """
    config = config or SignalingConfig()
    signaling = SignalingServer(
        config,
        token_secret,
        store=store,
        client_manager=client_manager,
        renditions=renditions,
        clock=clock,
    )
    signaling.attach(app)
    app[SIGNALING_KEY] = signaling
    app.router.add_get(SWARM_SIZE_ROUTE, swarm_size_handler(signaling))
    if config.admin_token:
        app.router.add_get(SWARMS_ROUTE, swarms_handler(signaling, config.admin_token))
    return signaling
