"""`/metrics` and the operator dashboard on any app that carries signaling (docs/operator.md).

    GET  /admin                               the dashboard page (static; asks for the token)
    GET  /admin/static/{file}                 its script, style, and uPlot (player-shim's npm copy)
    GET  /admin/api/overview                  every stream's figures, controls and swarms
    GET  /admin/api/streams/{stream}          one stream: figures, history, control, viewers
    POST /admin/api/streams/{stream}/control  {p2p?, ramp_percent?, shadow?, upload?}: pushed live

The API wants `Authorization: Bearer <admin_token>` (SignalingConfig.admin_token, env
SWARMCAST_ADMIN_TOKEN); without a configured token it answers 403 to everyone.
"""

from __future__ import annotations

import hmac
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

import swarmcast
from swarmcast.protocol.signaling_schema import NAME_RE, SchemaError
from swarmcast.signaling.metrics import EGRESS_BYTES_KEY, registry_for

if TYPE_CHECKING:
    from swarmcast.signaling.server import SignalingServer

STATIC_DIR = Path(__file__).resolve().parent / "static"
# uPlot comes from npm with the shim's packages; player-shim/build.mjs copies it next to the
# shim bundle in the Python package (so a wheel carries it too).
UPLOT_DIR = Path(swarmcast.__file__).resolve().parent / "player"
STATIC_FILES = {
    "admin.js": (STATIC_DIR / "admin.js", "text/javascript"),
    "admin.css": (STATIC_DIR / "admin.css", "text/css"),
    "uPlot.iife.min.js": (UPLOT_DIR / "uPlot.iife.min.js", "text/javascript"),
    "uPlot.min.css": (UPLOT_DIR / "uPlot.min.css", "text/css"),
}
MAX_CONTROL_BODY = 4096


def attach_operator(app: web.Application, signaling: SignalingServer) -> None:
    """Export `signaling`'s metrics on the app's `/metrics` and mount the dashboard."""
    registry = registry_for(app)
    if registry is not signaling.registry:
        registry.register(signaling.registry)  # a registry is a collector too
    if OPERATOR_KEY in app:
        return
    admin = app[OPERATOR_KEY] = Admin(signaling)
    if EGRESS_BYTES_KEY in app:  # an origin: the history also records its measured egress
        signaling.plane.egress_bytes = app[EGRESS_BYTES_KEY]
    app.router.add_get("/admin", admin.page)
    app.router.add_get("/admin/static/{name}", admin.static)
    app.router.add_get("/admin/api/overview", admin.overview)
    app.router.add_get("/admin/api/streams/{stream}", admin.stream)
    app.router.add_post("/admin/api/streams/{stream}/control", admin.control)


def bearer_ok(request: web.Request, token: str) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.json_response(payload, status=status, headers={"Cache-Control": "no-store"})


class Admin:
    def __init__(self, signaling: SignalingServer) -> None:
        self.signaling = signaling

    def _refusal(self, request: web.Request) -> web.Response | None:
        token = self.signaling.config.admin_token
        if not token:
            return _json(
                {"error": "admin API off: set an admin token (SWARMCAST_ADMIN_TOKEN)"}, 403
            )
        if not bearer_ok(request, token):
            return web.json_response(
                {"error": "operator token required"},
                status=401,
                headers={"WWW-Authenticate": "Bearer", "Cache-Control": "no-store"},
            )
        return None

    async def page(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / "admin.html", headers={"Cache-Control": "no-cache"})

    async def static(self, request: web.Request) -> web.StreamResponse:
        entry = STATIC_FILES.get(request.match_info["name"])
        if entry is None or not entry[0].is_file():
            raise web.HTTPNotFound()
        path, content_type = entry
        return web.FileResponse(
            path, headers={"Content-Type": content_type, "Cache-Control": "no-cache"}
        )

    async def overview(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        plane = self.signaling.plane
        summaries = await plane.summaries()
        swarms = await self.signaling.snapshot(include_peers=False)
        names = set(summaries) | {s["stream"] for s in swarms["swarms"]}
        streams = []
        for name in sorted(names):
            summary = dict(summaries.get(name, {}))
            summary.pop("viewer_list", None)
            control = await plane.controls.get(name)
            streams.append({"stream": name, "summary": summary, "control": control.to_json()})
        return _json({"time": time.time(), "streams": streams, "swarms": swarms})

    async def stream(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        name = request.match_info["stream"]
        if not NAME_RE.fullmatch(name):
            return _json({"error": "bad stream name"}, 400)
        plane = self.signaling.plane
        summary = (await plane.summaries()).get(name)
        swarms = await self.signaling.snapshot(include_peers=False)
        return _json(
            {
                "time": time.time(),
                "stream": name,
                "summary": summary,
                "history": plane.book.history(name),
                "control": (await plane.controls.get(name)).to_json(),
                "swarms": [s for s in swarms["swarms"] if s["stream"] == name],
                "bans": swarms["bans"],
            }
        )

    async def control(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        name = request.match_info["stream"]
        if not NAME_RE.fullmatch(name):
            return _json({"error": "bad stream name"}, 400)
        if (request.content_length or 0) > MAX_CONTROL_BODY:
            return _json({"error": "body too large"}, 413)
        try:
            changes = json.loads(await request.text())
            control = await self.signaling.plane.set_control(name, changes)
        except (ValueError, SchemaError) as error:
            return _json({"error": str(error)}, 400)
        return _json({"control": control.to_json()})


OPERATOR_KEY = web.AppKey("swarmcast_operator", Admin)
