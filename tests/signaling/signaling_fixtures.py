"""Shared helpers for signaling integration tests: a real aiohttp server on a free loopback
port with signaling attached, and real python-socketio clients that record what they get."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import socketio
from aiohttp import web

from swarmcast.protocol import signaling_schema as schema
from swarmcast.protocol import tokens
from swarmcast.signaling.attach import attach_signaling
from swarmcast.signaling.config import SignalingConfig
from swarmcast.signaling.server import SignalingServer

SECRET = b"signaling-test-secret-0123456789"
EVENT_TIMEOUT_S = 10.0


@dataclass
class RunningServer:
    url: str
    signaling: SignalingServer
    app: web.Application

    def token(self, stream: str = "demo", ttl: int = 3600, sub: str | None = None) -> str:
        return tokens.mint(SECRET, stream, time.time(), ttl, sub)


class FakeClock:
    """The signaling server's wall clock, moved by the test (standing, bans, windows)."""

    def __init__(self, now: float | None = None) -> None:
        self.now = time.time() if now is None else now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def serve_app(app: web.Application) -> tuple[web.AppRunner, str]:
    """`app` served on a free loopback port: its runner (the caller cleans it up) and base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]


@asynccontextmanager
async def running_server(
    config: SignalingConfig | None = None, *, clock: FakeClock | None = None
) -> AsyncIterator[RunningServer]:
    app = web.Application()
    signaling = attach_signaling(
        app, config or SignalingConfig(), SECRET, **({"clock": clock} if clock else {})
    )
    runner, url = await serve_app(app)
    try:
        yield RunningServer(url, signaling, app)
    finally:
        await runner.cleanup()


@dataclass
class Client:
    """A real Socket.IO client in namespace /swarm that queues every server event."""

    sio: socketio.AsyncClient
    events: dict[str, asyncio.Queue[Any]] = field(default_factory=dict)
    connect_error: Any = None
    peer_id: str = ""
    neighbours: set[str] = field(default_factory=set)
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_disconnected(self, timeout: float = 2 * EVENT_TIMEOUT_S) -> None:
        await asyncio.wait_for(self.disconnected.wait(), timeout)

    def queue(self, event: str) -> asyncio.Queue[Any]:
        return self.events.setdefault(event, asyncio.Queue())

    async def next(self, event: str, timeout: float = EVENT_TIMEOUT_S) -> Any:
        return await asyncio.wait_for(self.queue(event).get(), timeout)

    async def call(self, event: str, data: Any = None, timeout: float = EVENT_TIMEOUT_S) -> Any:
        if data is None:
            return await self.sio.call(event, namespace=schema.NAMESPACE, timeout=timeout)
        return await self.sio.call(event, data, namespace=schema.NAMESPACE, timeout=timeout)

    async def join(self, rendition: str = "720p", stream: str = "demo", **caps: Any) -> Any:
        ack = await self.call(
            "join", {"stream": stream, "rendition": rendition, "capabilities": caps}
        )
        if ack.get("ok"):
            self.peer_id = ack["peer_id"]
            self.neighbours = {n["peer_id"] for n in ack["neighbours"]}
        return ack

    async def next_neighbours(self) -> Any:
        event = await self.next("neighbours")
        self.neighbours -= set(event["remove"])
        self.neighbours |= {n["peer_id"] for n in event["add"]}
        return event

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


async def connect(
    server: RunningServer,
    token: str | None = None,
    *,
    auth: Any = "default",
    headers: dict[str, str] | None = None,
) -> Client:
    """Connect (websocket only); a refused connect leaves the reason in `connect_error`."""
    sio = socketio.AsyncClient(reconnection=False)
    client = Client(sio)
    for event in ("neighbours", "signal", "error", "control"):
        queue = client.queue(event)
        sio.on(event, queue.put_nowait, namespace=schema.NAMESPACE)

    def on_connect_error(data: Any) -> None:
        client.connect_error = data

    sio.on("connect_error", on_connect_error, namespace=schema.NAMESPACE)
    sio.on("disconnect", lambda *args: client.disconnected.set(), namespace=schema.NAMESPACE)
    if auth == "default":
        auth = {"token": token if token is not None else server.token()}
    with suppress(socketio.exceptions.ConnectionError):
        await sio.connect(
            server.url,
            namespaces=[schema.NAMESPACE],
            transports=["websocket"],
            auth=auth,
            headers=headers or {},
            wait_timeout=EVENT_TIMEOUT_S,
        )
    return client
