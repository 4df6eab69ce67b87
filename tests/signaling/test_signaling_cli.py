"""signaling.cli: flags override SignalingConfig; the standalone app serves its endpoints."""

from __future__ import annotations

import argparse

import aiohttp
import pytest
import socketio

from swarmcast.protocol import signaling_schema as schema
from swarmcast.protocol import tokens
from swarmcast.signaling.cli import build_app, config_from_args, register, run
from swarmcast.signaling.config import SignalingConfig
from tests.signaling.signaling_fixtures import serve_app

SECRET = b"cli-test-secret-0123456789abcdef"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["signaling", *argv])


def test_defaults_come_from_the_config() -> None:
    assert config_from_args(parse([]), environ={}) == SignalingConfig()


def test_flags_override() -> None:
    config = config_from_args(
        parse(
            [
                "--max-neighbours", "3",
                "--max-peers-per-prefix", "7",
                "--trusted-proxy", "10.0.0.0/8",
                "--cors-origin", "http://a", "--cors-origin", "http://b",
                "--ice-server", "stun:127.0.0.1:3478",
                "--turn-url", "turn:127.0.0.1:3478", "--turn-secret", "s",
            ]
        ),
        environ={},
    )  # fmt: skip
    assert config.max_neighbours == 3 and config.max_peers_per_prefix == 7
    assert config.trusted_proxies == ("10.0.0.0/8",)
    assert config.cors_allowed_origins == ("http://a", "http://b")
    assert config.ice_servers == (schema.IceServer(("stun:127.0.0.1:3478",)),)
    assert config.turn_urls == ("turn:127.0.0.1:3478",) and config.turn_secret == "s"


def test_redis_flag() -> None:
    assert parse([]).redis_url is None
    assert parse(["--redis", "redis://127.0.0.1:6379/0"]).redis_url == "redis://127.0.0.1:6379/0"


def test_module_entry_point_runs_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m swarmcast.signaling.cli` parses the same flags (a bad one is a usage error)."""
    from swarmcast.signaling.cli import main

    monkeypatch.delenv("SWARMCAST_TOKEN_SECRET", raising=False)
    assert main(["--port", "0"]) == 2  # no secret: refused before binding anything
    with pytest.raises(SystemExit):
        main(["--no-such-flag"])


def test_run_refuses_without_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWARMCAST_TOKEN_SECRET", raising=False)
    assert run(parse([])) == 2
    assert run(parse(["--token-secret", "short"])) == 2


async def test_standalone_app_endpoints() -> None:
    admin = "operator-admin-token-0123456789"
    runner, url = await serve_app(build_app(SignalingConfig(admin_token=admin), SECRET))
    client = socketio.AsyncClient(reconnection=False)
    try:
        token = tokens.mint(SECRET, "demo", 0, ttl_seconds=10**10)
        await client.connect(url, namespaces=[schema.NAMESPACE], auth={"token": token})
        ack = await client.call(
            "join",
            {"stream": "demo", "rendition": "360p", "capabilities": {}},
            namespace=schema.NAMESPACE,
        )
        assert ack["ok"]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/healthz") as response:
                assert await response.json() == {"status": "ok", "connections": 1}
            async with http.get(f"{url}/api/swarms") as response:
                assert response.status == 401, "operators only"
            headers = {"Authorization": f"Bearer {admin}"}
            async with http.get(f"{url}/api/swarms", headers=headers) as response:
                assert (await response.json())["swarms"][0]["swarm"] == "demo/360p"
    finally:
        await client.disconnect()
        await runner.cleanup()
