"""The origin's Prometheus metrics: requests and bytes by kind, the file cache, the live
pipeline (segments, realtime factor, publisher). Served at `/metrics` with everything else on
the app (`signaling.metrics.registry_for`); names are listed in docs/operator.md."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from swarmcast.signaling.metrics import EGRESS_BYTES_KEY, registry_for


def request_kind(path: str) -> str | None:
    """What an origin request is for, as a metrics label; None: not counted (Socket.IO)."""
    if path.startswith("/socket.io"):
        return None
    if path.startswith("/live/"):
        name = path.rsplit("/", 1)[-1]
        if name.endswith(".integrity.json"):
            return "record"
        if name.endswith((".m3u8", ".mpd")):
            return "playlist"
        if name.startswith("seg-"):
            return "segment"
        if name.startswith("init-"):
            return "init"
        if name == "signing-key.json":
            return "key"
        return "other"
    if path.startswith("/api/"):
        return "api"
    if path.startswith(("/admin", "/metrics")):
        return "operator"
    return "asset"


class OriginMetrics:
    """The origin's counters; `middleware` counts requests and body bytes by kind."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "swarmcast_origin_requests",
            "Origin HTTP requests by kind and status class",
            ["kind", "status"],
            registry=registry,
        )
        self.bytes = Counter(
            "swarmcast_origin_response_bytes",
            "Origin response body bytes by kind",
            ["kind"],
            registry=registry,
        )
        self.segments = Counter(
            "swarmcast_segments_published",
            "Segments published by the segmenter",
            ["stream"],
            registry=registry,
        )
        self.realtime = Gauge(
            "swarmcast_segmenter_realtime_factor",
            "Media seconds published per wall second between the last two segments",
            ["stream"],
            registry=registry,
        )
        self.publish_delay = Gauge(
            "swarmcast_segment_publish_delay_seconds",
            "Wall time from a segment's capture end to its publication",
            ["stream"],
            registry=registry,
        )
        self.publisher = Gauge(
            "swarmcast_publisher_up",
            "1 while the stream has a publisher/source, 0 after it was lost or ended",
            ["stream"],
            registry=registry,
        )
        self.publisher_lost = Counter(
            "swarmcast_publisher_lost",
            "Publishers lost (RTMP disconnects, source errors)",
            ["stream"],
            registry=registry,
        )
        self._last_published: dict[str, float] = {}

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        kind = request_kind(request.path)
        if kind is None:
            return await handler(request)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            self.requests.labels(kind, f"{exc.status // 100}xx").inc()
            raise
        self.requests.labels(kind, f"{response.status // 100}xx").inc()
        length = response.content_length
        if length is None and isinstance(response, web.Response) and response.body is not None:
            body: Any = response.body
            length = len(body) if isinstance(body, bytes | bytearray | memoryview) else None
        if length:
            self.bytes.labels(kind).inc(length)
        return response

    def total_bytes(self) -> float:
        """Response body bytes so far, all kinds (the dashboard's measured origin egress)."""
        return sum(
            sample.value
            for family in self.bytes.collect()
            for sample in family.samples
            if sample.name.endswith("_total")
        )

    def stream_event(self, stream: str, event: object, now: float | None = None) -> None:
        """Fold one `segmenter.events` event into the stream's gauges and counters."""
        from swarmcast.segmenter.events import (
            DiscontinuityStarted,
            PublisherLost,
            SegmentPublished,
            StreamEnded,
        )

        now = time.time() if now is None else now
        if isinstance(event, SegmentPublished):
            self.segments.labels(stream).inc()
            self.publisher.labels(stream).set(1)
            self.publish_delay.labels(stream).set(
                max(0.0, now - event.program_date_time - event.duration)
            )
            previous = self._last_published.get(stream)
            if previous is not None and now > previous:
                self.realtime.labels(stream).set(event.duration / (now - previous))
            self._last_published[stream] = now
        elif isinstance(event, DiscontinuityStarted):
            self.publisher.labels(stream).set(1)
        elif isinstance(event, PublisherLost):
            self.publisher.labels(stream).set(0)
            self.publisher_lost.labels(stream).inc()
            self._last_published.pop(stream, None)
        elif isinstance(event, StreamEnded):
            self.publisher.labels(stream).set(0)


class CacheStats(Protocol):
    hits: int
    misses: int


class FileCacheCollector(Collector):
    """The origin's immutable-file cache lookups, read from the FileStore at scrape time."""

    def __init__(self, store: CacheStats) -> None:
        self._store = store

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "swarmcast_origin_file_cache", "Immutable-file cache lookups", labels=["result"]
        )
        family.add_metric(["hit"], self._store.hits)
        family.add_metric(["miss"], self._store.misses)
        yield family


class CountsCollector(Collector):
    """A `collections.Counter` of outcomes (e.g. `RtmpServer.counts`) as one labelled counter."""

    def __init__(self, name: str, doc: str, label: str, counts: Mapping[str, int]) -> None:
        self._name, self._doc, self._label, self._counts = name, doc, label, counts

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(self._name, self._doc, labels=[self._label])
        for value, count in sorted(dict(self._counts).items()):
            family.add_metric([value], count)
        yield family


def watch_rtmp(app: web.Application, source: object) -> None:
    """Export an RTMP source's connection and publish outcomes (no-op for other sources)."""
    counts = getattr(getattr(source, "server", None), "counts", None)
    if isinstance(counts, Mapping):
        registry_for(app).register(
            CountsCollector(
                "swarmcast_rtmp_events",
                "RTMP connections and publishes by outcome (publish, refused-key, ...)",
                "event",
                counts,
            )
        )


def install_origin_metrics(app: web.Application, store: CacheStats) -> OriginMetrics:
    """Registry, `/metrics`, the request-counting middleware and the cache collector."""
    registry = registry_for(app)
    metrics = OriginMetrics(registry)
    registry.register(FileCacheCollector(store))
    app.middlewares.append(metrics.middleware)
    app[ORIGIN_METRICS_KEY] = metrics
    app[EGRESS_BYTES_KEY] = metrics.total_bytes
    return metrics


ORIGIN_METRICS_KEY = web.AppKey("swarmcast_origin_metrics", OriginMetrics)
