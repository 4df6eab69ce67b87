"""The Python peer's playlist feed with blocking reload (`_HLS_msn`, docs/protocol.md §1): against
a real `swarmcast serve` it asks for each next segment once and is answered at its publication,
instead of polling twice per target duration."""

from __future__ import annotations

import asyncio
from pathlib import Path

from peer_fixtures import RENDITION, STREAM, live_origin

from swarmcast.peer.live_feed import LiveFeed
from swarmcast.peer.origin_client import OriginClient, wait_for_stream
from swarmcast.peer.segment_store import SegmentStore
from swarmcast.protocol.hls_playlist import parse_media_playlist


def test_the_parser_reads_can_block_reload() -> None:
    head = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n"
    blocking = parse_media_playlist(head + "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES\n")
    assert blocking.can_block_reload
    assert not parse_media_playlist(head).can_block_reload
    skip_only = head + "#EXT-X-SERVER-CONTROL:CAN-SKIP-UNTIL=12\n"
    assert not parse_media_playlist(skip_only).can_block_reload


async def test_feed_learns_each_segment_with_one_held_reload(tmp_path: Path) -> None:
    async with live_origin(tmp_path) as origin:
        client = OriginClient(origin.url, STREAM, timeout_s=10)
        try:
            key, rendition = await wait_for_stream(client, RENDITION, 0, 30)
            store = SegmentStore(key, STREAM, rendition, 16)
            seen: list[int] = []
            feed = LiveFeed(
                client, store, rendition, lambda s: seen.append(s.seq), lambda _: None, None
            )
            first = await feed.first_poll()
            assert first.can_block_reload
            start, polls = len(seen), feed.polls
            task = asyncio.create_task(feed.run())
            while len(seen) < start + 3:  # three segments published while it runs
                await asyncio.sleep(0.05)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            # One held request per segment (plus the one waiting when cancelled); polling
            # every target duration / 2 would have asked about twice as often.
            assert feed.polls - polls <= 3 + 1, (feed.polls - polls, seen)
        finally:
            await client.close()
