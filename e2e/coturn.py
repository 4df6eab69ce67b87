"""The one way e2e tests and the lab run coturn (Debian's `turnserver`) as STUN + TURN with TURN
REST credentials (`--use-auth-secret`, protocol/turn.py): its own files in a scratch directory,
optionally inside a network namespace, ready once it answers a STUN Binding request."""

from __future__ import annotations

import os
import re
import secrets
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from swarmcast.e2e.serve_process import stop_process

TURNSERVER = "/usr/bin/turnserver"
STUN_MAGIC = 0x2112A442
REALM = "swarmcast"


@dataclass
class Coturn:
    process: subprocess.Popen[bytes]
    host: str
    port: int
    secret: str
    log_path: Path

    @property
    def stun_url(self) -> str:
        return f"stun:{self.host}:{self.port}"

    @property
    def turn_url(self) -> str:
        return f"turn:{self.host}:{self.port}?transport=udp"

    def relayed_bytes(self) -> int:
        """Bytes relayed over closed TURN sessions: the sum of the `rb`/`sb` (received/sent)
        figures coturn logs per session (a session's figures appear once it ends)."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        total = 0
        for match in re.finditer(r"usage: .*?rb=(\d+), rp=\d+, sb=(\d+)", text):
            total += int(match.group(1)) + int(match.group(2))
        return total


def stun_binding(host: str, port: int, timeout_s: float = 0.5) -> bool:
    """One STUN Binding request (RFC 5389 header only); True if a success response came back."""
    txid = secrets.token_bytes(12)
    request = struct.pack("!HHI", 0x0001, 0, STUN_MAGIC) + txid
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout_s)
        try:
            sock.sendto(request, (host, port))
            data, _ = sock.recvfrom(2048)
        except OSError:
            return False
    return len(data) >= 20 and data[:2] == b"\x01\x01" and data[8:20] == txid


@contextmanager
def run_coturn(
    workdir: Path,
    host: str,
    *,
    port: int = 3478,
    relay_ports: tuple[int, int] = (49152, 49999),
    secret: str | None = None,
    netns_exec: Sequence[str] = (),
    startup_s: float = 15.0,
) -> Iterator[Coturn]:
    """turnserver listening and relaying on `host` (UDP only, no TLS, no CLI), stopped on exit.
    `netns_exec` prefixes the command (e.g. `ip netns exec NAME`) to run it in a namespace;
    readiness is then probed from inside that namespace too."""
    workdir.mkdir(parents=True, exist_ok=True)
    secret = secret or secrets.token_hex(16)
    log_path = workdir / "turnserver.log"
    argv = [
        *netns_exec, TURNSERVER, "-n",
        f"--listening-ip={host}", f"--listening-port={port}", f"--relay-ip={host}",
        f"--min-port={relay_ports[0]}", f"--max-port={relay_ports[1]}",
        "--use-auth-secret", f"--static-auth-secret={secret}", f"--realm={REALM}",
        "--fingerprint", "--no-tls", "--no-dtls", "--no-tcp", "--no-tcp-relay", "--no-cli",
        "--no-multicast-peers", "--allow-loopback-peers",
        f"--log-file={log_path}", "--simple-log", "--no-stdout-log",
        f"--pidfile={workdir / 'turnserver.pid'}", f"--db={workdir / 'turndb'}",
    ]  # fmt: skip
    process = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ}
    )
    server = Coturn(process, host, port, secret, log_path)
    try:
        deadline = time.monotonic() + startup_s
        while not _ready(host, port, netns_exec):
            if process.poll() is not None:
                raise AssertionError(
                    f"turnserver exited with {process.returncode}: {_tail(log_path)}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"turnserver did not answer STUN: {_tail(log_path)}")
        yield server
    finally:
        stop_process(process, timeout=10)


def _ready(host: str, port: int, netns_exec: Sequence[str]) -> bool:
    if not netns_exec:
        return stun_binding(host, port)
    probe = (
        "from swarmcast.e2e.coturn import stun_binding; "
        f"raise SystemExit(0 if stun_binding({host!r}, {port}) else 1)"
    )
    repo = Path(__file__).resolve().parent.parent
    return subprocess.run([*netns_exec, sys.executable, "-c", probe], cwd=repo).returncode == 0


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-600:] if path.exists() else "(no log)"
