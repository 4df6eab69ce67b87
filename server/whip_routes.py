"""The WHIP endpoint (RFC 9725) on the origin app, and the `/broadcast` page that uses it.

    POST    /whip                 SDP offer in, 201 + Location + SDP answer out
    PATCH   /whip/session/<id>    trickle ICE candidates (204), ICE restart (200 + sdpfrag)
    DELETE  /whip/session/<id>    end the publish (200)
    OPTIONS both                  CORS preflight (browser publishers on other origins)

Every request carries `Authorization: Bearer <stream key>`; the key picks the stream. Wrong
keys are answered 401 and logged with the client address (never the key); repeated ones lock
the address out. docs/whip-ingest.md describes the behaviour.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import hdrs, web

from swarmcast.server.origin_demo import STATIC_DIR, asset_response
from swarmcast.server.whip_config import WhipConfig
from swarmcast.server.whip_guard import AddressGuard
from swarmcast.server.whip_sdpfrag import SdpFragError, candidates_of, parse_sdpfrag
from swarmcast.server.whip_session import WhipError, WhipHub, WhipSession
from swarmcast.server.whip_source import WhipSource

log = logging.getLogger(__name__)

WHIP_HUB_KEY = web.AppKey("swarmcast_whip_hub", WhipHub)
_GUARD_KEY = web.AppKey("swarmcast_whip_guard", AddressGuard)

SDP_TYPE = "application/sdp"
SDPFRAG_TYPE = "application/trickle-ice-sdpfrag"
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Location, ETag, Accept-Patch, Link, Retry-After",
}
_PREFLIGHT = {
    **_CORS,
    "Access-Control-Allow-Methods": "POST, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match",
    "Access-Control-Max-Age": "86400",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _text(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=message + "\n", headers={**_CORS, **(headers or {})})


def _guarded(handler: Handler) -> Handler:
    """CORS on every answer, and the per-address rate limit / lockout before any work."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        address = request.remote or "unknown"
        wait = request.app[_GUARD_KEY].admit(address, time.monotonic())
        if wait is not None:
            return _text(429, "too many requests", {"Retry-After": str(max(1, round(wait)))})
        try:
            response = await handler(request)
        except WhipError as exc:
            headers = _UNAUTHORIZED_HEADERS if exc.status == 401 else None
            return _text(exc.status, str(exc), headers)
        response.headers.update(_CORS)
        return response

    return wrapped


def _stream_for_request(request: web.Request) -> str:
    """The stream the bearer token publishes to; 401 (and a logged refusal) otherwise."""
    config = request.app[WHIP_HUB_KEY].config
    header = request.headers.get(hdrs.AUTHORIZATION, "")
    scheme, _, token = header.partition(" ")
    stream = config.stream_for_key(token.strip()) if scheme.lower() == "bearer" else None
    if stream is None:
        address = request.remote or "unknown"
        locked = request.app[_GUARD_KEY].failed_auth(address, time.monotonic())
        log.warning("whip %s: refused %s, invalid stream key%s", address, request.method,
                    " (address locked out)" if locked else "")  # fmt: skip
        raise _Unauthorized()
    return stream


class _Unauthorized(WhipError):
    def __init__(self) -> None:
        super().__init__(401, "invalid or missing bearer token")


_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="whip"'}


async def _read_body(request: web.Request, limit: int) -> str:
    if request.content_length is not None and request.content_length > limit:
        raise WhipError(413, f"body larger than {limit} bytes")
    body = bytearray()
    while chunk := await request.content.read(16384):
        body += chunk
        if len(body) > limit:
            raise WhipError(413, f"body larger than {limit} bytes")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WhipError(400, "body is not UTF-8") from exc


def _check_type(request: web.Request, expected: str) -> None:
    if request.content_type != expected:
        raise WhipError(415, f"Content-Type must be {expected}")


def _session(request: web.Request, stream: str) -> WhipSession:
    session = request.app[WHIP_HUB_KEY].sessions.get(request.match_info["session"])
    if session is None or session.stream != stream:
        raise WhipError(404, "no such WHIP session")
    return session


