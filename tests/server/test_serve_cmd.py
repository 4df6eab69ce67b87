"""`swarmcast serve`: argument handling, and the serve-only mode as a real process."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from swarmcast.segmenter.cli import config_from_args
from swarmcast.server import serve_cmd
from swarmcast.server.cli import build_parser

REPO = Path(__file__).resolve().parents[2]


def _parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["serve", *argv])


def test_defaults() -> None:
    args = _parse()
    assert (args.host, args.port, args.stream) == ("127.0.0.1", 8080, "demo")
    assert args.source is None and args.dir is None and not args.rtmp


def test_origin_config_from_flags_and_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SWARMCAST_TOKEN_SECRET", "from-the-environment")
    monkeypatch.setenv("SWARMCAST_TURN_SECRET", "turn-secret")
    args = _parse(
        "--ice-server", "stun:10.77.0.1:3478", "--turn-url", "turn:10.77.0.1:3478",
        "--signaling-url", "http://10.77.0.1:9000",
    )  # fmt: skip
    config = serve_cmd.origin_config_from_args(args, tmp_path)
    assert config.token_secret == b"from-the-environment"
    assert config.turn_secret == "turn-secret"
    assert [server.urls for server in config.ice_servers] == [("stun:10.77.0.1:3478",)]
    assert config.turn_urls == ("turn:10.77.0.1:3478",)
    assert config.signaling_url == "http://10.77.0.1:9000"
    flag = serve_cmd.origin_config_from_args(_parse("--token-secret", "a-flag-wins-0123"), tmp_path)
    assert flag.token_secret == b"a-flag-wins-0123"
    assert config.max_connections_per_address == 256  # OriginConfig's default
    proxied = serve_cmd.origin_config_from_args(
        _parse("--max-connections-per-address", "4096"), tmp_path
    )
    assert proxied.max_connections_per_address == 4096
    assert config.blocking_reload
    plain = serve_cmd.origin_config_from_args(_parse("--no-blocking-reload"), tmp_path)
    assert not plain.blocking_reload


def test_segmenter_overrides() -> None:
    config = config_from_args(
        _parse("--ladder", "640x360@700,320x180@250", "--segment-duration", "1", "--fps", "24")
    )
    assert [r.name for r in config.renditions] == ["360p", "180p"]
    assert (config.segment_duration, config.fps) == (1.0, 24)
    kept = config_from_args(_parse("--retain", "0", "--window", "6", "--preset", "superfast"))
    assert (kept.retained_segments, kept.playlist_window, kept.x264_preset) == (0, 6, "superfast")


@pytest.mark.parametrize("source", ["nonsense", "file:", "file:/does/not/exist.mp4"])
def test_bad_source_is_a_clear_error(source: str) -> None:
    args = _parse("--source", source)
    with pytest.raises(SystemExit, match=r"source|no such file"):
        serve_cmd.make_source(args, config_from_args(args))


def test_rtmp_needs_a_stream_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWARMCAST_STREAM_KEY", raising=False)
    args = _parse("--rtmp", "--rtmp-port", "0")
    with pytest.raises(SystemExit, match="stream-key"):
        serve_cmd.make_source(args, config_from_args(args))


def test_serve_dir_only_runs_and_stops_on_sigterm(streams_dir: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "swarmcast.server.cli",
            "serve",
            "--dir",
            str(streams_dir),
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"serving (http://127\.0\.0\.1:\d+/)", line)
        assert match, line
        base = match.group(1)
        with urllib.request.urlopen(f"{base}api/streams", timeout=10) as response:
            names = [entry["name"] for entry in json.load(response)]
        assert names == ["demo", "vod"]
        started = time.monotonic()
        with urllib.request.urlopen(f"{base}live/demo/360p/seg-0.m4s", timeout=10) as response:
            body = response.read()
        print(f"segment GET over loopback: {(time.monotonic() - started) * 1000:.1f} ms")
        assert body == (streams_dir / "demo" / "360p" / "seg-0.m4s").read_bytes()
        assert not list(streams_dir.glob("*/*.tmp"))  # serving never writes
        # Signaling rides on the same app: an Engine.IO polling handshake answers.
        handshake = f"{base}socket.io/?EIO=4&transport=polling"
        with urllib.request.urlopen(handshake, timeout=10) as response:
            assert response.status == 200
            assert b'"sid"' in response.read()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        if process.stdout is not None:
            process.stdout.close()


def test_sigterm_right_after_the_url_line_is_a_clean_stop(streams_dir: Path) -> None:
    """Whoever reads `serving URL` may stop the server at once: the handler is already there."""
    process = subprocess.Popen(
        [sys.executable, "-m", "swarmcast.server.cli", "serve", "--dir", str(streams_dir),
         "--port", "0", "--stream", "demo"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        assert "serving http://" in process.stdout.readline()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert "swarmcast: stopped" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


class _WedgedStream:
    """A pipeline whose stop() never finishes (e.g. an encoder thread stuck in a codec)."""

    name = "wedged"

    def __init__(self, release: threading.Event) -> None:
        self.release = release

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await asyncio.to_thread(self.release.wait)

    async def events(self) -> AsyncIterator[object]:
        return
        yield


def test_a_wedged_pipeline_cannot_hang_shutdown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve_cmd, "STOP_TIMEOUT_S", 0.2)
    release = threading.Event()
    stuck: list[str] = []

    async def start_and_stop() -> None:
        app = web.Application()
        app.cleanup_ctx.append(
            serve_cmd.live_stream_context(_WedgedStream(release), lambda: stuck.append("x"))
        )
        runner = web.AppRunner(app)
        await runner.setup()
        await runner.cleanup()

    started = time.monotonic()
    try:
        serve_cmd.run_event_loop(start_and_stop(), skip_executor_shutdown=lambda: bool(stuck))
        assert stuck == ["x"]
        assert time.monotonic() - started < 10
    finally:
        release.set()  # let the executor thread end
