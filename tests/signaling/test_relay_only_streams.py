"""Relay-only (privacy) streams through the real signaling server: the join ack tells the relay
policy with per-viewer TURN credentials, and no host/srflx address is ever relayed, even from a
client that ignores the policy; other streams are untouched."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import AsyncIterator

import pytest

from swarmcast.signaling.config import SignalingConfig
from tests.protocol.test_relay_only import CHROMIUM_OFFER, HOST, RELAY, RELAY_HIDDEN, SRFLX
from tests.signaling.signaling_fixtures import Client, RunningServer, connect, running_server

TURN_SECRET = "coturn-test-secret"
CONFIG = SignalingConfig(
    turn_urls=("turn:10.77.200.1:3478?transport=udp",),
    turn_secret=TURN_SECRET,
    turn_ttl_s=600,
    relay_only_streams=("private",),
)


@pytest.fixture
async def server() -> AsyncIterator[RunningServer]:
    async with running_server(CONFIG) as running:
        yield running


async def pair(server: RunningServer, stream: str) -> tuple[Client, Client, dict[str, object]]:
    first = await connect(server, server.token(stream))
    await first.join(stream=stream)
    second = await connect(server, server.token(stream))
    ack = await second.join(stream=stream)
    assert ack["ok"] and first.peer_id in second.neighbours
    return first, second, ack


async def test_relay_only_join_ack_has_policy_and_per_viewer_short_turn_credentials(
    server: RunningServer,
) -> None:
    first, second, ack = await pair(server, "private")
    try:
        assert ack["ice_transport_policy"] == "relay"
        (turn,) = ack["ice_servers"]  # type: ignore[misc]
        username = turn["username"]
        expiry, user = username.split(":")
        assert user == second.peer_id  # per viewer
        assert 0 < int(expiry) - server.signaling._clock() <= 600  # short-lived
        digest = hmac.new(TURN_SECRET.encode(), username.encode(), hashlib.sha1).digest()
        assert turn["credential"] == base64.b64encode(digest).decode()
    finally:
        await asyncio.gather(first.close(), second.close())


async def test_relay_only_stream_relays_no_viewer_address(server: RunningServer) -> None:
    first, second, _ = await pair(server, "private")
    try:
        to_first = {"to": first.peer_id}
        ack = await second.call(
            "signal",
            {**to_first, "kind": "offer", "data": {"type": "offer", "sdp": CHROMIUM_OFFER}},
        )
        assert ack == {"ok": True}
        relayed = await first.next("signal")
        assert relayed["from"] == second.peer_id
        sdp = relayed["data"]["sdp"]
        assert f"a={RELAY_HIDDEN}\r\n" in sdp
        assert "typ host" not in sdp and "typ srflx" not in sdp and "10.77.9.2" not in sdp
        assert "203.0.113.7" not in sdp  # the related (server-reflexive) address is hidden
        for text in (HOST, SRFLX):  # dropped quietly: an ok ack, nothing relayed
            ack = await second.call(
                "signal", {**to_first, "kind": "candidate", "data": {"candidate": text}}
            )
            assert ack == {"ok": True}
        for text in (RELAY, ""):
            await second.call(
                "signal", {**to_first, "kind": "candidate", "data": {"candidate": text}}
            )
        got = [await first.next("signal") for _ in range(2)]
        assert [g["data"]["candidate"] for g in got] == [RELAY_HIDDEN, ""]
        assert first.queue("signal").empty()
    finally:
        await asyncio.gather(first.close(), second.close())


async def test_other_streams_keep_every_candidate(server: RunningServer) -> None:
    first, second, ack = await pair(server, "demo")
    try:
        assert "ice_transport_policy" not in ack
        data = {"type": "offer", "sdp": CHROMIUM_OFFER}
        await second.call("signal", {"to": first.peer_id, "kind": "offer", "data": data})
        assert (await first.next("signal"))["data"]["sdp"] == CHROMIUM_OFFER
        await second.call(
            "signal", {"to": first.peer_id, "kind": "candidate", "data": {"candidate": HOST}}
        )
        assert (await first.next("signal"))["data"]["candidate"] == HOST
    finally:
        await asyncio.gather(first.close(), second.close())


def test_relay_only_needs_turn() -> None:
    with pytest.raises(ValueError, match="turn_urls"):
        SignalingConfig(relay_only_streams=("private",))
    assert SignalingConfig(
        turn_urls=("turn:x",), turn_secret="s", relay_only_streams=("*",)
    ).relay_only("anything")
