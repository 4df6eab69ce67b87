"""segmenter.fmp4: cutting a real muxer stream into init + fragments, and reading them."""

from __future__ import annotations

import struct
import threading
from fractions import Fraction

import pytest

from swarmcast.segmenter.config import Rendition, SegmenterConfig
from swarmcast.segmenter.encoder import RenditionEncoder
from swarmcast.segmenter.fmp4 import FragmentSplitter, Mp4FormatError, parse_fragment, parse_init
from swarmcast.segmenter.sources import CapturedVideo, SyntheticSource


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def test_splitter_handles_any_write_boundaries() -> None:
    init = box(b"ftyp", b"cmfc") + box(b"moov", b"x" * 50)
    stream = init
    stream += box(b"styp") + box(b"moof", b"a" * 10) + box(b"mdat", b"b" * 100)
    stream += box(b"moof", b"c" * 10) + box(b"mdat", b"d" * 7) + box(b"mfra", b"e")
    for step in (1, 3, 7, 1000):
        splitter = FragmentSplitter()
        files = []
        for start in range(0, len(stream), step):
            files += splitter.feed(stream[start : start + step])
        assert [kind for kind, _ in files] == ["init", "fragment", "fragment"]
        assert files[0][1] == init
        assert files[1][1].startswith(box(b"styp"))
        assert b"".join(data for _, data in files) + box(b"mfra", b"e") == stream
        assert splitter.finish() == len(box(b"mfra", b"e"))


def test_splitter_refuses_garbage() -> None:
    with pytest.raises(Mp4FormatError):
        FragmentSplitter().feed(box(b"moof") + box(b"mdat"))
    with pytest.raises(Mp4FormatError):
        FragmentSplitter().feed(struct.pack(">I4s", 3, b"ftyp"))


def test_real_encode_gives_aligned_keyframe_fragments_and_codec_strings() -> None:
    config = SegmenterConfig(renditions=(Rendition("180p", 320, 180, 300_000),),
                             segment_duration=1.0)  # fmt: skip
    files: list[tuple[str, bytes]] = []
    encoder = RenditionEncoder(config.renditions[0], config, lambda k, d: files.append((k, d)))
    source = SyntheticSource(width=320, height=180, duration=2.5, realtime=False)
    index = 0
    for event in source.events(threading.Event()):
        if isinstance(event, CapturedVideo):
            encoder.encode_video(event.frame, index, index % config.frames_per_segment == 0)
            index += 1
    encoder.close()
    assert [kind for kind, _ in files] == ["init", "fragment", "fragment", "fragment"]
    init = parse_init(files[0][1])
    video = init.video
    assert video is not None and video.timescale == 90_000
    assert init.codecs.startswith("avc1.64") and init.codecs.endswith(",mp4a.40.2")
    infos = [parse_fragment(data, init).run(video.track_id) for _, data in files[1:]]
    assert [(run.base_decode_time, run.sample_count, run.duration) for run in infos if run] == [
        (0, 30, 90_000),
        (90_000, 30, 90_000),
        (180_000, 15, 45_000),
    ]
    assert all(run and run.starts_with_sync for run in infos)
    assert Fraction(infos[0].duration, video.timescale) == 1 if infos[0] else False
