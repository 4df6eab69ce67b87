"""Network-namespace topology for the swarm lab: one router namespace and one namespace per host.

Every host (the origin, each Chromium viewer, each Python peer) gets its own namespace and its own
/24 behind a router namespace, so signaling sees distinct network prefixes the way it would on the
internet. Namespace names carry the owner's PID so parallel runs never collide and a later run can
remove what a crashed run left behind. Nothing here touches the namespace the lab was started in:
veth pairs are created directly inside the lab's namespaces.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

NETNS_DIR = Path("/run/netns")
NAME_PREFIX = "swl"  # swarm lab; followed by the owner's PID, a random tag, and the host role
HOST_IFACE = "eth0"  # inside each host namespace
SUBNET_BASE = "10.77"  # host i lives in 10.77.<i+1>.0/24: router .1, host .2


def in_private_netns() -> bool:
    """True inside a network namespace other than init's (see scripts/in-netns.sh)."""
    if os.environ.get("SWARMCAST_NETNS") == "1":
        return True
    try:
        return os.readlink("/proc/self/ns/net") != os.readlink("/proc/1/ns/net")
    except OSError:
        return False


@dataclass(frozen=True)
class Host:
    """One lab host: a namespace with one address and a default route through the router."""

    index: int
    role: str  # "origin", "viewer", "peer"
    netns: str
    address: str
    router_iface: str  # the router's end of this host's veth link


