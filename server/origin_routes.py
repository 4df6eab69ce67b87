"""`/live/...` handlers: playlists, segments, integrity records and keys from the streams dir.

Every request path is validated against the names of protocol §1 before the filesystem is
touched, so unknown names, dotfiles (`.signing-key.pem`) and traversal attempts are plain 404s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import MutableMapping

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from swarmcast.server.origin_files import FileBody
from swarmcast.server.origin_http import (
    Unsatisfiable,
    if_none_match_hits,
    if_range_allows,
    parse_range,
    strong_etag,
)
from swarmcast.server.origin_keys import (
    CATALOG_KEY,
    CONFIG_KEY,
    FILE_STORE_KEY,
    PLAYLIST_WATCHES_KEY,
)
from swarmcast.server.origin_resources import (
    Kind,
    Resource,
    cache_control,
    rendition_resource,
    stream_resource,
)
from swarmcast.server.playlist_hold import (
    MAX_AHEAD,
    TIMEOUT_TARGET_DURATIONS,
    BadDirective,
    advertise,
    identity,
    playlist_state,
    requested_msn,
)

log = logging.getLogger(__name__)

# Response headers browsers may read cross-origin (a P2P loader measures sizes and ranges).
EXPOSED_HEADERS = "Content-Range, Content-Length, ETag, Accept-Ranges"
ALLOWED_REQUEST_HEADERS = "Range, If-None-Match, If-Range, If-Modified-Since, Content-Type"
CORS_PREFIXES = ("/live/", "/api/", "/healthz", "/static/", "/player/")
# Operator-only paths: never readable by another origin's page (docs/security.md §4.4).
CORS_PRIVATE = ("/api/swarms",)


def file_response(
    request: web.Request, file: FileBody, *, content_type: str, cache: str
) -> web.Response:
    """200 / 206 / 304 / 416 for an in-memory body, honouring If-None-Match, Range, If-Range."""
    headers = {
        hdrs.CONTENT_TYPE: content_type,
        hdrs.CACHE_CONTROL: cache,
        hdrs.ETAG: file.etag,
        hdrs.ACCEPT_RANGES: "bytes",
    }
    if if_none_match_hits(request.headers.get(hdrs.IF_NONE_MATCH), file.etag):
        del headers[hdrs.CONTENT_TYPE]
        return web.Response(status=304, headers=headers)
    size = len(file.body)
    range_header = request.headers.get(hdrs.RANGE)
    if range_header is not None and if_range_allows(request.headers.get(hdrs.IF_RANGE), file.etag):
        try:
            byte_range = parse_range(range_header, size)
        except Unsatisfiable:
            headers[hdrs.CONTENT_RANGE] = f"bytes */{size}"
            del headers[hdrs.CONTENT_TYPE]
            return web.Response(status=416, headers=headers)
        if byte_range is not None:
            headers[hdrs.CONTENT_RANGE] = byte_range.content_range(size)
            body = memoryview(file.body)[byte_range.first : byte_range.last + 1]
            return web.Response(status=206, body=body, headers=headers)
    return web.Response(body=file.body, headers=headers)


async def _serve(request: web.Request, resource: Resource | None) -> web.Response:
    if resource is None:
        raise web.HTTPNotFound()
    config = request.app[CONFIG_KEY]
    if resource.kind is Kind.MEDIA_PLAYLIST and config.blocking_reload:
        return await _serve_media_playlist(request, resource)
    file = await request.app[FILE_STORE_KEY].read(
        resource.path_in(config.streams_dir),
        cacheable=resource.kind.immutable,
        max_bytes=resource.kind.max_bytes,
    )
    if file is None:
        raise web.HTTPNotFound()
    ended = False
    if resource.kind is Kind.MPD:
        ended = b'type="static"' in file.body
    elif resource.kind is Kind.MASTER:
        info = request.app[CATALOG_KEY].stream(resource.stream)
        ended = info is not None and info.ended
    return file_response(
        request,
        file,
        content_type=resource.content_type,
        cache=cache_control(resource.kind, ended=ended),
    )


async def _serve_media_playlist(request: web.Request, resource: Resource) -> web.Response:
    """A live media playlist with blocking reload: held until it holds segment `_HLS_msn`
    (server/playlist_hold.py), served with CAN-BLOCK-RELOAD advertised."""
    try:
        msn = requested_msn(request.query)
    except BadDirective as exc:
        raise web.HTTPBadRequest(text=f"{exc}\n") from None
    path = resource.path_in(request.app[CONFIG_KEY].streams_dir)
    store = request.app[FILE_STORE_KEY]
    loop = asyncio.get_running_loop()
    give_up: float | None = None
    while True:
        seen = identity(path)
        file = await store.read(path, cacheable=False, max_bytes=resource.kind.max_bytes)
        if file is None:
            raise web.HTTPNotFound()
        if msn is None:
            break
        state = playlist_state(file.body)
        if state.ended or state.last_msn >= msn:
            break
        if msn > state.last_msn + MAX_AHEAD:
            limit = f"{state.last_msn} + {MAX_AHEAD}"
            raise web.HTTPBadRequest(text=f"_HLS_msn {msn} is beyond {limit}\n")
        if give_up is None:
            give_up = loop.time() + TIMEOUT_TARGET_DURATIONS * max(1.0, state.target_duration)
        left = give_up - loop.time()
        if left <= 0 or not await request.app[PLAYLIST_WATCHES_KEY].changed(path, seen, left):
            break  # not published in time: the playlist as it is (playlist_hold.py says why)
    body = advertise(file.body)
    if body is not file.body:
        file = FileBody(body, strong_etag(body), file.mtime)
    return file_response(
        request,
        file,
        content_type=resource.content_type,
        cache=cache_control(resource.kind, ended=False),
    )


async def stream_file(request: web.Request) -> web.Response:
    """`/live/<stream>/{master.m3u8,manifest.mpd,signing-key.json}`."""
    info = request.match_info
    return await _serve(request, stream_resource(info["stream"], info["filename"]))


async def rendition_file(request: web.Request) -> web.Response:
    """`/live/<stream>/<rendition>/{index.m3u8,init-<d>.mp4,seg-<n>.m4s,*.integrity.json}`."""
    info = request.match_info
    return await _serve(
        request, rendition_resource(info["stream"], info["rendition"], info["filename"])
    )


def _add_cors(headers: MutableMapping[str, str], allow_origin: str) -> None:
    headers["Access-Control-Allow-Origin"] = allow_origin
    headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """CORS for the origin's own paths (GET/HEAD/OPTIONS); Socket.IO handles its own."""
    if not request.path.startswith(CORS_PREFIXES) or request.path.startswith(CORS_PRIVATE):
        return await handler(request)
    allow_origin = request.app[CONFIG_KEY].cors_allow_origin
    if request.method == hdrs.METH_OPTIONS:
        preflight = web.Response(status=204)
        _add_cors(preflight.headers, allow_origin)
        preflight.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        preflight.headers["Access-Control-Allow-Headers"] = ALLOWED_REQUEST_HEADERS
        preflight.headers["Access-Control-Max-Age"] = "86400"
        return preflight
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _add_cors(exc.headers, allow_origin)
        raise
    _add_cors(response.headers, allow_origin)
    return response


def add_live_routes(app: web.Application) -> None:
    app.router.add_get("/live/{stream}/{filename}", stream_file)
    app.router.add_get("/live/{stream}/{rendition}/{filename}", rendition_file)
