"""segmenter.config and segmenter.stream_files: validation, the key, restart safety."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from swarmcast.protocol import integrity
from swarmcast.segmenter.config import DEFAULT_LADDER, Rendition, SegmenterConfig
from swarmcast.segmenter.stream_files import KEY_FILE, StreamFiles, write_atomic


def test_defaults_are_the_documented_ladder() -> None:
    config = SegmenterConfig()
    assert [r.name for r in config.renditions] == ["720p", "480p", "360p"]
    assert config.renditions == DEFAULT_LADDER
    assert (config.fps, config.segment_duration, config.piece_size) == (30, 2.0, 16384)
    assert config.frames_per_segment == 60


@pytest.mark.parametrize(
    "overrides",
    [
        {"renditions": ()},
        {"renditions": (Rendition("a", 640, 360, 1), Rendition("a", 320, 180, 1))},
        {"renditions": (Rendition("a", 640, 360, 1), Rendition("b", 640, 360, 2))},
        {"fps": 0},
        {"fps": 30, "segment_duration": 2.01},
        {"piece_size": 512},
        {"playlist_window": 2},
        {"playlist_window": 10, "retained_segments": 5},
    ],
)
def test_config_refuses_inconsistent_settings(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SegmenterConfig(**overrides)  # type: ignore[arg-type]


def test_rendition_parse_and_validation() -> None:
    assert Rendition.parse("1280x720@2500") == Rendition("720p", 1280, 720, 2_500_000)
    for bad in ("1280x720", "axb@1", "1281x720@100"):
        with pytest.raises(ValueError):
            Rendition.parse(bad)
    with pytest.raises(ValueError):
        Rendition("bad name", 640, 360, 1)


def test_key_is_created_once_private_and_published(tmp_path: Path) -> None:
    files = StreamFiles("demo", tmp_path / "demo", 16384)
    document, next_seq, next_discontinuity = files.prepare(("720p",))
    key_path = tmp_path / "demo" / KEY_FILE
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    published = json.loads((tmp_path / "demo" / "signing-key.json").read_text())
    assert published == document
    assert integrity.parse_signing_key(published).key_id == document["key_id"]
    assert (next_seq, next_discontinuity) == (0, 0)
    again = StreamFiles("demo", tmp_path / "demo", 16384).prepare(("720p",))[0]
    assert again == document  # same key on restart: pinned players keep working


def test_restart_continues_numbering_and_clears_stale_media(tmp_path: Path) -> None:
    files = StreamFiles("demo", tmp_path / "demo", 1024)
    files.prepare(("720p",))
    path = files.publish_media_file("720p", "media", 7, b"x" * 3000)
    record = integrity.parse_record((path.parent / "seg-7.m4s.integrity.json").read_bytes())
    assert record.piece_count == 3 and record.uri == "seg-7.m4s"
    key = integrity.parse_signing_key((tmp_path / "demo" / "signing-key.json").read_text())
    integrity.verify_record_signature(record, key)
    files.write_text("720p/index.m3u8", "#EXTM3U\n")
    files.save_state(8, 2)
    _, next_seq, next_discontinuity = StreamFiles("demo", tmp_path / "demo", 1024).prepare(
        ("720p",)
    )
    assert (next_seq, next_discontinuity) == (8, 2)
    assert sorted(p.name for p in (tmp_path / "demo" / "720p").iterdir()) == []


def test_corrupt_state_restarts_at_zero(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / ".segmenter-state.json").write_text("{not json")
    assert StreamFiles("demo", tmp_path / "demo", 1024).prepare(("a",))[1:] == (0, 0)


def test_write_atomic_leaves_no_temporary(tmp_path: Path) -> None:
    write_atomic(tmp_path / "f.json", b"{}")
    write_atomic(tmp_path / "f.json", b"[]")
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]
    assert (tmp_path / "f.json").read_bytes() == b"[]"
