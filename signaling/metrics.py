"""Prometheus counters of one signaling node (names in docs/operator.md; each node exports its
own, Prometheus sums them across nodes), and the per-app registry behind `/metrics`.

Each aiohttp app gets its own `CollectorRegistry` (`registry_for(app)`): tests run several
apps in one process, and an origin with embedded signaling exports through one endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, Protocol

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REGISTRY_KEY = web.AppKey("swarmcast_metrics_registry", CollectorRegistry)
# The origin's response bytes so far (all kinds), when the app is an origin: the dashboard's
# measured egress (server/metrics.py sets it).
EGRESS_BYTES_KEY: web.AppKey[Callable[[], float]] = web.AppKey("swarmcast_origin_egress_bytes")

LOOP_LAG_INTERVAL_S = 0.5


def registry_for(app: web.Application) -> CollectorRegistry:
    """The app's registry, created on first use (before the app starts)."""
    if REGISTRY_KEY not in app:
        app[REGISTRY_KEY] = CollectorRegistry()
        app.router.add_get("/metrics", metrics_handler)
        app.cleanup_ctx.append(_loop_lag_context)
    return app[REGISTRY_KEY]


async def metrics_handler(request: web.Request) -> web.Response:
    """`/metrics`: Prometheus text format. Counts only, no viewer addresses: safe to scrape."""
    body = generate_latest(request.app[REGISTRY_KEY])
    response = web.Response(body=body, headers={"Cache-Control": "no-store"})
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    response.charset = "utf-8"
    return response


async def _loop_lag_context(app: web.Application) -> AsyncIterator[None]:
    """Event-loop lag: how late a short sleep wakes up (a blocked loop delays every viewer)."""
    registry = app[REGISTRY_KEY]
    gauge = Gauge(
        "swarmcast_event_loop_lag_seconds", "Latest event-loop wake-up delay", registry=registry
    )
    histogram = Histogram(
        "swarmcast_event_loop_lag",
        "Event-loop wake-up delays (seconds)",
        buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        registry=registry,
    )

    async def watch() -> None:
        while True:
            started = time.monotonic()
            await asyncio.sleep(LOOP_LAG_INTERVAL_S)
            lag = max(0.0, time.monotonic() - started - LOOP_LAG_INTERVAL_S)
            gauge.set(lag)
            histogram.observe(lag)

    task = asyncio.create_task(watch(), name="loop-lag")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        registry.unregister(gauge)
        registry.unregister(histogram)


class _SessionLike(Protocol):
    swarm: str | None


def live_counts(sessions: Iterable[_SessionLike]) -> tuple[int, dict[str, int]]:
    """Connections, and peers per swarm, among a node's sessions."""
    count, swarms = 0, dict[str, int]()
    for session in sessions:
        count += 1
        if session.swarm is not None:
            swarms[session.swarm] = swarms.get(session.swarm, 0) + 1
    return count, swarms


class _LiveGauges(Collector):
    """Gauges read from the server at scrape time: connections and swarms on this node."""

    def __init__(self, read: Callable[[], tuple[int, dict[str, int]]]) -> None:
        self._read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        connections, swarms = self._read()
        yield GaugeMetricFamily(
            "swarmcast_signaling_connections", "Open signaling connections", value=connections
        )
        yield GaugeMetricFamily(
            "swarmcast_signaling_swarms", "Swarms with a peer on this node", value=len(swarms)
        )
        peers = GaugeMetricFamily(
            "swarmcast_signaling_swarm_peers", "Peers per swarm on this node", labels=["swarm"]
        )
        for swarm, count in sorted(swarms.items()):
            peers.add_metric([swarm], count)
        yield peers


class SignalingMetrics:
    def __init__(
        self, registry: CollectorRegistry, read: Callable[[], tuple[int, dict[str, int]]]
    ) -> None:
        registry.register(_LiveGauges(read))
        self.events = Counter(
            "swarmcast_signaling_events",
            "Signaling events handled, by event and result (ok or the refusal code)",
            ["event", "result"],
            registry=registry,
        )
        self.connects = Counter(
            "swarmcast_signaling_connects",
            "Connection attempts by result (ok or the refusal code)",
            ["result"],
            registry=registry,
        )
        self.reports = Counter(
            "swarmcast_signaling_reports",
            "Reports about neighbours by reason",
            ["reason"],
            registry=registry,
        )
        self.bans = Counter(
            "swarmcast_signaling_bans", "Token subjects banned from a stream", registry=registry
        )

    def event(self, event: str, reply: dict[str, Any]) -> None:
        """Count one handled event by its ack: `ok` or the error code it was refused with."""
        if reply.get("ok"):
            result = "ok"
        else:
            error = reply.get("error")
            result = str(error.get("code", "?")) if isinstance(error, dict) else "?"
        self.events.labels(event, result).inc()

    def counted(
        self, event: str, handler: Callable[..., Awaitable[dict[str, Any]]]
    ) -> Callable[..., Awaitable[dict[str, Any]]]:
        """`handler` (returning an ack) with its results counted under `event`."""

        async def run(*args: Any) -> dict[str, Any]:
            reply = await handler(*args)
            self.event(event, reply)
            return reply

        return run

    def connect(self, result: str) -> None:
        self.connects.labels(result).inc()
