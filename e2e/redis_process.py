"""A throwaway redis-server for tests, and the free loopback port to put it (or anything) on."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A loopback port nothing listens on right now (the OS picks it)."""
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` distinct loopback ports nothing listens on right now. Taken together: a port
    picked, let go and picked again comes back as the same one now and then (1 in ~25,000 here),
    so successive `free_port()` calls could hand two servers one port."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port that refuses every connection while the block runs: bound but never
    listening, so no server started meanwhile (port 0) and no outgoing connection's own end is
    given it (a free port let go could be either, and then it answers)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


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
