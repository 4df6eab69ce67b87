"""The headless peer's HLS parsing."""

from __future__ import annotations

import pytest

from swarmcast.protocol.hls_playlist import (
    PlaylistError,
    parse_media_playlist,
    parse_multivariant_playlist,
)

MEDIA = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:41
#EXT-X-DISCONTINUITY-SEQUENCE:3
#EXT-X-MAP:URI="init-3.mp4"
#EXT-X-PROGRAM-DATE-TIME:2026-11-22T02:26:03.816Z
#EXTINF:2.000,
seg-41.m4s
#EXTINF:1.960,
seg-42.m4s
#EXT-X-DISCONTINUITY
#EXT-X-MAP:URI="init-4.mp4"
#EXTINF:2.000,
seg-43.m4s
#EXT-X-UNKNOWN-TAG:whatever
"""


def test_media_playlist() -> None:
    playlist = parse_media_playlist(MEDIA)
    assert playlist.target_duration == 2
    assert [s.seq for s in playlist.segments] == [41, 42, 43]
    assert [s.uri for s in playlist.segments] == ["seg-41.m4s", "seg-42.m4s", "seg-43.m4s"]
    assert playlist.segments[1].duration == pytest.approx(1.96)
    assert [s.discontinuity for s in playlist.segments] == [3, 3, 4]
    assert [s.init_uri for s in playlist.segments] == ["init-3.mp4", "init-3.mp4", "init-4.mp4"]
    assert not playlist.ended
    assert playlist.last_seq == 43
    assert parse_media_playlist(MEDIA + "#EXT-X-ENDLIST\n").ended


@pytest.mark.parametrize(
    "text",
    [
        "",
        "seg-1.m4s",
        "#EXTM3U\n#EXTINF:2,\nseg-1.m4s\n",  # no target duration
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\nseg-1.m4s\n",  # no EXTINF
        "#EXTM3U\n#EXT-X-TARGETDURATION:two\n",
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:x\n",
    ],
)
def test_bad_media_playlists(text: str) -> None:
    with pytest.raises(PlaylistError):
        parse_media_playlist(text)


def test_multivariant_playlist() -> None:
    variants = parse_multivariant_playlist(
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1003000,RESOLUTION=640x360,"
        'CODECS="avc1.64001e,mp4a.40.2"\n360p/index.m3u8\n'
        "#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720\n720p/index.m3u8\n"
    )
    assert [(v.rendition, v.bandwidth, v.resolution) for v in variants] == [
        ("360p", 1003000, "640x360"),
        ("720p", 3000000, "1280x720"),
    ]
    with pytest.raises(PlaylistError):
        parse_multivariant_playlist("#EXTM3U\n")