@dataclass
class Topology:
    """A router namespace and its hosts; `close()` removes all of it (idempotent)."""

    run_tag: str
    router_netns: str
    hosts: list[Host] = field(default_factory=list)
    closed: bool = False

    @classmethod
    def create(cls) -> Topology:
        """Make the router namespace (forwarding on, no route anywhere else)."""
        tag = f"{NAME_PREFIX}{os.getpid()}x{secrets.token_hex(2)}"
        topology = cls(run_tag=tag, router_netns=f"{tag}-r")
        try:
            _ip("netns", "add", topology.router_netns)
            _ip("-n", topology.router_netns, "link", "set", "lo", "up")
            _in_netns(topology.router_netns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
        except BaseException:
            topology.close()
            raise
        return topology

    def add_host(self, role: str) -> Host:
        """A new namespace linked to the router by a veth pair on its own /24."""
        index = len(self.hosts)
        if index >= 250:
            raise ValueError("the lab addresses at most 250 hosts")
        octet = index + 1
        netns = f"{self.run_tag}-{role[0]}{index}"
        host = Host(
            index=index,
            role=role,
            netns=netns,
            address=f"{SUBNET_BASE}.{octet}.2",
            router_iface=f"h{index}",
        )
        self.hosts.append(host)  # registered first so close() removes a half-made host too
        _ip("netns", "add", netns)
        _ip("-n", netns, "link", "set", "lo", "up")
        _ip(
            "-n", self.router_netns, "link", "add", host.router_iface, "type", "veth",
            "peer", "name", HOST_IFACE, "netns", netns,
        )  # fmt: skip
        _ip("-n", self.router_netns, "addr", "add", f"{SUBNET_BASE}.{octet}.1/24",
            "dev", host.router_iface)  # fmt: skip
        _ip("-n", self.router_netns, "link", "set", host.router_iface, "up")
        _ip("-n", netns, "addr", "add", f"{host.address}/24", "dev", HOST_IFACE)
        _ip("-n", netns, "link", "set", HOST_IFACE, "up")
        _ip("-n", netns, "route", "add", "default", "via", f"{SUBNET_BASE}.{octet}.1")
        return host

    def cap_egress(self, host: Host, rate_kbit: int) -> None:
        """Token-bucket cap on everything `host` sends (netem does not exist on these machines).

        The bucket holds ~20 ms of traffic (at least two full-size packets) and the queue
        ~200 ms, like a busy uplink: excess is queued, then dropped, and TCP backs off."""
        burst_bytes = max(3028, rate_kbit * 1000 // 8 // 50)
        _in_netns(
            host.netns, "tc", "qdisc", "replace", "dev", HOST_IFACE, "root", "tbf",
            "rate", f"{rate_kbit}kbit", "burst", str(burst_bytes), "latency", "200ms",
        )  # fmt: skip

    def link_counters(self) -> dict[int, tuple[int, int]]:
        """Bytes (sent, received) by each host, read from the router's side in one call."""
        out = subprocess.run(
            ["ip", "-n", self.router_netns, "-s", "-j", "link", "show"],
            check=True, capture_output=True, text=True, timeout=10,
        )  # fmt: skip
        by_iface = {h.router_iface: h.index for h in self.hosts}
        counters: dict[int, tuple[int, int]] = {}
        for link in json.loads(out.stdout):
            index = by_iface.get(link.get("ifname", ""))
            stats = link.get("stats64") or link.get("stats") or {}
            if index is not None:
                # The router receives what the host sends and sends what the host receives.
                counters[index] = (int(stats["rx"]["bytes"]), int(stats["tx"]["bytes"]))
        return counters

    def close(self) -> None:
        """Kill whatever still runs inside the lab's namespaces, then delete them."""
        if self.closed:
            return
        self.closed = True
        names = [h.netns for h in self.hosts] + [self.router_netns]
        kill_netns_processes(names)
        for name in names:
            delete_netns(name)


def kill_netns_processes(names: list[str], grace_s: float = 3.0) -> None:
    """SIGTERM then SIGKILL every process inside the given namespaces (all started by the lab)."""
    pids = {pid for name in names for pid in netns_pids(name)}
    if not pids:
        return
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def netns_pids(name: str) -> list[int]:
    """PIDs of the processes living in namespace `name` (empty when it is gone)."""
    out = subprocess.run(
        ["ip", "netns", "pids", name], capture_output=True, text=True, timeout=10, check=False
    )
    return [int(tok) for tok in out.stdout.split() if tok.isdigit()]


def delete_netns(name: str) -> None:
    if not (NETNS_DIR / name).exists():
        return
    result = subprocess.run(
        ["ip", "netns", "del", name], capture_output=True, text=True, timeout=10, check=False
    )
    if result.returncode != 0:
        log.warning("could not delete netns %s: %s", name, result.stderr.strip())


def remove_stale_namespaces() -> list[str]:
    """Delete lab namespaces whose owning process (PID in the name) no longer exists."""
    if not NETNS_DIR.is_dir():
        return []
    stale: list[str] = []
    for entry in sorted(NETNS_DIR.iterdir()):
        owner = _owner_pid(entry.name)
        if owner is not None and not _alive(owner):
            stale.append(entry.name)
    if stale:
        kill_netns_processes(stale)
        for name in stale:
            delete_netns(name)
    return stale


def lab_namespaces(run_tag: str) -> list[str]:
    """Names of the namespaces that currently exist for one run (for tests and checks)."""
    if not NETNS_DIR.is_dir():
        return []
    return sorted(e.name for e in NETNS_DIR.iterdir() if e.name.startswith(f"{run_tag}-"))


def netns_command(netns: str, argv: list[str]) -> list[str]:
    """`argv` run inside `netns` (`ip netns exec` execs in place, so the PID is the command's);
    an empty `netns` runs it where we are (tests of the process plumbing)."""
    return ["ip", "netns", "exec", netns, *argv] if netns else list(argv)


def _owner_pid(name: str) -> int | None:
    if not name.startswith(NAME_PREFIX):
        return None
    digits = name[len(NAME_PREFIX) :].split("x", 1)[0]
    return int(digits) if digits.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _ip(*args: str) -> None:
    _run(["ip", *args])


def _in_netns(netns: str, *argv: str) -> None:
    _run(netns_command(netns, list(argv)))


def _run(argv: list[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {result.stderr.strip()}")
