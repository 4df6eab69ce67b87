"""Which pages may use signaling: the pure rule, and the server refusing with a reason."""

from __future__ import annotations

from typing import Any

import pytest
from signaling_fixtures import connect, running_server

from swarmcast.signaling.config import SignalingConfig
from swarmcast.signaling.origin_policy import origin_refusal, same_origin


def test_rule() -> None:
    page = "https://www.example.com"
    assert origin_refusal(None, None) is None  # not a browser
    assert origin_refusal(page, "*") is None
    assert origin_refusal(page, ("https://WWW.example.com:443",)) is None
    assert origin_refusal(page, (), always_allowed=("https://www.example.com",)) is None
    assert origin_refusal(page, None, this_host=same_origin("https", "www.example.com")) is None
    refusal = origin_refusal(page, ("https://other.example",), this_host="https://video.example")
    assert refusal is not None
    assert "does not accept pages from https://www.example.com" in refusal
    assert "--allowed-origin" in refusal


async def refused(config: SignalingConfig, headers: dict[str, str]) -> Any:
    async with running_server(config) as server:
        client = await connect(server, headers=headers)
        try:
            return client.connect_error if not client.sio.connected else None
        finally:
            await client.close()


async def test_foreign_page_is_refused_with_a_reason() -> None:
    error = await refused(SignalingConfig(), {"Origin": "http://127.0.0.1:8081"})
    assert error["message"] == "origin-not-allowed"
    assert error["data"]["code"] == "origin-not-allowed"
    assert "http://127.0.0.1:8081" in error["data"]["message"]


@pytest.mark.parametrize(
    ("config", "headers"),
    [
        (SignalingConfig(cors_allowed_origins=("http://127.0.0.1:8081",)), {}),
        (SignalingConfig(cors_allowed_origins="*"), {}),
        (SignalingConfig(public_origins=("http://127.0.0.1:8081",)), {}),
        # Behind a trusted TLS proxy, the page's own https host is "same origin".
        (
            SignalingConfig(trusted_proxies=("127.0.0.1",)),
            {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "127.0.0.1:8081"},
        ),
    ],
)
async def test_allowed_pages_connect(config: SignalingConfig, headers: dict[str, str]) -> None:
    page = "https://127.0.0.1:8081" if headers else "http://127.0.0.1:8081"
    assert await refused(config, {"Origin": page, **headers}) is None


async def test_forwarded_host_from_an_untrusted_client_is_ignored() -> None:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    error = await refused(SignalingConfig(), {"Origin": "https://evil.example", **headers})
    assert error["message"] == "origin-not-allowed"


async def test_same_origin_page_connects() -> None:
    async with running_server(SignalingConfig()) as server:
        client = await connect(server, headers={"Origin": server.url})
        try:
            assert client.sio.connected, client.connect_error
        finally:
            await client.close()
