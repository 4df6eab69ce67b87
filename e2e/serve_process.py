"""The one way tests and benchmarks start `swarmcast serve` with a live synthetic stream (e2e,
tests/peer/peer_fixtures.py, bench/slowloris_bench.py): a real process on a free port, its URL
read from what it prints, ready once the playlist names enough segments."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AnyStr

REPO = Path(__file__).resolve().parent.parent
SERVE_COMMAND = (sys.executable, "-m", "swarmcast.server.cli", "serve")


@dataclass
class ServeProcess:
    process: subprocess.Popen[str]
    url: str  # "http://127.0.0.1:PORT/"
    stream: str

    def playlist(self, rendition: str) -> str:
        return f"{self.url}live/{self.stream}/{rendition}/index.m3u8"


def http_get(url: str, timeout: float = 5) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # loopback only
        return bytes(response.read())


def wait_for_url(process: subprocess.Popen[str], deadline: float) -> str:
    """The `serving http://...` line `swarmcast serve` prints once its port is bound."""
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"swarmcast serve exited early with {process.wait()}")
        match = re.search(r"serving (http://\S+)", line)
        if match:
            return match.group(1)
    raise AssertionError("swarmcast serve printed no URL")


def start_ingest_server(
    out_dir: Path,
    ingest: str,
    *,
    ladder: str,
    segment_duration: float,
    stream_key: str,
    extra_args: Sequence[str] = (),
) -> subprocess.Popen[str]:
    """`swarmcast serve --<ingest>` (rtmp, whip) for stream "cam" on 127.0.0.1:<free port>, with
    no source: the stream waits for a publisher. Its log goes to `out_dir/serve.log` (a file: a
    full pipe would block it); stdout stays a pipe for the URLs it prints (`wait_for_url`)."""
    command = [
        *SERVE_COMMAND, "--host", "127.0.0.1", "--port", "0", "--stream", "cam",
        "--dir", str(out_dir), f"--{ingest}", "--ladder", ladder,
        "--segment-duration", f"{segment_duration:g}", *extra_args,
    ]  # fmt: skip
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=(out_dir / "serve.log").open("w"),
        text=True,
        cwd=REPO,
        env={**os.environ, "SWARMCAST_STREAM_KEY": stream_key, "PYTHONUNBUFFERED": "1"},
    )


@contextmanager
def serve_whip(
    out_dir: Path, *, ladder: str, stream_key: str
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`swarmcast serve --whip` with 1 s segments: (its URL, the process), stopped on exit (a
    no-op signal if the test already stopped it)."""
    process = start_ingest_server(
        out_dir, "whip", ladder=ladder, segment_duration=1, stream_key=stream_key
    )
    try:
        yield wait_for_url(process, time.monotonic() + 60), process
    finally:
        stop_process(process)


def wait_for_segments(playlist: str, count: int, deadline: float) -> None:
    """Poll a media playlist until it names `count` segments (hls.js starts behind the edge);
    polling is the only signal a separate process gives."""
    while time.monotonic() < deadline:
        try:
            if http_get(playlist).count(b"#EXTINF") >= count:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"no {count} segments in {playlist} in time")


def stop_process(process: subprocess.Popen[AnyStr], timeout: float = 30) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


@contextmanager
def serve_live(
    streams_dir: Path,
    *,
    stream: str,
    ladder: str,
    rendition: str = "360p",
    ready_segments: int = 4,
    extra_args: Sequence[str] = (),
    command: Sequence[str] = SERVE_COMMAND,
    env: dict[str, str] | None = None,
    cwd: Path = REPO,
    startup_s: float = 60,
    log_path: Path | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> Iterator[ServeProcess]:
    """`swarmcast serve --source synthetic` on 127.0.0.1:<free port>, stopped on exit. Its log
    goes to `log_path` (default: pytest's captured stderr); `preexec_fn` runs in the child
    before exec (e.g. a lower descriptor limit)."""
    argv = [
        *command,
        "--host", "127.0.0.1", "--port", "0", "--stream", stream,
        "--dir", str(streams_dir), "--source", "synthetic", "--ladder", ladder,
        *extra_args,
    ]  # fmt: skip
    with contextlib.ExitStack() as stack:
        log = stack.enter_context(log_path.open("wb")) if log_path is not None else None
        process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=log,  # None: the server's log goes to pytest's captured stderr
            text=True,
            cwd=cwd,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            preexec_fn=preexec_fn,
        )
        try:
            deadline = time.monotonic() + startup_s
            try:
                server = ServeProcess(process, wait_for_url(process, deadline), stream)
                wait_for_segments(server.playlist(rendition), ready_segments, deadline)
            except AssertionError as exc:
                if log_path is None:
                    raise
                tail = log_path.read_text(errors="replace")[-2000:]
                raise AssertionError(f"{exc}; the server's log ends: {tail}") from exc
            yield server
        finally:
            stop_process(process)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class StaticSite:
    """A plain static web server for `root` on its own port: a page on another origin than
    `swarmcast serve` (someone else's site embedding the player)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
