"""The origin over the real segmenter: `swarmcast serve`'s embedded pipeline, live then VOD.

The stream runs inside the origin app through `live_stream_context` (what `swarmcast serve`
installs in `cleanup_ctx`); every segment the origin serves verifies against the stream's
signed integrity records and public key, and the cache policy follows the live/ended state.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import m3u8
from aiohttp.test_utils import TestClient, TestServer

from swarmcast.protocol import integrity
from swarmcast.segmenter.config import Rendition, SegmenterConfig
from swarmcast.segmenter.pipeline import LiveStream, SegmentPublished
from swarmcast.segmenter.sources import SyntheticSource
from swarmcast.server.origin_app import create_app
from swarmcast.server.origin_config import OriginConfig
from swarmcast.server.serve_cmd import live_stream_context

LADDER = (Rendition.parse("320x180@250"), Rendition.parse("256x144@150"))


async def _first_segment(stream: LiveStream) -> SegmentPublished:
    async for event in stream.events():
        if isinstance(event, SegmentPublished):
            return event
    raise AssertionError("the stream ended without a segment")


async def test_embedded_stream_is_served_live_then_as_vod(tmp_path: Path) -> None:
    config = SegmenterConfig(renditions=LADDER, segment_duration=1.0)
    # Paced to real time so the stream is still live when we look at it.
    source = SyntheticSource(width=320, height=180, duration=4.0)
    stream = LiveStream("it", tmp_path, config, source)
    app = create_app(OriginConfig(streams_dir=tmp_path))
    app.cleanup_ctx.append(live_stream_context(stream))
    async with TestClient(TestServer(app)) as client:
        await asyncio.wait_for(_first_segment(stream), 60)

        live = {e["name"]: e for e in await (await client.get("/api/streams")).json()}
        assert live["it"]["live"] is True
        assert [r["name"] for r in live["it"]["renditions"]] == ["180p", "144p"]
        master = await client.get("/live/it/master.m3u8")
        assert master.headers["Cache-Control"] == "no-cache"
        mpd = await client.get("/live/it/manifest.mpd")
        assert mpd.headers["Cache-Control"] == "no-cache"
        assert (await client.get("/live/it/.signing-key.pem")).status == 404
        assert (await client.get("/live/it/.segmenter-state.json")).status == 404

        await asyncio.wait_for(stream.wait_ended(), 60)

        ended = {e["name"]: e for e in await (await client.get("/api/streams")).json()}
        assert ended["it"]["live"] is False
        master = await client.get("/live/it/master.m3u8")
        assert master.headers["Cache-Control"] == "max-age=3600"
        assert (await client.get("/live/it/manifest.mpd")).headers["Cache-Control"] == (
            "max-age=3600"
        )
        key = integrity.parse_signing_key(
            await (await client.get("/live/it/signing-key.json")).read()
        )
        variants = m3u8.loads(await master.text()).playlists
        assert len(variants) == 2
        served = 0
        for variant in variants:
            rendition = variant.uri.split("/")[0]
            media = m3u8.loads(await (await client.get(f"/live/it/{variant.uri}")).text())
            assert media.is_endlist
            uris = ["init-0.mp4"] + [segment.uri for segment in media.segments]
            for uri in uris:
                response = await client.get(f"/live/it/{rendition}/{uri}")
                assert response.status == 200
                body = await response.read()
                record = await client.get(f"/live/it/{rendition}/{uri}.integrity.json")
                integrity.verify_document(await record.read(), key, body)
                # Range over a piece boundary returns exactly those bytes.
                if len(body) > 20_000:
                    part = await client.get(
                        f"/live/it/{rendition}/{uri}", headers={"Range": "bytes=16000-16999"}
                    )
                    assert part.status == 206
                    assert await part.read() == body[16000:17000]
                served += 1
        assert served >= 2 * 4  # init + at least 3 one-second segments per rendition
