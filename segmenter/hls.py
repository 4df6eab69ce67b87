"""HLS multivariant and media playlists (RFC 8216bis) from a `ManifestState`. Pure.

Version 7 (EXT-X-MAP with fMP4). Every segment carries EXT-X-PROGRAM-DATE-TIME so players can
measure latency against the capture clock; each publisher change adds EXT-X-DISCONTINUITY and
a new EXT-X-MAP (`init-<d>.mp4`). Once the stream ended the playlist lists every segment
still on disk and closes with EXT-X-ENDLIST.
"""

from __future__ import annotations

from swarmcast.segmenter.manifest_model import ManifestState, RenditionInfo, iso_datetime

HLS_VERSION = 7


def master_playlist(renditions: tuple[RenditionInfo, ...]) -> str:
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{HLS_VERSION}", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rendition in renditions:
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={rendition.bandwidth},"
            f"AVERAGE-BANDWIDTH={rendition.average_bandwidth},"
            f"RESOLUTION={rendition.width}x{rendition.height},"
            f"FRAME-RATE={rendition.frame_rate:.3f},"
            f'CODECS="{rendition.codecs}"'
        )
        lines.append(f"{rendition.name}/index.m3u8")
    return "\n".join(lines) + "\n"


def media_playlist(state: ManifestState) -> str:
    """The media playlist of any rendition (all renditions list the same segment names)."""
    listed = state.listed()
    first = listed[0] if listed else None
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{HLS_VERSION}",
        f"#EXT-X-TARGETDURATION:{state.target_duration}",
        f"#EXT-X-MEDIA-SEQUENCE:{first.seq if first else 0}",
        f"#EXT-X-DISCONTINUITY-SEQUENCE:{first.discontinuity_index if first else 0}",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    previous = None
    for entry in listed:
        if previous is None or entry.discontinuity != previous.discontinuity:
            if previous is not None:
                lines.append("#EXT-X-DISCONTINUITY")
            lines.append(f'#EXT-X-MAP:URI="init-{entry.discontinuity}.mp4"')
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{iso_datetime(entry.program_date_time)}")
        lines.append(f"#EXTINF:{extinf(entry.duration)},")
        lines.append(f"seg-{entry.seq}.m4s")
        previous = entry
    if state.ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def extinf(seconds: float) -> str:
    """EXTINF's value as written: the duration players divide by, so BANDWIDTH's peak segment
    bit rate (RFC 8216 §4.3.4.2) is computed with it too."""
    return f"{seconds:.3f}"
