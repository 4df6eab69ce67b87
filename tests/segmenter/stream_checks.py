"""Independent checks of a segmenter output directory (docs/protocol.md §1-2).

`check_stream_dir` parses every playlist with the `m3u8` package, checks the MPD's conformance
(tests/segmenter/mpd_conformance.py) and that its `$Number$` and `S@t` name the files whose tfdt
is that time, decodes every segment with PyAV, and verifies every integrity record; it returns
what it found so tests can assert more. Reusable by the origin and RTMP tests.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import av
import m3u8

from swarmcast.protocol import integrity
from swarmcast.segmenter.config import SegmenterConfig
from swarmcast.segmenter.fmp4 import parse_fragment, parse_init
from tests.segmenter.mpd_conformance import mpd_segments, mpd_violations

DASH = {"d": "urn:mpeg:dash:schema:mpd:2011"}


@dataclass
class SegmentCheck:
    seq: int
    discontinuity: int
    duration: float
    program_date_time: float
    frames: dict[str, int] = field(default_factory=dict)
    start_ticks: dict[str, int] = field(default_factory=dict)
    audio_samples: dict[str, int] = field(default_factory=dict)


@dataclass
class StreamCheck:
    key: integrity.SigningKey
    segments: list[SegmentCheck]
    mpd: ET.Element
    media_playlists: dict[str, m3u8.M3U8]
    master: m3u8.M3U8

    @property
    def seqs(self) -> list[int]:
        return [segment.seq for segment in self.segments]


def verified_file(directory: Path, uri: str, key: integrity.SigningKey, stream: str,
                  rendition: str, kind: str, seq: int) -> bytes:  # fmt: skip
    """The file's bytes, after its record verified (signature, identity, size, every piece)."""
    data = (directory / uri).read_bytes()
    record = integrity.verify_document(
        (directory / f"{uri}.integrity.json").read_bytes(), key, data
    )
    assert (record.stream, record.rendition, record.kind, record.seq, record.uri) == (
        stream, rendition, kind, seq, uri,
    )  # fmt: skip
    for index in range(record.piece_count):
        integrity.verify_piece(record, index, data[slice(*record.piece_range(index))])
    return data


def check_stream_dir(
    stream_dir: Path, config: SegmenterConfig, *, ended: bool, decode: bool = True
) -> StreamCheck:
    stream = stream_dir.name
    key = integrity.parse_signing_key(json.loads((stream_dir / "signing-key.json").read_text()))
    master = m3u8.loads((stream_dir / "master.m3u8").read_text())
    assert master.is_variant
    names = [rendition.name for rendition in config.renditions]
    assert [playlist.uri for playlist in master.playlists] == [f"{n}/index.m3u8" for n in names]
    media: dict[str, m3u8.M3U8] = {}
    for rendition, variant in zip(config.renditions, master.playlists, strict=True):
        info = variant.stream_info
        assert info.resolution == (rendition.width, rendition.height)
        assert info.codecs.startswith("avc1.") and info.codecs.endswith(",mp4a.40.2")
        media[rendition.name] = m3u8.loads((stream_dir / variant.uri).read_text())
    uris = {name: [s.uri for s in playlist.segments] for name, playlist in media.items()}
    assert len({tuple(value) for value in uris.values()}) == 1, "renditions list other segments"
    top = media[names[0]]
    assert top.is_endlist == ended
    assert top.version == 7 and top.target_duration == round(config.segment_duration + 0.49)
    checks: list[SegmentCheck] = []
    starts: dict[int, list[float]] = {}  # seq -> tfdt in seconds, per rendition
    discontinuity = top.discontinuity_sequence or 0
    for position, segment in enumerate(top.segments):
        assert segment.current_program_date_time is not None, "every segment has a PDT"
        assert segment.init_section is not None
        if segment.discontinuity and position:
            discontinuity += 1
        seq = (top.media_sequence or 0) + position
        assert segment.uri == f"seg-{seq}.m4s"
        checks.append(
            SegmentCheck(
                seq=seq,
                discontinuity=int(segment.init_section.uri.removeprefix("init-").split(".")[0]),
                duration=float(segment.duration),
                program_date_time=segment.current_program_date_time.timestamp(),
            )
        )
    for rendition in config.renditions:
        directory = stream_dir / rendition.name
        bandwidth = next(
            p.stream_info.bandwidth for p in master.playlists if p.uri.startswith(rendition.name)
        )
        inits: dict[int, bytes] = {}
        for check in checks:
            if check.discontinuity not in inits:
                inits[check.discontinuity] = verified_file(
                    directory, f"init-{check.discontinuity}.mp4", key, stream, rendition.name,
                    "init", check.discontinuity,
                )  # fmt: skip
            init = inits[check.discontinuity]
            data = verified_file(directory, f"seg-{check.seq}.m4s", key, stream, rendition.name,
                                 "media", check.seq)  # fmt: skip
            assert len(data) * 8 / check.duration <= bandwidth, "BANDWIDTH is the peak"
            info = parse_init(init)
            video = info.video
            assert video is not None
            run = parse_fragment(data, info).run(video.track_id)
            assert run is not None and run.starts_with_sync
            check.start_ticks[rendition.name] = run.base_decode_time
            starts.setdefault(check.seq, []).append(run.base_decode_time / video.timescale)
            if decode:
                frames, samples = _decode(init + data)
                check.frames[rendition.name] = frames
                check.audio_samples[rendition.name] = samples
    mpd_text = (stream_dir / "manifest.mpd").read_text()
    assert mpd_violations(mpd_text) == []
    mpd = ET.fromstring(mpd_text)
    assert mpd.get("type") == ("static" if ended else "dynamic")
    representations = mpd.findall("d:Period/d:AdaptationSet/d:Representation", DASH)
    assert {r.get("id") for r in representations} == set(names)
    listed = sum(1 + int(s.get("r", "0")) for s in mpd.iterfind(".//d:S", DASH))
    assert listed == len(checks), "the MPD names the same segments as the playlists"
    for segment in mpd_segments(mpd):  # $Number$ names the file whose tfdt is S@t
        for start in starts[segment.number]:
            assert abs(start - segment.t / segment.timescale) < 0.001, (segment, start)
    return StreamCheck(key, checks, mpd, media, master)


def _decode(data: bytes) -> tuple[int, int]:
    """(video frames, audio samples); the first video frame must be a keyframe."""
    with av.open(io.BytesIO(data), mode="r") as container:
        frames = 0
        samples = 0
        for frame in container.decode(*container.streams):
            if isinstance(frame, av.VideoFrame):
                if frames == 0:
                    assert frame.key_frame, "segment does not start with a keyframe"
                frames += 1
            elif isinstance(frame, av.AudioFrame):
                samples += frame.samples
        return frames, samples
