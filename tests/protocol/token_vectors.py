"""Builds tests/vectors/tokens.json (viewer tokens, docs/protocol.md §3).

Regenerate with `.venv/bin/python -m tests.protocol.token_vectors` only when the contract
changes; the TypeScript side may run the same file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from swarmcast.protocol import tokens

VECTORS_PATH = Path(__file__).resolve().parents[1] / "vectors" / "tokens.json"
SECRET = bytes.fromhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
OTHER_SECRET = b"another-secret-of-32-bytes------"
NOW = 1_700_000_000


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signed(payload_json: str, secret: bytes = SECRET) -> str:
    """A token with an arbitrary payload text and a correct MAC (for schema errors)."""
    payload = _b64(payload_json.encode())
    mac = _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{mac}"


def _error(
    token: str, error: type[tokens.TokenError], stream: str | None = "demo"
) -> dict[str, Any]:
    return {
        "token": token,
        "now": NOW,
        "stream": stream,
        "error": error.__name__,
        "code": error.code,
    }


def build() -> dict[str, Any]:
    good = tokens.mint(SECRET, "demo", NOW, ttl_seconds=3600, sub="viewer-1")
    payload, mac = good.split(".")
    tampered_mac = mac[:-2] + ("AA" if mac[-2:] != "AA" else "AQ")
    mint_cases = [
        {"stream": "demo", "now": NOW, "ttl_seconds": 3600, "sub": "viewer-1"},
        {"stream": "x_Y-9", "now": NOW + 0.75, "ttl_seconds": 60, "sub": "Zq3_-abcdEFGH"},
    ]
    return {
        "description": "swarmcast viewer tokens (docs/protocol.md section 3)",
        "format": {
            "secret": "hex of the HMAC key",
            "mint": "mint(secret, stream, now, ttl_seconds, sub) == token (exp = floor(now) + "
            "ttl_seconds; payload JSON is compact with keys in the order v, stream, exp, sub)",
            "verify_ok": "verify(token, secret, now, stream) == claims (stream null: not checked)",
            "verify_error": "verify(token, secret, now, stream) fails with the named class; "
            "code is the reason signaling sends to clients",
            "check_order": "shape, MAC, payload schema, stream, expiry",
        },
        "secret": SECRET.hex(),
        "max_token_length": tokens.MAX_TOKEN_LENGTH,
        "mint": [
            {**case, "token": tokens.mint(SECRET, **case)}  # type: ignore[arg-type]
            for case in mint_cases
        ],
        "verify_ok": [
            {
                "token": good,
                "now": NOW,
                "stream": "demo",
                "claims": {"stream": "demo", "exp": NOW + 3600, "sub": "viewer-1"},
            },
            {
                "token": good,
                "now": NOW + 3599.999,
                "stream": None,
                "claims": {"stream": "demo", "exp": NOW + 3600, "sub": "viewer-1"},
            },
            {
                "token": _signed('{"v":1,"stream":"demo","exp":1700003600,"sub":"s","x":[1]}'),
                "now": NOW,
                "stream": "demo",
                "claims": {"stream": "demo", "exp": NOW + 3600, "sub": "s"},
            },
        ],
        "verify_error": [
            _error("", tokens.MalformedToken),
            _error("abc", tokens.MalformedToken),
            _error(good + ".x", tokens.MalformedToken),
            _error(good + "=", tokens.MalformedToken),
            _error(payload + "=." + mac, tokens.MalformedToken),
            _error(payload + "." + mac[:-1], tokens.MalformedToken),
            _error("a" * 1000 + "." + mac[:24], tokens.MalformedToken),
            _error(payload + "." + mac + "A", tokens.MalformedToken),
            _error("p+yl." + mac, tokens.MalformedToken),
            _error(payload + "." + tampered_mac, tokens.BadTokenMac),
            _error(payload[:-2] + "AA." + mac, tokens.BadTokenMac),
            _error(tokens.mint(OTHER_SECRET, "demo", NOW, 3600, "viewer-1"), tokens.BadTokenMac),
            _error(_signed("[1,2]"), tokens.MalformedToken),
            _error(_signed("not json"), tokens.MalformedToken),
            _error(
                _signed('{"v":2,"stream":"demo","exp":1700003600,"sub":"s"}'), tokens.MalformedToken
            ),
            _error(
                _signed('{"v":1,"stream":"de mo","exp":1700003600,"sub":"s"}'),
                tokens.MalformedToken,
            ),
            _error(
                _signed('{"v":1,"stream":"demo","exp":"1700003600","sub":"s"}'),
                tokens.MalformedToken,
            ),
            _error(_signed('{"v":1,"stream":"demo","exp":true,"sub":"s"}'), tokens.MalformedToken),
            _error(_signed('{"v":1,"stream":"demo","exp":1.5e9,"sub":"s"}'), tokens.MalformedToken),
            _error(
                _signed('{"v":1,"stream":"demo","exp":1700003600,"sub":""}'), tokens.MalformedToken
            ),
            _error(_signed('{"v":1,"stream":"demo","exp":1700003600}'), tokens.MalformedToken),
            _error(good, tokens.WrongStream, stream="other"),
            _error(tokens.mint(SECRET, "other", NOW - 7200, 60, "s"), tokens.WrongStream),
            {**_error(good, tokens.ExpiredToken), "now": NOW + 3600},
            {**_error(good, tokens.ExpiredToken, stream=None), "now": NOW + 10**6},
        ],
    }


def main() -> None:
    VECTORS_PATH.write_text(json.dumps(build(), indent=1) + "\n")
    print(f"wrote {VECTORS_PATH}")


if __name__ == "__main__":
    main()
