"""Integration: Python peers (real aiortc) on a real origin with signaling follow the operator's
control like the shim (docs/operator.md): the kill switch puts them on the origin (links closed,
no P2P byte, the origin keeps serving), a 50 % ramp-up brings back exactly the peers whose
cohort bucket is below the line, shadow mode links them with every byte from the origin and
counts what it would have saved, and a zero upload cap stops serving; their beacons tell the
operator's dashboard each step (modes, reasons, savings, upload capacity)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from peer_fixtures import RENDITION, STREAM, Origin, live_origin

from swarmcast.peer.peer_config import PeerConfig
from swarmcast.peer.peer_node import PeerNode
from swarmcast.protocol.beacon_schema import cohort_bucket

pytestmark = [pytest.mark.netns, pytest.mark.slow]

ADMIN = "peer-operator-test-token"
KEYS = [f"py-viewer-{i}" for i in range(40)]
LOW = [k for k in KEYS if cohort_bucket(k) < 5000][:2]
HIGH = [k for k in KEYS if cohort_bucket(k) >= 5000][:1]


@pytest.fixture
async def origin(tmp_path: Path) -> AsyncIterator[Origin]:
    async with live_origin(tmp_path, "--admin-token", ADMIN) as running:
        yield running


async def admin(origin: Origin, path: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {ADMIN}"}
    async with aiohttp.ClientSession() as http:
        method = http.post if body is not None else http.get
        async with method(f"{origin.url}{path}", json=body, headers=headers) as response:
            assert response.status == 200, await response.text()
            return await response.json()


async def until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def summary_until(origin: Origin, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The dashboard's figures once the peers' beacons (1 s apart) satisfy `check`."""
    for _ in range(100):
        summary: dict[str, Any] | None = (await admin(origin, f"/admin/api/streams/{STREAM}"))[
            "summary"
        ]
        if summary is not None and check(summary):
            return summary
        await asyncio.sleep(0.2)
    raise AssertionError(f"dashboard never showed it: {summary}")


def p2p_bytes(node: PeerNode) -> int:
    return int(node.stats()["bytes_from_peers"])


async def test_python_peers_follow_the_operator_s_control(origin: Origin) -> None:
    control = f"/admin/api/streams/{STREAM}/control"
    nodes = [
        PeerNode(PeerConfig(origin.url, STREAM, rendition=RENDITION, viewer_key=key,
                            beacon_interval_s=1.0))
        for key in LOW + HIGH
    ]  # fmt: skip
    try:
        await asyncio.gather(*(node.start() for node in nodes))
        await until(lambda: sum(map(p2p_bytes, nodes)) > 200_000, 40, "P2P bytes")

        # -- kill switch: links closed, the origin serves everything, the operator sees why --
        await admin(origin, control, {"p2p": False})
        await until(lambda: all(not n.links and n.operator.mode == "off" for n in nodes), 5, "off")
        off = [(p2p_bytes(n), int(n.stats()["bytes_from_http"])) for n in nodes]
        # Still playing, from the origin, none from a peer: 4 s at least, and until each took a
        # new segment over HTTP (an origin late under load could outlast the 4 s).
        await asyncio.sleep(4)
        await until(
            lambda: all(
                int(n.stats()["bytes_from_http"]) > http
                for n, (_, http) in zip(nodes, off, strict=True)
            ),
            30,
            "a segment over HTTP",
        )
        assert [p2p_bytes(n) for n in nodes] == [p2p for p2p, _ in off]
        summary = await summary_until(
            origin, lambda s: s["by_reason"].get("operator-off") == len(nodes)
        )
        assert summary["by_mode"] == {"off": len(nodes)}

        # -- ramp-up to 50 %: the two low-bucket peers exchange again, the other stays off ---
        await admin(origin, control, {"p2p": True, "ramp_percent": 50})
        low, high = nodes[:2], nodes[2]
        before = [p2p_bytes(n) for n in low]
        await until(
            lambda: all(p2p_bytes(n) > b for n, b in zip(low, before, strict=True)), 30, "ramp"
        )
        assert (high.operator.mode, high.operator.reason) == ("off", "ramp-cohort")
        assert not high.links and p2p_bytes(high) == off[2][0]
        await summary_until(origin, lambda s: s["by_reason"] == {"ramp-cohort": 1})

        # -- shadow: linked again, no byte from a peer, the savings counted and beaconed -----
        await admin(origin, control, {"ramp_percent": 100, "shadow": True})
        await until(lambda: all(n.operator.mode == "shadow" for n in nodes), 5, "shadow")
        start = [p2p_bytes(n) for n in nodes]
        await until(
            lambda: all(n.stats()["peers_connected"] > 0 for n in nodes), 30, "shadow links"
        )
        await until(lambda: sum(n.operator.shadow_saved_bytes for n in nodes) > 0, 30, "saved")
        assert [p2p_bytes(n) for n in nodes] == start
        summary = await summary_until(
            origin, lambda s: s["totals"].get("shadow_saved_bytes", 0) > 0
        )
        assert summary["by_mode"] == {"shadow": len(nodes)}

        # -- a zero upload cap: on again, yet nobody serves a piece -------------------------
        await admin(origin, control, {"shadow": False, "upload": {"cap_bps": 0}})
        await until(lambda: all(n.operator.mode == "on" for n in nodes), 5, "on")
        summary = await summary_until(
            origin,
            lambda s: (
                s["by_mode"] == {"on": len(nodes)}
                and s["upload_bound_by_rendition"][RENDITION]["capacity_bps"] == 0
            ),
        )
        assert summary["offload_upload_bound"] == 0
        await until(lambda: all(n.links for n in nodes), 30, "links back")
        await asyncio.sleep(1)
        uploaded = [int(n.stats()["bytes_uploaded"]) for n in nodes]
        await asyncio.sleep(4)
        assert [int(n.stats()["bytes_uploaded"]) for n in nodes] == uploaded
        print(
            "python peers under control:",
            [(n.operator.mode, p2p_bytes(n), n.operator.shadow_saved_bytes) for n in nodes],
        )
    finally:
        await asyncio.gather(*(node.stop() for node in nodes), return_exceptions=True)
