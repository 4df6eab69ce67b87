"""A throwaway redis-server for tests, and the free loopback port to put it (or anything) on."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A loopback port nothing listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_listening(
    host: str, port: int, process: subprocess.Popen[Any], timeout_s: float = 30
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args!r} exited with {process.returncode}")
        try:
            socket.create_connection((host, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)  # a separate process: polling its port is the only signal
    raise AssertionError(f"nothing listens on {host}:{port}")


def start_redis(port: int, workdir: Path | str) -> subprocess.Popen[str]:
    """redis-server on 127.0.0.1:`port` without persistence (files, if any, in `workdir`),
    listening when this returns; the caller stops it."""
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    try:
        wait_until_listening("127.0.0.1", port, process)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return process
