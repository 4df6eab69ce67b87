"""`swarmcast serve --rtmp`: an RTMP publisher's feed becomes a stream this origin serves."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.segmenter.rtmp_publisher import EXIT_OK, EXIT_REFUSED, start_publisher

REPO = Path(__file__).resolve().parents[2]
KEY = "s3cret-key"


def _get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as response:  # loopback only
        return json.load(response)


@pytest.fixture
def rtmp_server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """(HTTP base URL, RTMP port) of `swarmcast serve --rtmp` on free ports."""
    command = [
        sys.executable, "-m", "swarmcast.server.cli", "serve", "--port", "0", "--stream", "cam",
        "--dir", str(tmp_path), "--rtmp", "--rtmp-host", "127.0.0.1", "--rtmp-port", "0",
        "--ladder", "320x180@250", "--segment-duration", "1",
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "SWARMCAST_STREAM_KEY": KEY, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        rtmp_port = http_base = None
        while http_base is None:
            line = process.stdout.readline()
            assert line, f"swarmcast serve exited with {process.wait()}"
            if match := re.search(r"rtmp://127\.0\.0\.1:(\d+)/live/", line):
                rtmp_port = int(match.group(1))
            if match := re.search(r"serving (http://\S+)", line):
                http_base = match.group(1)
        assert rtmp_port is not None
        yield http_base, rtmp_port
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.slow
def test_rtmp_publisher_is_served_and_a_wrong_key_is_not(rtmp_server: tuple[str, int]) -> None:
    base, rtmp_port = rtmp_server
    wrong = start_publisher(rtmp_port, "not-the-key", 2.0)
    assert wrong.wait(timeout=30) == EXIT_REFUSED
    assert _get_json(f"{base}api/streams") == []  # nothing published for a wrong key

    publisher = start_publisher(rtmp_port, KEY, 4.0)
    try:
        deadline = time.monotonic() + 40
        streams: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            streams = _get_json(f"{base}api/streams")  # type: ignore[assignment]
            if streams and streams[0]["live"]:
                break
            time.sleep(0.3)
        assert streams and streams[0]["name"] == "cam" and streams[0]["live"] is True
        with urllib.request.urlopen(f"{base}live/cam/180p/index.m3u8", timeout=10) as response:
            playlist = response.read().decode()
        first = re.search(r"^(seg-\d+\.m4s)$", playlist, re.MULTILINE)
        assert first, playlist
        with urllib.request.urlopen(f"{base}live/cam/180p/{first.group(1)}", timeout=10) as seg:
            assert seg.headers["Content-Type"] == "video/iso.segment"
            assert len(seg.read()) > 0
        assert publisher.wait(timeout=30) == EXIT_OK
    finally:
        if publisher.poll() is None:
            publisher.kill()
        publisher.communicate()
