"""The production edge in front of the lab's origin (`LabConfig.page_edge`): nginx running
`deploy/nginx/swarmcast.conf` (TLS, HTTP/2, the caching edge) inside the origin's namespace,
which the browser pages load from as `https://swarmcast.test/`.

Why: a deployment serves its pages over TLS through such an edge (docs/deploy.md), so a browser
sends all of a page's requests (fragments, byte ranges, records, playlists, API calls) over one
HTTP/2 connection, and an aborted fetch resets one stream. Straight to the origin's plain HTTP/1.1
listener a page opens up to six connections of its own: on a DSL or mobile access link the
shim's concurrent origin fetches then ran as separate TCP flows, each aborted fetch closed its
connection and the next one started a new handshake. Behind the edge the P2P pages stalled
more, not less (the page's responses queue behind each other on its one connection): the
case a deployment has (bench/results/stalls-s54/README.md).

Python viewers keep the origin's own address: they stand for edge seeders and headless
viewers, which talk to the origin directly.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from swarmcast.e2e.lab.processes import LabProcess
from swarmcast.e2e.tls_edge import EDGE_HOST, Authority, make_certificate, nginx_argv, nginx_config

EDGE_PORT = 443
READY_TIMEOUT_S = 15.0
# Diagnosis, not a figure: with this set, the edge writes one line per request to
# `<dir>/edge-<epoch s>.log` (`e2e.tls_edge.EDGE_TIMING_FORMAT`): whether a page's slow first byte
# waited at the edge (cache lock, origin) or on the page's connection.
ACCESS_LOG_DIR_ENV = "SWARMCAST_LAB_EDGE_LOG_DIR"


class PageEdge:
    """nginx for one run, on `address:443` of the origin's namespace, proxying to the origin
    (and to the signaling inside it) at `origin` (`address:port`)."""

    def __init__(self, work: Path, netns: str, address: str, origin: str) -> None:
        self.work = work
        self.netns = netns
        self.address = address
        self.origin = origin
        self.process: LabProcess | None = None
        self.authority: Authority | None = None

    @property
    def url(self) -> str:
        """The pages' origin."""
        return f"https://{EDGE_HOST}"

    def origin_args(self) -> tuple[str, ...]:
        """What the origin needs behind the edge: the viewers' own addresses from
        X-Forwarded-For, and the pages' origin as an allowed one for signaling."""
        return ("--trusted-proxy", self.address, "--public-url", self.url)

    def chromium_args(self) -> list[str]:
        """The edge's name resolves to the origin host; its test certificate is trusted."""
        assert self.authority is not None, "start() first"
        return [
            f"--host-resolver-rules=MAP {EDGE_HOST} {self.address}",
            f"--ignore-certificate-errors-spki-list={self.authority.spki_sha256}",
        ]

    async def start(self) -> None:
        """Write the certificate and config, start nginx, and wait for its pid file (written
        once its listener is bound)."""
        self.work.mkdir(parents=True, exist_ok=True)
        self.authority = await asyncio.to_thread(make_certificate, self.work)
        access_log = None
        if log_dir := os.environ.get(ACCESS_LOG_DIR_ENV):
            Path(log_dir).mkdir(parents=True, exist_ok=True)
            access_log = Path(log_dir).resolve() / f"edge-{int(time.time())}.log"
        conf = nginx_config(
            self.work,
            self.origin,
            (self.origin, self.origin),  # signaling runs inside the origin
            f"{self.address}:{EDGE_PORT}",
            self.authority,
            access_log=access_log,
        )
        log_path = self.work / "nginx.out"
        self.process = LabProcess("edge", self.netns, nginx_argv(conf, self.work), log_path)
        await self.process.start()
        pid_file = self.work / "nginx.pid"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT_S
        while not pid_file.exists():
            if not self.process.running or loop.time() > deadline:
                error_log = self.work / "error.log"
                tail = error_log.read_text()[-600:] if error_log.exists() else ""
                raise RuntimeError(f"nginx did not start: {tail}")
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self.process is not None and self.process.running:
            await self.process.stop(grace_s=5.0)
