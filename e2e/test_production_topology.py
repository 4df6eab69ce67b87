"""The production topology of docs/deploy.md, for real (issue 10): Debian's nginx terminates TLS
(a test CA Chromium trusts) for `https://swarmcast.test`, caches the origin's files as an edge,
and proxies WebSockets to two `swarmcast signaling` nodes sharing swarms through a real
redis-server; X-Forwarded-For is trusted. nginx runs `deploy/nginx/swarmcast.conf` itself, with
this test's ports and paths substituted.

Viewers on the https page get P2P; SIGKILL of the signaling node most viewers use: they reconnect
to the other node and have peers again within 10 s, nobody stalls; Redis restarted empty: the
nodes rebuild the swarms and a newcomer is matched with the viewers already there.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from swarmcast.e2e.browser import ensure_shim_bundle, webrtc_context
from swarmcast.e2e.redis_process import free_ports, start_redis, wait_until_listening
from swarmcast.e2e.serve_process import REPO, ServeProcess, serve_live
from swarmcast.e2e.tls_edge import EDGE_HOST, make_certificate, nginx_argv, nginx_config

pytestmark = [
    pytest.mark.browser,
    pytest.mark.netns,
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
        reason="no nginx (scripts/ensure-system-deps.sh installs it)",
    ),
]

HOST = EDGE_HOST
EDGE_ADDRESS = "10.77.0.1"  # scripts/in-netns.sh's veth address: not loopback, like a real edge
STREAM = "topo"
SECRET = "production-topology-secret-0123"
ADMIN = "production-topology-admin-token"
# Records what the shim reports, with page time, for the failover measurements.
RECORDER = """
() => {
  const d = window.swarmcastDemo;
  if (!d || !d.swarm) return false;
  if (!d.__log) {
    d.__log = [];
    d.swarm.on("signaling", (e) => d.__log.push([performance.now(), "signaling:" + e.state]));
    d.swarm.on("peer-connect", () => d.__log.push([performance.now(), "peer-connect"]));
    d.swarm.on("stall", (e) => d.__log.push([performance.now(), "stall:" + e.phase]));
  }
  return true;
}
"""


class Topology:
    """redis-server, the origin, two signaling nodes and nginx, each its own process."""

    def __init__(self, work: Path, origin: ServeProcess) -> None:
        self.work, self.origin = work, origin
        self.redis_port, *self.signaling_ports, self.edge_port = free_ports(4)  # all distinct
        self.url = f"https://{HOST}:{self.edge_port}/"
        self.processes: dict[str, subprocess.Popen[Any]] = {}
        self.ca = make_certificate(work, HOST)

    def start_redis(self) -> None:
        self.processes["redis"] = start_redis(self.redis_port, self.work)

    def start_signaling(self, index: int) -> None:
        port = self.signaling_ports[index]
        process = subprocess.Popen(
            [sys.executable, "-m", "swarmcast.server.cli", "signaling", "--port", str(port),
             "--redis", f"redis://127.0.0.1:{self.redis_port}/0",
             "--trusted-proxy", "127.0.0.1", "--public-url", self.url.rstrip("/")],
            cwd=REPO,
            env={**os.environ, "SWARMCAST_TOKEN_SECRET": SECRET, "SWARMCAST_ADMIN_TOKEN": ADMIN},
        )  # fmt: skip
        self.processes[f"signaling{index}"] = process
        wait_until_listening("127.0.0.1", port, process)

    def start_nginx(self) -> None:
        origin_port = int(self.origin.url.rstrip("/").rsplit(":", 1)[1])
        conf = nginx_config(
            self.work,
            f"127.0.0.1:{origin_port}",
            (f"127.0.0.1:{self.signaling_ports[0]}", f"127.0.0.1:{self.signaling_ports[1]}"),
            f"{EDGE_ADDRESS}:{self.edge_port}",
            self.ca,
            HOST,
        )
        process = subprocess.Popen(nginx_argv(conf, self.work))
        self.processes["nginx"] = process
        wait_until_listening(EDGE_ADDRESS, self.edge_port, process)

    def node_state(self, index: int) -> dict[str, Any]:
        port = self.signaling_ports[index]
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/swarms", headers={"Authorization": f"Bearer {ADMIN}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # loopback only
            swarms: dict[str, Any] = json.load(response)
        return swarms

    def connections(self, index: int) -> int:
        """Sockets node `index` holds (swarm state is shared; connections are per node)."""
        url = f"http://127.0.0.1:{self.signaling_ports[index]}/healthz"
        with urllib.request.urlopen(url, timeout=5) as response:  # loopback only
            return int(json.load(response)["connections"])

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def close(self) -> None:
        for name in list(self.processes):
            self.stop(name)


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    ensure_shim_bundle()
    work = tmp_path_factory.mktemp("topology")
    with serve_live(
        work / "live",
        stream=STREAM,
        ladder="640x360@700",
        extra_args=["--no-signaling"],
        env={"SWARMCAST_TOKEN_SECRET": SECRET},
    ) as origin:
        topo = Topology(work, origin)
        try:
            topo.start_redis()
            topo.start_signaling(0)
            topo.start_signaling(1)
            topo.start_nginx()
            yield topo
        finally:
            topo.close()
            log = work / "error.log"
            if log.exists():
                print("nginx error.log:", log.read_text()[-2000:])


class Viewer:
    def __init__(self, context: Any, url: str) -> None:
        self.page = context.new_page()
        self.console: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"[:300]))
        self.page.goto(url)
        self.page.wait_for_function(RECORDER, timeout=30_000)

    def stats(self) -> dict[str, Any]:
        return dict(self.page.evaluate("() => window.swarmcastDemo.swarm.stats()"))

    def wait(self, condition: str, timeout_s: float) -> None:
        self.page.wait_for_function(
            f"() => {{ const s = window.swarmcastDemo.swarm.stats(); return {condition}; }}",
            timeout=timeout_s * 1000,
            polling=100,
        )

    def log_since(self, page_ms: float) -> list[tuple[float, str]]:
        entries = self.page.evaluate(
            "(t) => window.swarmcastDemo.__log.filter((e) => e[0] >= t)", page_ms
        )
        return [(float(at), str(what)) for at, what in entries]


def test_https_two_signaling_nodes_failover_and_redis_restart(topology: Topology) -> None:
    args = [
        f"--host-resolver-rules=MAP {HOST} {EDGE_ADDRESS}",
        f"--ignore-certificate-errors-spki-list={topology.ca.spki_sha256}",
    ]
    with webrtc_context(args) as context:
        viewers = [Viewer(context, f"{topology.url}?stream={STREAM}") for _ in range(3)]
        # 1. The https page gets P2P through nginx.
        for viewer in viewers:
            viewer.wait("s.signalingState === 'connected' && s.peersConnected >= 1", 45)
        viewers[0].wait("s.p2pBytes + s.uploadedBytes > 0", 45)
        # 2. X-Forwarded-For trusted: signaling sees the browsers' network, not nginx's loopback.
        states = [topology.node_state(i) for i in (0, 1)]
        prefixes = {p for state in states for swarm in state["swarms"] for p in swarm["prefixes"]}
        assert prefixes == {"10.77.0.0/24"}, prefixes
        # 3. nginx caches the origin's immutable files.
        cache = viewers[0].page.evaluate(
            """async (stream) => {
                const playlist = await (await fetch(`/live/${stream}/360p/index.m3u8`)).text();
                const segment = playlist.split("\\n").find((l) => l.endsWith(".m4s"));
                const url = `/live/${stream}/360p/${segment}`;
                const status = async () =>
                    (await fetch(url, {cache: "no-store"})).headers.get("x-cache-status");
                const first = await status();
                return [first, await status()];
            }""",
            STREAM,
        )
        assert cache[1] == "HIT", cache

        # 4. SIGKILL the node most viewers use: they reconnect to the other, peers again <= 10 s.
        connections = [topology.connections(i) for i in (0, 1)]
        victim = 0 if connections[0] >= connections[1] else 1
        kill_at = [v.page.evaluate("() => performance.now()") for v in viewers]
        topology.stop(f"signaling{victim}", signal.SIGKILL)
        moved: list[int] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(moved) < connections[victim]:
            moved = [
                i for i, v in enumerate(viewers)
                if any(w == "signaling:disconnected" for _, w in v.log_since(kill_at[i]))
            ]  # fmt: skip
            time.sleep(0.2)
        assert len(moved) == connections[victim], (moved, connections)
        resumed_s = []
        for i in moved:
            viewers[i].wait("s.signalingState === 'connected' && s.peers >= 1", 30)
            log = viewers[i].log_since(kill_at[i])
            back = [at for at, what in log if what == "peer-connect"]
            assert back, log
            resumed_s.append((back[0] - kill_at[i]) / 1000)
        print(f"failover: {len(moved)} viewers moved, P2P back after {resumed_s} s")
        assert max(resumed_s) <= 10.0, resumed_s
        # The dead node's members (the moved viewers' old peer ids) are reaped from Redis.
        survivor = 1 - victim
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            members = sum(s["peers"] for s in topology.node_state(survivor)["swarms"])
            if members == len(viewers):
                break
            time.sleep(0.3)  # the reaper runs every second in the node's own process
        assert members == len(viewers), "the dead node's members were not removed"

        # 5. Redis restarts empty: the surviving node rebuilds the swarm; a newcomer joins it.
        topology.stop("redis")
        topology.start_redis()
        deadline = time.monotonic() + 20
        peers = 0
        while time.monotonic() < deadline and peers < len(viewers):
            # The node's first command on a connection Redis dropped fails: a retryable 503.
            try:
                peers = sum(s["peers"] for s in topology.node_state(survivor)["swarms"])
            except urllib.error.HTTPError as error:
                assert error.code == 503, f"/api/swarms answered {error.code} while Redis restarted"
            time.sleep(0.3)
        assert peers == len(viewers), "swarm not rebuilt after the Redis restart"
        newcomer = Viewer(context, f"{topology.url}?stream={STREAM}")
        newcomer.wait("s.signalingState === 'connected' && s.peersConnected >= 1", 45)

        for viewer in [*viewers, newcomer]:
            stats = viewer.stats()
            print("viewer:", {k: stats[k] for k in ("p2pBytes", "httpBytes", "stalls", "peers")})
            assert stats["stalls"] == 0, (stats, viewer.console[-10:])
            assert stats["verificationFailures"] == 0
        assert sum(v.stats()["p2pBytes"] for v in viewers) > 0
