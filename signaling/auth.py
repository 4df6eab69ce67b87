"""Who may connect to signaling: swarmcast viewer tokens (docs/protocol.md §3) and, when the
operator configures one, a JWT from its own identity provider (docs/security.md §4.1).

A JWT is accepted with the configured algorithms and key only (HS256 with a shared secret;
EdDSA, RS256 or ES256 with a PEM public key), must carry `exp`, `sub` and `stream`, and may
carry `"seeder": true`. `aud` and `iss` are checked when configured. Both kinds map to the
same `TokenClaims`, so bans and caps treat them alike; a JWT `sub` longer than 64 characters
is replaced by its SHA-256 (bans key on it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import jwt

from swarmcast.protocol import tokens
from swarmcast.protocol.tokens import TokenClaims

TokenVerifier = Callable[[object, float], TokenClaims]

ASYMMETRIC = ("EdDSA", "RS256", "ES256")


@dataclass(frozen=True)
class JwtSettings:
    """The operator's JWT issuer: key (HS256 secret, or a PEM public key) and claims checks."""

    key: str
    algorithms: tuple[str, ...] = ()
    audience: str | None = None
    issuer: str | None = None

    def __post_init__(self) -> None:
        pem = self.key.lstrip().startswith("-----BEGIN")
        allowed = ASYMMETRIC if pem else ("HS256",)
        if not set(self.algorithms) <= set(allowed):
            kind = "a PEM public key" if pem else "a shared secret"
            raise ValueError(f"with {kind} the JWT algorithms must be among {allowed}")
        if not pem and len(self.key.encode()) < tokens.MIN_SECRET_BYTES:
            raise ValueError(f"a JWT secret must be at least {tokens.MIN_SECRET_BYTES} bytes")

    @property
    def effective_algorithms(self) -> list[str]:
        if self.algorithms:
            return list(self.algorithms)
        return list(ASYMMETRIC) if self.key.lstrip().startswith("-----BEGIN") else ["HS256"]


def _jwt_claims(token: str, settings: JwtSettings, now: float) -> TokenClaims:
    try:
        payload = jwt.decode(
            token,
            settings.key,
            algorithms=settings.effective_algorithms,
            audience=settings.audience,
            issuer=settings.issuer,
            # Expiry is checked below against the server's clock (tests move it).
            options={"require": ["exp", "sub"], "verify_exp": False},
        )
    except jwt.InvalidSignatureError:
        raise tokens.BadTokenMac("JWT signature does not verify") from None
    except jwt.PyJWTError as error:
        raise tokens.MalformedToken(f"JWT refused: {error}") from None
    stream, exp, sub = payload.get("stream"), payload.get("exp"), payload.get("sub")
    if not isinstance(stream, str) or not tokens.is_valid_name(stream):
        raise tokens.MalformedToken("JWT has no valid `stream` claim")
    if type(exp) is not int:
        raise tokens.MalformedToken("JWT exp is not an integer")
    if not isinstance(sub, str) or not sub:
        raise tokens.MalformedToken("JWT sub is not a non-empty string")
    if len(sub) > tokens.MAX_SUB_LENGTH:
        sub = hashlib.sha256(sub.encode()).hexdigest()
    if not now < exp:
        raise tokens.ExpiredToken("JWT expired")
    return TokenClaims(stream=stream, exp=exp, sub=sub, seeder=payload.get("seeder") is True)


def make_verifier(secret: bytes, jwt_settings: JwtSettings | None = None) -> TokenVerifier:
    """Swarmcast tokens (`<payload>.<mac>`), plus JWTs (three parts) when configured."""

    def verify(token: object, now: float) -> TokenClaims:
        if jwt_settings is not None and isinstance(token, str) and token.count(".") == 2:
            if len(token) > tokens.MAX_JWT_LENGTH:
                raise tokens.MalformedToken("JWT too long")
            return _jwt_claims(token, jwt_settings, now)
        return tokens.verify(token, secret, now)

    return verify
