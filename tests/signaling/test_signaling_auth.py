"""Operator-pluggable auth on the real signaling server: JWTs from the operator's issuer
(HS256 shared secret, EdDSA public key), and seeder claims honoured only from seeder networks
or with an operator-signed seeder token (issue 9, finding 1)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from swarmcast.protocol import tokens
from swarmcast.signaling.auth import JwtSettings
from swarmcast.signaling.config import SignalingConfig
from tests.signaling.signaling_fixtures import SECRET, connect, running_server

JWT_SECRET = "operator-jwt-secret-0123456789abcdef"
ISSUER_KEY = Ed25519PrivateKey.generate()
PUBLIC_PEM = (
    ISSUER_KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


def claims(**extra: Any) -> dict[str, Any]:
    return {"sub": "user-42", "stream": "demo", "exp": int(time.time()) + 600, **extra}


def ed_jwt(payload: dict[str, Any], key: Ed25519PrivateKey = ISSUER_KEY) -> str:
    return jwt.encode(payload, key, algorithm="EdDSA")


async def connect_error(server: Any, token: str) -> str | None:
    client = await connect(server, token)
    try:
        return None if client.connect_error is None else str(client.connect_error["message"])
    finally:
        await client.close()


async def test_hs256_jwt_from_the_operator_opens_signaling() -> None:
    config = SignalingConfig(jwt=JwtSettings(JWT_SECRET, audience="swarmcast"))
    async with running_server(config) as server:
        good = jwt.encode(claims(aud="swarmcast"), JWT_SECRET, algorithm="HS256")
        client = await connect(server, good)
        try:
            assert client.connect_error is None and (await client.join())["ok"]
        finally:
            await client.close()
        wrong_aud = jwt.encode(claims(aud="other"), JWT_SECRET, algorithm="HS256")
        assert await connect_error(server, wrong_aud) == "token-malformed"
        forged = jwt.encode(claims(aud="swarmcast"), "x" * 40, algorithm="HS256")
        assert await connect_error(server, forged) == "token-bad-mac"
        # Swarmcast tokens keep working beside the JWTs.
        assert await connect_error(server, server.token()) is None


@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        (lambda: ed_jwt(claims()), None),
        (lambda: ed_jwt(claims(), Ed25519PrivateKey.generate()), "token-bad-mac"),
        (lambda: ed_jwt(claims(exp=int(time.time()) - 5)), "token-expired"),
        (lambda: ed_jwt({"sub": "u", "exp": int(time.time()) + 60}), "token-malformed"),
        (lambda: ed_jwt(claims(stream="../etc")), "token-malformed"),
        # Algorithm confusion: HS256 keyed with the public key text must not pass.
        (
            lambda: jwt.encode(claims(), PUBLIC_PEM.encode()[:64] * 2, algorithm="HS256"),
            "token-malformed",
        ),
        (lambda: jwt.encode(claims(), None, algorithm="none"), "token-malformed"),
    ],
)
async def test_eddsa_jwt_checks(make_token: Any, code: str | None) -> None:
    async with running_server(SignalingConfig(jwt=JwtSettings(PUBLIC_PEM))) as server:
        assert await connect_error(server, make_token()) == code


async def test_seeder_claims_count_with_a_seeder_token_or_from_seeder_networks() -> None:
    config = SignalingConfig(
        trusted_proxies=("127.0.0.1",),
        seeder_networks=("10.9.0.0/16",),
        jwt=JwtSettings(PUBLIC_PEM),
    )
    async with running_server(config) as server:
        outside = {"X-Forwarded-For": "203.0.113.5"}
        seeder_token = tokens.mint(SECRET, "demo", time.time(), 600, seeder=True)
        cases = [
            (seeder_token, outside, 32),
            (ed_jwt(claims(seeder=True)), outside, 32),
            (server.token(), outside, 5),  # a viewer token claiming to be a seeder
            (ed_jwt(claims(sub="u2", seeder="yes")), outside, 5),  # only `true` counts
            (server.token(), {"X-Forwarded-For": "10.9.3.4"}, 32),  # a seeder network
        ]
        clients = []
        try:
            for token, headers, expected in cases:
                client = await connect(server, token, headers=headers)
                clients.append(client)
                ack = await client.join(seeder=True, max_neighbours=64)
                assert ack["max_neighbours"] == expected, (token, headers)
        finally:
            await asyncio.gather(*(c.close() for c in clients))


def test_jwt_settings_refuse_mismatched_algorithms() -> None:
    with pytest.raises(ValueError):
        JwtSettings(PUBLIC_PEM, algorithms=("HS256",))
    with pytest.raises(ValueError):
        JwtSettings(JWT_SECRET, algorithms=("EdDSA",))
    with pytest.raises(ValueError):
        JwtSettings("short")
