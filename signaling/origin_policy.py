"""Which web pages may use signaling: the Origin header against the allowed origins. Pure.

Browsers send `Origin` on the WebSocket upgrade. Checking it here (in Socket.IO's connect
handler) rather than in Engine.IO's CORS layer lets the refusal carry a `{code, message}` the
page can show; Engine.IO's own refusal reaches a page only as "websocket error".
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from swarmcast.signaling.netaddr import Network, address_in

if TYPE_CHECKING:
    from aiohttp import web

    from swarmcast.signaling.config import SignalingConfig

ALLOWED_ANY = "*"


def _normalized(origin: str) -> str:
    parts = urlsplit(origin.strip().lower())
    default = {"http": 80, "https": 443}.get(parts.scheme)
    try:
        port = parts.port
    except ValueError:
        return origin.strip().lower()
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    if port is None or port == default:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def same_origin(scheme: str, host: str | None) -> str | None:
    """The origin of a page served by the host this request reached ("https://a.example")."""
    if not host:
        return None
    return _normalized(f"{scheme}://{host}")


def origin_refusal(
    page_origin: str | None,
    allowed: str | tuple[str, ...] | None,
    always_allowed: tuple[str, ...] = (),
    this_host: str | None = None,
) -> str | None:
    """None when a page of `page_origin` may connect, else why not, in words for its developer.

    No Origin header (not a browser, or a same-origin request of some clients) is allowed:
    the check protects users' browsers, not the server; tokens protect the server.
    """
    if page_origin is None or page_origin == "" or allowed == ALLOWED_ANY:
        return None
    origin = _normalized(page_origin)
    accepted = {_normalized(o) for o in (allowed if isinstance(allowed, tuple) else ())}
    accepted.update(_normalized(o) for o in always_allowed)
    if this_host is not None:
        accepted.add(this_host)
    if ALLOWED_ANY in accepted or origin in accepted:
        return None
    return (
        f"signaling does not accept pages from {page_origin}: the operator must add it to "
        "allowed_origins (--allowed-origin or SWARMCAST_ALLOWED_ORIGINS)"
    )


def page_refusal(
    request: web.Request | None,
    page_origin: str | None,
    config: SignalingConfig,
    trusted_proxies: tuple[Network, ...],
) -> str | None:
    """Why a page of `page_origin` may not connect (None: it may). Same-origin pages are
    allowed; behind a trusted proxy, "same" uses its X-Forwarded-Proto/-Host."""
    this_host = None
    if request is not None:
        scheme, host = request.scheme, request.host
        remote = request.remote or ""
        if address_in(remote, trusted_proxies):
            forwarded = request.headers
            scheme = forwarded.get("X-Forwarded-Proto", scheme).split(",")[0].strip()
            host = forwarded.get("X-Forwarded-Host", host).split(",")[0].strip()
        this_host = same_origin(scheme, host)
    return origin_refusal(
        page_origin, config.cors_allowed_origins, config.public_origins, this_host
    )
