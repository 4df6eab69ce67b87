"""`/api/token` against token farming (issue 9, finding 1): rate-limited per client address
and per network prefix, and switchable off for operators who mint tokens themselves."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from swarmcast.server.origin_app import create_app
from tests.server.conftest import LIVE_STREAM, make_config


async def tokens_granted(client: TestClient, count: int, address: str | None = None) -> int:
    headers = {"X-Forwarded-For": address} if address else {}
    granted = 0
    for _ in range(count):
        response = await client.get("/api/token", params={"stream": LIVE_STREAM}, headers=headers)
        if response.status == 200:
            granted += 1
        else:
            assert response.status == 429
            assert int(response.headers["Retry-After"]) >= 1
    return granted


async def test_one_address_gets_a_burst_of_tokens_then_waits(streams_dir: Path) -> None:
    # Refill far slower than the test, so the burst alone decides.
    config = make_config(streams_dir, token_burst_per_address=20, token_rate_per_address=0.001)
    async with TestClient(TestServer(create_app(config))) as client:
        assert await tokens_granted(client, 300) == 20, "issue 9 minted 300 in 0.1 s"


async def test_one_network_shares_a_prefix_budget(streams_dir: Path) -> None:
    config = make_config(
        streams_dir,
        trusted_proxies=("127.0.0.1",),
        token_burst_per_address=5,
        token_rate_per_address=0.001,
        token_burst_per_prefix=12,
        token_rate_per_prefix=0.001,
    )
    async with TestClient(TestServer(create_app(config))) as client:
        granted = [await tokens_granted(client, 6, f"203.0.113.{i}") for i in range(1, 5)]
        assert granted == [5, 5, 2, 0], "12 for the whole /24"
        assert await tokens_granted(client, 6, "198.51.100.1") == 5, "other networks unaffected"


async def test_token_endpoint_can_be_switched_off(streams_dir: Path) -> None:
    config = make_config(
        streams_dir, token_endpoint=False, token_url="https://example.com/viewer-token"
    )
    async with TestClient(TestServer(create_app(config))) as client:
        response = await client.get("/api/token", params={"stream": LIVE_STREAM})
        assert response.status == 404
        body = await (await client.get("/api/config")).json()
        assert body["tokenUrl"] == "https://example.com/viewer-token"
    async with TestClient(TestServer(create_app(make_config(streams_dir)))) as client:
        assert (await (await client.get("/api/config")).json())["tokenUrl"] == "/api/token"


async def test_shared_address_networks_only_have_the_prefix_limit(streams_dir: Path) -> None:
    config = make_config(
        streams_dir,
        trusted_proxies=("127.0.0.1",),
        shared_address_networks=("10.77.0.0/16",),
        token_burst_per_address=5,
        token_rate_per_address=0.001,
        token_burst_per_prefix=30,
        token_rate_per_prefix=0.001,
    )
    async with TestClient(TestServer(create_app(config))) as client:
        assert await tokens_granted(client, 40, "10.77.3.2") == 30
