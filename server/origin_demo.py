"""The demo page at `/`, the video.js example at `/examples/videojs`, and what they load: the
swarmcast shim bundles and, from player-shim's node_modules, the players (`?player=hls|shaka|
dashjs` on the demo page, video.js on the example)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import hdrs, web

from swarmcast.server.origin_keys import CONFIG_KEY, FILE_STORE_KEY
from swarmcast.server.origin_player import bundle_names, player_asset
from swarmcast.server.origin_routes import file_response

STATIC_DIR = Path(__file__).resolve().parent / "static"
_MAX_ASSET_BYTES = 16 * 1024 * 1024
_PAGE_ASSETS = {
    "demo.js": "text/javascript; charset=utf-8",
    "demo.css": "text/css; charset=utf-8",
    "broadcast.js": "text/javascript; charset=utf-8",
}
# Players the pages load from player-shim/node_modules (the shim bundles none but hls.js).
_JS = "text/javascript; charset=utf-8"
_PLAYER_ASSETS = {
    "hls.min.js": (_JS, ("hls.js", "dist", "hls.min.js")),
    "shaka-player.compiled.js": (_JS, ("shaka-player", "dist", "shaka-player.compiled.js")),
    "dash.all.min.js": (_JS, ("dashjs", "dist", "modern", "umd", "dash.all.min.js")),
    "video.min.js": (_JS, ("video.js", "dist", "video.min.js")),
    "video-js.min.css": ("text/css; charset=utf-8", ("video.js", "dist", "video-js.min.css")),
}


async def asset_response(request: web.Request, path: Path, content_type: str) -> web.Response:
    # Assets may be rebuilt while the server runs (`make shim`): no-cache + ETag keeps them
    # fresh at the cost of a 304 round trip; the store's stat check keeps memory copies honest.
    file = await request.app[FILE_STORE_KEY].read(path, cacheable=True, max_bytes=_MAX_ASSET_BYTES)
    if file is None:
        raise web.HTTPNotFound()
    return file_response(request, file, content_type=content_type, cache="no-cache")


async def index_page(request: web.Request) -> web.Response:
    """The demo page, loading the shim bundles by their content-hashed (immutable) names."""
    response = await asset_response(request, STATIC_DIR / "index.html", "text/html; charset=utf-8")
    names = bundle_names(request.app[CONFIG_KEY].player_dir)
    if not names or response.status != 200 or not isinstance(response.body, bytes):
        return response
    html = response.body
    for plain, hashed in names.items():
        html = html.replace(f'"/player/{plain}"'.encode(), f'"/player/{hashed}"'.encode())
    return web.Response(
        body=html,
        headers={hdrs.CONTENT_TYPE: "text/html; charset=utf-8", hdrs.CACHE_CONTROL: "no-cache"},
    )


async def videojs_example(request: web.Request) -> web.Response:
    """`/examples/videojs`: video.js as the UI, hls.js with the swarm underneath."""
    return await asset_response(request, STATIC_DIR / "videojs.html", "text/html; charset=utf-8")


async def static_asset(request: web.Request) -> web.Response:
    """`/static/demo.js`, `/static/demo.css`, and the player assets of `_PLAYER_ASSETS`."""
    name = request.match_info["name"]
    if name in _PLAYER_ASSETS:
        player_type, parts = _PLAYER_ASSETS[name]
        path = request.app[CONFIG_KEY].player_shim_dir.joinpath("node_modules", *parts)
        return await asset_response(request, path, player_type)
    content_type = _PAGE_ASSETS.get(name)
    if content_type is None:
        raise web.HTTPNotFound()
    return await asset_response(request, STATIC_DIR / name, content_type)


def add_demo_routes(app: web.Application) -> None:
    app.router.add_get("/", index_page)
    app.router.add_get("/examples/videojs", videojs_example)
    app.router.add_get("/static/{name}", static_asset)
    app.router.add_get("/player/{name}", player_asset)
