"""Floods and malformed packets against the real signaling server (issue 9, finding 7): the
flood cut-off answers exactly the documented number of refusals, and malformed Engine.IO /
Socket.IO packets cost one rate-limited log line each, never a traceback."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from swarmcast.protocol import signaling_schema as schema
from swarmcast.signaling.config import SignalingConfig
from tests.signaling.signaling_fixtures import connect, running_server

PROTOCOL_DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def documented_refusals() -> int:
    """The cut-off docs/protocol.md §4.5 promises."""
    match = re.search(r"after (\d+) rate-limited events", PROTOCOL_DOC.read_text())
    assert match, "docs/protocol.md must state the flood cut-off"
    return int(match.group(1))


async def test_flood_cut_off_answers_exactly_the_documented_refusals() -> None:
    assert SignalingConfig().max_refusals == documented_refusals() == 200
    async with running_server() as server:
        flooder = await connect(server)
        codes: list[str] = []

        def on_ack(ack: Any) -> None:
            codes.append("ok" if ack.get("ok") else ack["error"]["code"])

        try:
            for _ in range(1500):
                if not flooder.sio.connected:
                    break
                await flooder.sio.emit("leave", namespace=schema.NAMESPACE, callback=on_ack)
            await flooder.wait_disconnected()
            assert codes.count("rate-limited") == 200
            assert set(codes) <= {"ok", "rate-limited"}
            assert codes[-1] == "rate-limited", "the last answer is the 200th refusal"
        finally:
            await flooder.close()


MALFORMED = [
    "42/swarm,[",  # truncated JSON
    "4\x00",  # unknown Socket.IO packet type
    '42/swarm,{"a":',
    "49",
    "4-1/swarm,x",
    "42/swarm,1[",
]


async def test_malformed_packets_log_one_rate_limited_line_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="signaling.engineio")
    async with running_server() as server, aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{server.url}/socket.io/?EIO=4&transport=websocket")
        assert (await ws.receive_str()).startswith("0")
        await ws.send_str("40/swarm," + json.dumps({"token": server.token()}))
        assert (await ws.receive_str()).startswith("40/swarm,")
        for i in range(40):
            await ws.send_str(MALFORMED[i % len(MALFORMED)])
        # Packets are handled in order: once this is answered, all 40 were.
        await ws.send_str('42/swarm,1["leave"]')
        while (reply := await asyncio.wait_for(ws.receive_str(), 10)) == "2":
            await ws.send_str("3")
        assert reply == '43/swarm,1[{"ok":true}]', "the connection still works"
        await ws.close()
    lines = [r for r in caplog.records if r.name == "signaling.engineio"]
    errors = [r for r in lines if r.levelno >= logging.WARNING]
    assert 1 <= len(errors) <= 10, "one line each, at most a burst of 10 at once"
    assert all(r.exc_info is None and "Traceback" not in r.getMessage() for r in lines)
    assert "ValueError" in errors[0].getMessage() or "Error" in errors[0].getMessage()
