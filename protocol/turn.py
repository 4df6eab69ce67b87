"""TURN REST API credentials (coturn `--use-auth-secret`): the one implementation, used by the
origin's `/api/config` and by signaling's join acks. Pure: time is passed in."""

from __future__ import annotations

import base64
import hashlib
import hmac


def turn_credentials(secret: str, user: str, now: float, ttl_s: int) -> tuple[str, str]:
    """username "<unix expiry>:<user>", password base64(HMAC-SHA1(secret, username))."""
    username = f"{int(now) + ttl_s}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")
