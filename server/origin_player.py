"""`/player/`: the browser shim bundles from the package's `swarmcast/player/` (a wheel carries
them; `make shim` fills them in a checkout). The content-hashed names of `manifest.json`
(`swarmcast.<hash>.js`) are immutable and cached for a year; the plain names are `no-cache`
(they change with every build). Precompressed brotli/gzip copies are sent to browsers that
accept them."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import hdrs, web

from swarmcast.server.origin_keys import CONFIG_KEY, FILE_STORE_KEY
from swarmcast.server.origin_routes import file_response

MAX_ASSET_BYTES = 16 * 1024 * 1024
IMMUTABLE = "public, max-age=31536000, immutable"
ASSET_TYPES = {
    "swarmcast.js": "text/javascript; charset=utf-8",
    "swarmcast.js.map": "application/json",
    "swarmcast.core.js": "text/javascript; charset=utf-8",
    "swarmcast.core.js.map": "application/json",
    "swarmcast.mjs": "text/javascript; charset=utf-8",
    "swarmcast.mjs.map": "application/json",
    "swarmcast-dash.js": "text/javascript; charset=utf-8",
    "swarmcast-dash.js.map": "application/json",
    "swarmcast-dash.mjs": "text/javascript; charset=utf-8",
    "swarmcast-dash.mjs.map": "application/json",
}
# Content-Encoding -> file suffix, in order of preference.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def bundle_names(player_dir: Path) -> dict[str, str]:
    """Plain name -> content-hashed name, from the build's manifest.json ({} without one)."""
    try:
        manifest = json.loads((player_dir / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(manifest, dict):
        return {}
    return {k: v for k, v in manifest.items() if k in ASSET_TYPES and isinstance(v, str)}


def _accepted(request: web.Request) -> set[str]:
    accepted = set()
    for part in request.headers.get(hdrs.ACCEPT_ENCODING, "").split(","):
        coding, _, params = part.strip().partition(";")
        if params.strip().replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            accepted.add(coding.strip().lower())
    return accepted


async def player_asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    config = request.app[CONFIG_KEY]
    by_hash = {hashed: plain for plain, hashed in bundle_names(config.player_dir).items()}
    if name in by_hash:
        plain, cache, dirs = by_hash[name], IMMUTABLE, [config.player_dir]
    elif name in ASSET_TYPES:
        # A checkout built before the bundle was copied into the package: player-shim/dist/.
        plain, cache, dirs = name, "no-cache", [config.player_dir, config.player_shim_dir / "dist"]
    else:
        raise web.HTTPNotFound()
    source = next((d / plain for d in dirs if (d / plain).is_file()), None)
    if source is None:
        raise web.HTTPNotFound()
    encoding = None
    accepted = _accepted(request)
    for coding, suffix in ENCODINGS:
        compressed = source.with_name(source.name + suffix)
        if coding in accepted and compressed.is_file():
            source, encoding = compressed, coding
            break
    store = request.app[FILE_STORE_KEY]
    file = await store.read(source, cacheable=True, max_bytes=MAX_ASSET_BYTES)
    if file is None:
        raise web.HTTPNotFound()
    response = file_response(request, file, content_type=ASSET_TYPES[plain], cache=cache)
    response.headers[hdrs.VARY] = hdrs.ACCEPT_ENCODING
    if encoding is not None:
        response.headers[hdrs.CONTENT_ENCODING] = encoding
    return response