async def options(request: web.Request) -> web.Response:
    headers = {**_PREFLIGHT, "Accept-Post": SDP_TYPE}
    if "session" in request.match_info:
        headers = {**_PREFLIGHT, "Accept-Patch": SDPFRAG_TYPE}
    return web.Response(status=204, headers=headers)


async def post_offer(request: web.Request) -> web.Response:
    """RFC 9725 §4.2: create a session from an SDP offer."""
    hub = request.app[WHIP_HUB_KEY]
    stream = _stream_for_request(request)
    _check_type(request, SDP_TYPE)
    offer = await _read_body(request, hub.config.max_body_bytes)
    if "v=0" not in offer[:64]:
        raise WhipError(400, "not an SDP offer")
    session, answer = await hub.create(stream, request.remote or "unknown", offer)
    log.info("whip %s: session %s for stream %s", session.remote, session.id[:6], stream)
    location = f"{hub.config.endpoint}/session/{session.id}"
    return web.Response(
        status=201,
        text=answer,
        content_type=SDP_TYPE,
        headers={"Location": location, "ETag": session.etag, "Accept-Patch": SDPFRAG_TYPE},
    )


async def patch_session(request: web.Request) -> web.Response:
    """RFC 9725 §4.3: trickle ICE (204) and ICE restarts (200 + answer sdpfrag)."""
    hub = request.app[WHIP_HUB_KEY]
    session = _session(request, _stream_for_request(request))
    _check_type(request, SDPFRAG_TYPE)
    if_match = request.headers.get(hdrs.IF_MATCH)
    if if_match is None:
        raise WhipError(428, "If-Match is required")
    try:
        frag = parse_sdpfrag(await _read_body(request, hub.config.max_body_bytes))
        if if_match.strip() == "*" or frag.is_ice_restart(session.remote_ufrag):
            if if_match.strip() not in ("*", session.etag):
                raise WhipError(412, "ETag does not match this session")
            answer = await session.restart_ice(frag)
            return web.Response(
                status=200, text=answer, content_type=SDPFRAG_TYPE, headers={"ETag": session.etag}
            )
        if if_match.strip() != session.etag:
            raise WhipError(412, "ETag does not match this session")
        await session.add_candidates(candidates_of(frag), frag.end_of_candidates)
    except SdpFragError as exc:
        raise WhipError(400, str(exc)) from exc
    return web.Response(status=204)


async def delete_session(request: web.Request) -> web.Response:
    """RFC 9725 §4.2: the publisher ends its session."""
    session = _session(request, _stream_for_request(request))
    await session.close("publisher sent DELETE")
    return web.Response(status=200)


async def broadcast_page(request: web.Request) -> web.Response:
    return await asset_response(request, STATIC_DIR / "broadcast.html", "text/html; charset=utf-8")


def add_whip_routes(
    app: web.Application, config: WhipConfig, sources: Mapping[str, WhipSource]
) -> None:
    """Mount the endpoint, its sessions and `/broadcast`; sessions close on shutdown."""
    hub = WhipHub(config, sources)
    app[WHIP_HUB_KEY] = hub
    app[_GUARD_KEY] = AddressGuard(
        config.request_rate,
        config.request_burst,
        config.max_auth_failures,
        config.lockout_s,
        config.max_tracked_addresses,
    )
    endpoint = config.endpoint
    session_path = f"{endpoint}/session/{{session}}"
    app.router.add_post(endpoint, _guarded(post_offer))
    app.router.add_route("OPTIONS", endpoint, options)
    app.router.add_patch(session_path, _guarded(patch_session))
    app.router.add_delete(session_path, _guarded(delete_session))
    app.router.add_route("OPTIONS", session_path, options)
    app.router.add_get("/broadcast", broadcast_page)

    async def close_sessions(app: web.Application) -> None:
        await hub.close_all("server shutting down")

    app.on_shutdown.append(close_sessions)
