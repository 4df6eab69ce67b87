"""The swarm lab's topology on real network namespaces: hosts reach each other through the
router, the origin's egress cap is installed, link counters see the traffic, and close() leaves
nothing behind (namespaces or processes)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from swarmcast.e2e.lab.netns import Topology, lab_namespaces, netns_command, remove_stale_namespaces
from swarmcast.e2e.lab.processes import catches

PAYLOAD_BYTES = 300_000


@pytest.mark.netns
@pytest.mark.timeout(120)
def test_topology_routes_caps_counts_and_cleans_up(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("ip netns needs root")
    (tmp_path / "payload.bin").write_bytes(os.urandom(PAYLOAD_BYTES))
    topology = Topology.create()
    server: subprocess.Popen[bytes] | None = None
    try:
        origin = topology.add_host("origin")
        viewer = topology.add_host("viewer")
        # Each host sits on its own /24 (signaling groups peers by network prefix).
        assert origin.address.split(".")[:3] != viewer.address.split(".")[:3]
        topology.cap_egress(origin, 8000)
        qdisc = subprocess.run(
            netns_command(origin.netns, ["tc", "qdisc", "show", "dev", "eth0"]),
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert "tbf" in qdisc and "8Mbit" in qdisc

        server = subprocess.Popen(
            netns_command(origin.netns, [
                sys.executable, "-m", "http.server", "8000", "--bind", origin.address,
                "--directory", str(tmp_path),
            ]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        fetch = (
            "import sys, time, urllib.request\n"
            "for _ in range(100):\n"
            "    try:\n"
            f"        body = urllib.request.urlopen('http://{origin.address}:8000/payload.bin',"
            " timeout=5).read()\n"
            "        print(len(body)); sys.exit(0)\n"
            "    except OSError:\n"
            "        time.sleep(0.1)\n"
            "sys.exit(1)\n"
        )
        result = subprocess.run(
            netns_command(viewer.netns, [sys.executable, "-c", fetch]),
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert int(result.stdout.strip()) == PAYLOAD_BYTES

        counters = topology.link_counters()
        origin_sent, _ = counters[origin.index]
        _, viewer_received = counters[viewer.index]
        assert origin_sent >= PAYLOAD_BYTES
        assert viewer_received >= PAYLOAD_BYTES
    finally:
        topology.close()
    assert lab_namespaces(topology.run_tag) == []
    assert server is not None
    deadline = time.monotonic() + 10
    while server.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.poll() is not None, "close() stops what runs inside the lab's namespaces"
    assert topology.run_tag not in " ".join(remove_stale_namespaces())


def test_catches_reads_the_signal_mask_of_a_process() -> None:
    sleeper = subprocess.Popen(
        [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGUSR1, "
         "lambda *a: None); print('ready', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert sleeper.stdout is not None and sleeper.stdout.readline().strip() == b"ready"
        assert catches(sleeper.pid, "SIGUSR1")
        assert not catches(sleeper.pid, "SIGUSR2")
    finally:
        sleeper.kill()
        sleeper.wait()
