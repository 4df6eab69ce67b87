"""The origin's `/metrics`: requests and bytes by kind, the file cache, the live pipeline."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry

from swarmcast.segmenter.events import PublisherLost, SegmentPublished
from swarmcast.server.metrics import OriginMetrics, request_kind
from tests.server.conftest import LIVE_STREAM


async def samples(client: TestClient) -> dict[str, float]:
    response = await client.get("/metrics")
    assert response.status == 200
    out = {}
    for line in (await response.text()).splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


async def test_requests_bytes_and_cache_by_kind(client: TestClient) -> None:
    base = f"/live/{LIVE_STREAM}/360p"
    segment = await client.get(f"{base}/seg-0.m4s")
    size = len(await segment.read())
    await client.get(f"{base}/seg-0.m4s")  # the second read is a cache hit
    await client.get(f"{base}/index.m3u8")
    await client.get(f"{base}/seg-0.m4s.integrity.json")
    assert (await client.get(f"{base}/seg-999.m4s")).status == 404
    got = await samples(client)
    assert got['swarmcast_origin_requests_total{kind="segment",status="2xx"}'] == 2
    assert got['swarmcast_origin_requests_total{kind="segment",status="4xx"}'] == 1
    assert got['swarmcast_origin_requests_total{kind="playlist",status="2xx"}'] == 1
    assert got['swarmcast_origin_requests_total{kind="record",status="2xx"}'] == 1
    assert got['swarmcast_origin_response_bytes_total{kind="segment"}'] == 2 * size
    assert got['swarmcast_origin_file_cache_total{result="hit"}'] >= 1
    assert got["swarmcast_event_loop_lag_seconds"] >= 0


def test_request_kinds() -> None:
    assert request_kind("/live/demo/master.m3u8") == "playlist"
    assert request_kind("/live/demo/720p/init-0.mp4") == "init"
    assert request_kind("/live/demo/signing-key.json") == "key"
    assert request_kind("/socket.io/") is None
    assert request_kind("/player/swarmcast.js") == "asset"


def test_pipeline_events_feed_gauges() -> None:
    registry = CollectorRegistry()
    metrics = OriginMetrics(registry)

    def published(seq: int) -> SegmentPublished:
        return SegmentPublished(seq, 0, 2.0, 100.0 + 2 * seq, ("360p",), (1000,))

    metrics.stream_event("demo", published(0), now=103.0)
    metrics.stream_event("demo", published(1), now=104.0)  # 2 s of media in 1 s of wall time
    value = registry.get_sample_value
    assert value("swarmcast_segments_published_total", {"stream": "demo"}) == 2
    assert value("swarmcast_segmenter_realtime_factor", {"stream": "demo"}) == 2.0
    assert value("swarmcast_segment_publish_delay_seconds", {"stream": "demo"}) == 0.0
    assert value("swarmcast_publisher_up", {"stream": "demo"}) == 1
    metrics.stream_event("demo", PublisherLost("gone"), now=105.0)
    assert value("swarmcast_publisher_up", {"stream": "demo"}) == 0
    assert value("swarmcast_publisher_lost_total", {"stream": "demo"}) == 1


def test_rtmp_outcomes_are_exported() -> None:
    import collections
    from types import SimpleNamespace

    from aiohttp import web

    from swarmcast.server.metrics import watch_rtmp
    from swarmcast.signaling.metrics import registry_for

    app = web.Application()
    counts: collections.Counter[str] = collections.Counter({"publish": 1, "refused-key": 3})
    watch_rtmp(app, SimpleNamespace(server=SimpleNamespace(counts=counts)))
    watch_rtmp(app, object())  # not an RTMP source: nothing
    counts["refused-key"] += 1  # read at scrape time
    value = registry_for(app).get_sample_value
    assert value("swarmcast_rtmp_events_total", {"event": "refused-key"}) == 4
    assert value("swarmcast_rtmp_events_total", {"event": "publish"}) == 1
