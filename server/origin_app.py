"""The origin as one aiohttp application: live files, APIs and the demo page.

Other components plug into the same app rather than running servers of their own:
- `extra_setup` callables run after the origin's routes exist, e.g. the signaling server's
  `attach_signaling(app, config, secret)` adding python-socketio at `/socket.io/`
  (`swarmcast serve` hands it the shared token secret from `app[TOKEN_SECRET_KEY]`);
- background work (the live pipeline) goes into `app.cleanup_ctx`, which starts it with the
  server and cancels it on shutdown.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable

from aiohttp import web

from swarmcast.server.metrics import install_origin_metrics
from swarmcast.server.origin_api import add_api_routes
from swarmcast.server.origin_catalog import StreamCatalog
from swarmcast.server.origin_config import OriginConfig
from swarmcast.server.origin_demo import add_demo_routes
from swarmcast.server.origin_files import FileStore
from swarmcast.server.origin_keys import (
    CATALOG_KEY,
    CONFIG_KEY,
    FILE_STORE_KEY,
    PLAYLIST_WATCHES_KEY,
    TOKEN_SECRET_KEY,
)
from swarmcast.server.origin_routes import add_live_routes, cors_middleware
from swarmcast.server.playlist_hold import PlaylistWatches

__all__ = [
    "CATALOG_KEY",
    "CONFIG_KEY",
    "FILE_STORE_KEY",
    "TOKEN_SECRET_KEY",
    "AppSetup",
    "create_app",
]

AppSetup = Callable[[web.Application], None]


def create_app(config: OriginConfig, *, extra_setup: Iterable[AppSetup] = ()) -> web.Application:
    """Build the origin app serving `config.streams_dir` (which need not exist yet)."""
    app = web.Application(middlewares=[cors_middleware])
    app[CONFIG_KEY] = config
    app[TOKEN_SECRET_KEY] = config.token_secret or secrets.token_bytes(32)
    app[CATALOG_KEY] = StreamCatalog(config.streams_dir)
    app[FILE_STORE_KEY] = FileStore(config.file_cache_bytes)
    watches = app[PLAYLIST_WATCHES_KEY] = PlaylistWatches()

    async def close_watches(_: web.Application) -> None:
        await watches.close()

    app.on_cleanup.append(close_watches)
    install_origin_metrics(app, app[FILE_STORE_KEY])
    add_live_routes(app)
    add_api_routes(app)
    add_demo_routes(app)
    for setup in extra_setup:
        setup(app)
    return app
