"""Typed keys for the origin's shared state on the aiohttp application (`app[KEY]`)."""

from __future__ import annotations

from aiohttp import web

from swarmcast.server.origin_catalog import StreamCatalog
from swarmcast.server.origin_config import OriginConfig
from swarmcast.server.origin_files import FileStore
from swarmcast.server.playlist_hold import PlaylistWatches

CONFIG_KEY = web.AppKey("swarmcast_origin_config", OriginConfig)
# The HMAC secret of viewer tokens (protocol §3): `/api/token` mints with it, the signaling
# server attached to the same app verifies with it. Always set by `create_app`.
TOKEN_SECRET_KEY = web.AppKey("swarmcast_token_secret", bytes)
CATALOG_KEY = web.AppKey("swarmcast_stream_catalog", StreamCatalog)
FILE_STORE_KEY = web.AppKey("swarmcast_file_store", FileStore)
# Requests held for a playlist's next segment (`_HLS_msn`, server/playlist_hold.py).
PLAYLIST_WATCHES_KEY = web.AppKey("swarmcast_playlist_watches", PlaylistWatches)
