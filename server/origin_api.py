"""Small JSON APIs of the origin: stream list, viewer tokens, player config, liveness."""

from __future__ import annotations

import json
import math
import secrets
import time
from typing import Any

from aiohttp import web

from swarmcast.protocol import tokens
from swarmcast.protocol.token_bucket import KeyedRateLimiter
from swarmcast.protocol.turn import turn_credentials
from swarmcast.segmenter.manifest_model import iso_datetime
from swarmcast.server.origin_config import OriginConfig
from swarmcast.server.origin_keys import CATALOG_KEY, CONFIG_KEY, TOKEN_SECRET_KEY
from swarmcast.server.origin_resources import is_valid_name
from swarmcast.signaling.netaddr import (
    client_address,
    host_in,
    host_key,
    network_prefix,
    parse_networks,
)

STARTED_AT_KEY = web.AppKey("swarmcast_started_at", float)


class TokenLimits:
    """`/api/token` rate limits per client address and per network prefix (issue 9: 300
    tokens in 0.1 s from one address fed the Sybil ban attack)."""

    def __init__(self, config: OriginConfig) -> None:
        self.trusted = parse_networks(config.trusted_proxies)
        self.shared = parse_networks(config.shared_address_networks)
        self.by_address = KeyedRateLimiter(
            config.token_rate_per_address, config.token_burst_per_address
        )
        self.by_prefix = KeyedRateLimiter(
            config.token_rate_per_prefix, config.token_burst_per_prefix
        )

    def retry_after(self, request: web.Request, now: float) -> float | None:
        """None when `request` may have a token; else seconds to wait."""
        forwarded = request.headers.get("X-Forwarded-For")
        address = client_address(request.remote, forwarded, self.trusted)
        host, prefix = host_key(address), network_prefix(address)
        if not host_in(host, self.shared) and not self.by_address.take(host, now):
            return self.by_address.retry_after(host, now)
        if not self.by_prefix.take(prefix, now):
            return self.by_prefix.retry_after(prefix, now)
        return None


TOKEN_LIMITS_KEY = web.AppKey("swarmcast_token_limits", TokenLimits)


def json_response(payload: Any, *, cache: str = "no-cache", status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(payload, separators=(",", ":")).encode(),
        headers={"Content-Type": "application/json", "Cache-Control": cache},
    )


async def list_streams(request: web.Request) -> web.Response:
    """`/api/streams`: every stream with a master playlist (protocol §1)."""
    config = request.app[CONFIG_KEY]
    now = time.time()
    streams = request.app[CATALOG_KEY].streams()
    return json_response([info.to_json(now, config.stale_after_s) for info in streams])


async def mint_viewer_token(request: web.Request) -> web.Response:
    """`/api/token?stream=NAME`: a viewer token (protocol §3) for an existing stream."""
    stream = request.query.get("stream", "")
    if not is_valid_name(stream):
        return json_response({"error": "bad stream name"}, status=400, cache="no-store")
    if request.app[CATALOG_KEY].stream(stream) is None:
        return json_response({"error": "unknown stream"}, status=404, cache="no-store")
    config = request.app[CONFIG_KEY]
    now = time.time()
    wait = request.app[TOKEN_LIMITS_KEY].retry_after(request, time.monotonic())
    if wait is not None:
        return web.json_response(
            {"error": "too many tokens from your network; retry later"},
            status=429,
            headers={"Retry-After": str(max(1, math.ceil(wait))), "Cache-Control": "no-store"},
        )
    token = tokens.mint(request.app[TOKEN_SECRET_KEY], stream, now, config.token_ttl_s)
    return json_response(
        {"token": token, "stream": stream, "exp": int(now) + config.token_ttl_s},
        cache="no-store",
    )


def ice_servers_json(config: OriginConfig, now: float) -> list[dict[str, Any]]:
    """RTCConfiguration.iceServers for players, with fresh TURN credentials where needed."""
    servers = [server.to_json() for server in config.ice_servers]
    if config.turn_urls and config.turn_secret:
        user = secrets.token_hex(8)  # an anonymous viewer: a random TURN user name
        username, credential = turn_credentials(config.turn_secret, user, now, config.turn_ttl_s)
        servers.append(
            {"urls": list(config.turn_urls), "username": username, "credential": credential}
        )
    return servers


async def player_config(request: web.Request) -> web.Response:
    """`/api/config`: what a player needs to join swarms (ICE servers, signaling endpoint)."""
    config = request.app[CONFIG_KEY]
    return json_response(
        {
            "iceServers": ice_servers_json(config, time.time()),
            "signaling": {
                "url": config.signaling_url,
                "path": config.signaling_path,
                "namespace": config.signaling_namespace,
            },
            "tokenTtl": config.token_ttl_s,
            # Where viewer tokens come from: this origin's `/api/token`, or the operator's.
            "tokenUrl": config.token_url or ("/api/token" if config.token_endpoint else ""),
        },
        cache="no-store",
    )


async def server_time(request: web.Request) -> web.Response:
    """`/api/time`: the origin's clock as xs:dateTime, the http-iso UTCTiming source the live
    MPD names (DASH players set their clock by it to place the live edge). Any origin may ask."""
    return web.Response(
        text=iso_datetime(time.time()),
        content_type="text/plain",
        headers={"Cache-Control": "no-store", "Access-Control-Allow-Origin": "*"},
    )


async def healthz(request: web.Request) -> web.Response:
    """`/healthz`: the process serves requests and can list its streams directory."""
    config = request.app[CONFIG_KEY]
    now = time.time()
    streams = request.app[CATALOG_KEY].streams()
    return json_response(
        {
            "status": "ok",
            "uptime_s": round(now - request.app[STARTED_AT_KEY], 3),
            "streams": len(streams),
            "live_streams": sum(info.is_live(now, config.stale_after_s) for info in streams),
        },
        cache="no-store",
    )


def add_api_routes(app: web.Application) -> None:
    app[STARTED_AT_KEY] = time.time()
    app.router.add_get("/api/streams", list_streams)
    if app[CONFIG_KEY].token_endpoint:
        app[TOKEN_LIMITS_KEY] = TokenLimits(app[CONFIG_KEY])
        app.router.add_get("/api/token", mint_viewer_token)
    app.router.add_get("/api/config", player_config)
    app.router.add_get("/api/time", server_time)
    app.router.add_get("/healthz", healthz)
