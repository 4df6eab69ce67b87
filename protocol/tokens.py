"""Viewer tokens (docs/protocol.md §3): HMAC-SHA256 signed, expiring, bound to one stream.

Pure: the caller passes the secret and `now` (unix seconds). The origin mints tokens for its
pages; signaling verifies them on connect and checks the stream binding on join.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from typing import Final

TOKEN_VERSION: Final = 1
MAX_TOKEN_LENGTH: Final = 1024
# An operator's JWT (signaling/auth.py) may carry an RS256 signature and its own claims.
MAX_JWT_LENGTH: Final = 4096
MAX_SUB_LENGTH: Final = 64
DEFAULT_TTL_SECONDS: Final = 6 * 3600
MIN_SECRET_BYTES: Final = 16

_NAME_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_B64URL_RE: Final = re.compile(r"[A-Za-z0-9_-]+")
_MAC_CHARS: Final = 43  # 32 bytes of HMAC-SHA256, base64url without padding


class TokenError(ValueError):
    """Base of every reason a token is refused; `code` is the reason sent to clients."""

    code = "token-invalid"


class MalformedToken(TokenError):
    """Not `<payload>.<mac>`, too long, bad base64url, or a payload that is not the schema."""

    code = "token-malformed"


class BadTokenMac(TokenError):
    """Well formed, but the MAC is not ours: forged, altered, or minted with another secret."""

    code = "token-bad-mac"


class ExpiredToken(TokenError):
    """Authentic, but `now >= exp`."""

    code = "token-expired"


class WrongStream(TokenError):
    """Authentic, but bound to another stream."""

    code = "token-wrong-stream"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    stream: str
    exp: int  # unix seconds; valid while now < exp
    sub: str  # viewer id (random from /api/token, or the operator's user id): bans cover it
    # Operator-signed seeder token: signaling honours `capabilities.seeder` from its holder.
    seeder: bool = False


def is_valid_name(name: str) -> bool:
    """A stream or rendition name (docs/protocol.md: `[A-Za-z0-9_-]{1,64}`)."""
    return bool(_NAME_RE.fullmatch(name))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not _B64URL_RE.fullmatch(text) or len(text) % 4 == 1:
        raise MalformedToken("not base64url without padding")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):  # pragma: no cover - the regex already filters
        raise MalformedToken("not base64url") from None


def _mac(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"token secret must be at least {MIN_SECRET_BYTES} bytes")


def mint(
    secret: bytes,
    stream: str,
    now: float,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    sub: str | None = None,
    *,
    seeder: bool = False,
) -> str:
    """A token for `stream`, valid until `int(now) + ttl_seconds`; `sub` is random by default.
    `seeder=True` (operators only: never from `/api/token`) adds `"seeder": true`."""
    _check_secret(secret)
    if not _NAME_RE.fullmatch(stream):
        raise ValueError(f"invalid stream name {stream!r}")
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    sub = secrets.token_urlsafe(12) if sub is None else sub
    if not 1 <= len(sub) <= MAX_SUB_LENGTH:
        raise ValueError(f"sub must be 1..{MAX_SUB_LENGTH} characters")
    claims: dict[str, object] = {
        "v": TOKEN_VERSION,
        "stream": stream,
        "exp": int(now) + ttl_seconds,
        "sub": sub,
    }
    if seeder:
        claims["seeder"] = True
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{_mac(secret, payload)}"


def verify(token: object, secret: bytes, now: float, stream: str | None = None) -> TokenClaims:
    """The claims of an authentic, unexpired token; checks the stream binding when `stream`
    is given. Order: shape → MAC → payload schema → stream → expiry."""
    _check_secret(secret)
    if not isinstance(token, str) or not token:
        raise MalformedToken("token must be a non-empty string")
    if len(token) > MAX_TOKEN_LENGTH:
        raise MalformedToken(f"token longer than {MAX_TOKEN_LENGTH} characters")
    parts = token.split(".")
    if len(parts) != 2:
        raise MalformedToken("token must be <payload>.<mac>")
    payload, mac = parts
    raw_payload = _unb64(payload)
    if len(mac) != _MAC_CHARS or len(_unb64(mac)) != 32:
        raise MalformedToken("mac must be 43 base64url characters")
    # Compare the text forms: a non-canonical encoding of the right MAC is refused too.
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        raise BadTokenMac("token MAC does not match")
    claims = _parse_claims(raw_payload)
    if stream is not None and claims.stream != stream:
        raise WrongStream(f"token is for stream {claims.stream!r}, not {stream!r}")
    if not now < claims.exp:
        raise ExpiredToken("token expired")
    return claims


def _parse_claims(raw: bytes) -> TokenClaims:
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MalformedToken("payload is not UTF-8 JSON") from None
    if not isinstance(obj, dict):
        raise MalformedToken("payload is not a JSON object")
    version, stream, exp, sub = obj.get("v"), obj.get("stream"), obj.get("exp"), obj.get("sub")
    if type(version) is not int or version != TOKEN_VERSION:
        raise MalformedToken(f"unsupported token version {version!r}")
    if not isinstance(stream, str) or not _NAME_RE.fullmatch(stream):
        raise MalformedToken("payload stream is not a valid name")
    if type(exp) is not int or exp < 0:
        raise MalformedToken("payload exp is not a non-negative integer")
    if not isinstance(sub, str) or not 1 <= len(sub) <= MAX_SUB_LENGTH:
        raise MalformedToken(f"payload sub is not a string of 1..{MAX_SUB_LENGTH} characters")
    return TokenClaims(stream=stream, exp=exp, sub=sub, seeder=obj.get("seeder") is True)
