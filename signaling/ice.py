"""ICE servers for a join ack, with TURN REST credentials (coturn --use-auth-secret). Pure."""

from __future__ import annotations

import base64
import hashlib
import hmac

from protocol.signaling_schema import IceServer
from signaling.config import SignalingConfig


def turn_credentials(secret: str, user: str, now: float, ttl_s: int) -> tuple[str, str]:
    """username "<unix expiry>:<user>", password base64(HMAC-SHA1(secret, username))."""
    username = f"{int(now) + ttl_s}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_servers_for(config: SignalingConfig, peer_id: str, now: float) -> tuple[IceServer, ...]:
    servers = config.ice_servers
    if config.turn_urls and config.turn_secret:
        username, password = turn_credentials(config.turn_secret, peer_id, now, config.turn_ttl_s)
        servers = (*servers, IceServer(config.turn_urls, username, password))
    return servers
