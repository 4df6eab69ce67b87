"""`swarmcast peer` flags only override the frozen configs' defaults."""

from __future__ import annotations

import json
from pathlib import Path

from swarmcast.peer.cli import config_from_args, emit_stats
from swarmcast.peer.peer_config import PeerConfig
from swarmcast.peer.scheduler_config import SchedulerConfig
from swarmcast.server.cli import build_parser


def test_defaults_come_from_the_configs() -> None:
    args = build_parser().parse_args(["peer", "--url", "http://127.0.0.1:9", "--stream", "demo"])
    config = config_from_args(args)
    assert config == PeerConfig("http://127.0.0.1:9", "demo")
    assert config.ice_servers == ()  # never a public STUN server unless asked
    assert config.scheduler == SchedulerConfig()


def test_flags_override() -> None:
    argv = [
        "peer",
        "--url",
        "http://h:1",
        "--stream",
        "s",
        "--rendition",
        "360p",
        "--seed",
        "--ice-server",
        "stun:10.77.0.1:3478",
        "--upload-slots",
        "2",
        "--upload-rate",
        "50000",
        "--live-delay",
        "4",
        "--max-neighbours",
        "3",
        "--upload-share-of-measured",
        "0.5",
        "--token-secret",
        "operator-token-secret-0123456789",
    ]
    config = config_from_args(build_parser().parse_args(argv))
    assert config.seed and config.rendition == "360p" and config.max_neighbours == 3
    assert config.ice_servers[0].urls == ("stun:10.77.0.1:3478",)
    assert config.scheduler.upload_slots == 2
    assert config.scheduler.upload_rate_bytes_per_s == 50000
    assert config.live_delay_segments == 4
    assert config.upload_share_of_measured == 0.5
    assert config.token_secret == b"operator-token-secret-0123456789"


def test_timeline_flag_turns_the_timeline_on() -> None:
    base = ["peer", "--url", "http://h:1", "--stream", "s"]
    assert config_from_args(build_parser().parse_args(base)).timeline_capacity is None
    args = build_parser().parse_args([*base, "--timeline", "/tmp/t.json"])
    assert config_from_args(args).timeline_capacity == 5000
    assert args.timeline == Path("/tmp/t.json")


def test_emit_stats_writes_json_atomically(tmp_path: Path, capsys: object) -> None:
    path = tmp_path / "stats.json"
    emit_stats({"bytes_from_http": 1}, path)
    assert json.loads(path.read_text()) == {"bytes_from_http": 1}
    assert not list(tmp_path.glob("*.tmp"))
