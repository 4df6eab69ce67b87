"""The NAT lab's namespaces (issue 12): a "public" network (a bridge in namespace `-i`) with the
origin (10.77.240.10) and coturn (10.77.240.3); per viewer host a home-router namespace doing
NAT (nftables MASQUERADE: port-preserving "cone", or `fully-random` "symmetric") between its
LAN 10.77.(200+i).0/24 (host .2) and its WAN, which is on the public network (10.77.240.(100+i))
or inside a carrier-grade NAT (a namespace with its own bridge 10.77.(232+k).0/24 and a
port-preserving MASQUERADE to 10.77.240.(20+k)). Uplink caps: tbf on the host's interface;
downlink caps: tbf on the router's LAN interface (what the host receives leaves there).
Names carry the owner's PID like the swarm lab's (e2e/lab/netns.py), and use its clean-up.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from dataclasses import dataclass, field

from swarmcast.e2e.lab.nat_scenario import NatHost
from swarmcast.e2e.lab.netns import (
    NAME_PREFIX,
    _in_netns,
    _ip,
    _run,
    delete_netns,
    kill_netns_processes,
)

PUBLIC = "10.77.240"
ORIGIN_ADDRESS = f"{PUBLIC}.10"
TURN_ADDRESS = f"{PUBLIC}.3"
RELAY_PORTS = (49152, 49999)  # coturn's relay range (e2e/coturn.py's default; counted here)


def _nat_rules(wan: str, symmetric: bool) -> str:
    """MASQUERADE on the WAN side, and no unsolicited inbound: a packet that arrives on the WAN
    before the inside host sent anything to its source is dropped in `input` (so its conntrack
    entry is never confirmed). Without that drop, a peer's early connectivity check creates an
    inbound entry that takes the port the inside host's mapping needs, Linux picks another
    port, and two cone NATs never meet (endpoint-independent mapping, RFC 4787, is lost)."""
    mode = " fully-random" if symmetric else ""
    return (
        "table ip nat {\n chain post {\n  type nat hook postrouting priority srcnat;"
        f' policy accept;\n  oifname "{wan}" masquerade{mode}\n }}\n'
        " chain in {\n  type filter hook input priority filter; policy accept;\n"
        f'  iifname "{wan}" ct state new drop\n }}\n}}\n'
    )


def _tbf(netns: str, dev: str, kbit: int) -> None:
    burst = max(3028, kbit * 1000 // 8 // 50)  # ~20 ms, as the swarm lab's caps
    _in_netns(
        netns, "tc", "qdisc", "replace", "dev", dev, "root", "tbf",
        "rate", f"{kbit}kbit", "burst", str(burst), "latency", "200ms",
    )  # fmt: skip


def _tbf_drops(netns: str, dev: str) -> int:
    out = subprocess.run(
        ["ip", "netns", "exec", netns, "tc", "-j", "-s", "qdisc", "show", "dev", dev],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return sum(int(q.get("drops", 0)) for q in json.loads(out) if q.get("kind") == "tbf")


UDP_ERRORS = ("InErrors", "RcvbufErrors", "SndbufErrors")


def _udp_errors(netns: str) -> dict[str, int]:
    """The namespace's UDP error counters (/proc/net/snmp): datagrams its sockets dropped."""
    out = subprocess.run(
        ["ip", "netns", "exec", netns, "cat", "/proc/net/snmp"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rows = [line.split()[1:] for line in out.splitlines() if line.startswith("Udp:")]
    if len(rows) < 2:
        return {}
    values = dict(zip(rows[0], rows[1], strict=False))
    return {name: int(values.get(name, 0)) for name in UDP_ERRORS}


@dataclass
class NatTopology:
    tag: str
    namespaces: list[str] = field(default_factory=list)
    host_netns: dict[int, str] = field(default_factory=dict)
    closed: bool = False

    @property
    def public(self) -> str:
        return f"{self.tag}-i"

    @property
    def origin(self) -> str:
        return f"{self.tag}-o"

    @property
    def turn(self) -> str:
        return f"{self.tag}-t"

    @classmethod
    def create(cls, hosts: tuple[NatHost, ...]) -> NatTopology:
        topology = cls(tag=f"{NAME_PREFIX}{os.getpid()}x{secrets.token_hex(2)}")
        try:
            topology._build(hosts)
        except BaseException:
            topology.close()
            raise
        return topology

    def _netns(self, name: str) -> str:
        self.namespaces.append(name)
        _ip("netns", "add", name)
        _ip("-n", name, "link", "set", "lo", "up")
        return name

    def _attach(self, netns: str, bridge_ns: str, bridge: str, iface: str, cidr: str) -> None:
        """A veth from `netns` (named `iface`) into `bridge` of `bridge_ns`, address `cidr`."""
        port = f"p{len(self.namespaces)}x{secrets.token_hex(2)}"
        _ip("-n", bridge_ns, "link", "add", port, "type", "veth", "peer", "name", iface,
            "netns", netns)  # fmt: skip
        _ip("-n", bridge_ns, "link", "set", port, "master", bridge)
        _ip("-n", bridge_ns, "link", "set", port, "up")
        _ip("-n", netns, "addr", "add", cidr, "dev", iface)
        _ip("-n", netns, "link", "set", iface, "up")

    def _bridge(self, netns: str, cidr: str) -> None:
        _ip("-n", netns, "link", "add", "br0", "type", "bridge")
        _ip("-n", netns, "addr", "add", cidr, "dev", "br0")
        _ip("-n", netns, "link", "set", "br0", "up")

    def _build(self, hosts: tuple[NatHost, ...]) -> None:
        public = self._netns(self.public)
        self._bridge(public, f"{PUBLIC}.1/24")
        for name, address in ((self.origin, ORIGIN_ADDRESS), (self.turn, TURN_ADDRESS)):
            self._attach(self._netns(name), public, "br0", "eth0", f"{address}/24")
            self._default_route(name, "eth0")
        self._count_relayed(self.turn)
        carriers: dict[str, str] = {}
        for k, carrier in enumerate(sorted({h.cgnat for h in hosts if h.cgnat})):
            netns = self._netns(f"{self.tag}-c{k}")
            self._attach(netns, public, "br0", "wan", f"{PUBLIC}.{20 + k}/24")
            self._default_route(netns, "wan")
            self._bridge(netns, f"10.77.{232 + k}.1/24")
            self._forward_and_nat(netns, symmetric=False)
            carriers[carrier] = f"10.77.{232 + k}"
        for host in hosts:
            router = self._netns(f"{self.tag}-r{host.index}")
            if host.cgnat:
                inside = carriers[host.cgnat]
                self._attach(router, f"{self.tag}-c{sorted(carriers).index(host.cgnat)}", "br0",
                             "wan", f"{inside}.{10 + host.index}/24")  # fmt: skip
                _ip("-n", router, "route", "add", "default", "via", f"{inside}.1")
            else:
                self._attach(router, public, "br0", "wan", f"{PUBLIC}.{100 + host.index}/24")
                self._default_route(router, "wan")
            self._forward_and_nat(router, symmetric=host.nat == "symmetric")
            lan = f"10.77.{200 + host.index}"
            netns = self._netns(f"{self.tag}-h{host.index}")
            _ip("-n", router, "link", "add", "lan", "type", "veth", "peer", "name", "eth0",
                "netns", netns)  # fmt: skip
            _ip("-n", router, "addr", "add", f"{lan}.1/24", "dev", "lan")
            _ip("-n", router, "link", "set", "lan", "up")
            _ip("-n", netns, "addr", "add", f"{lan}.2/24", "dev", "eth0")
            _ip("-n", netns, "link", "set", "eth0", "up")
            _ip("-n", netns, "route", "add", "default", "via", f"{lan}.1")
            _tbf(netns, "eth0", host.up_kbit)
            _tbf(router, "lan", host.down_kbit)
            self.host_netns[host.index] = netns

    def _count_relayed(self, netns: str) -> None:
        """nftables counters on coturn's relay ports (both directions): the TURN bytes of a run,
        read whenever wanted (coturn's own per-session log lines appear only once a session
        ends, and not at all when it is stopped)."""
        low, high = RELAY_PORTS
        rules = (
            "table ip relayacct {\n"
            f" counter relayed_in {{}}\n counter relayed_out {{}}\n"
            " chain in {\n  type filter hook input priority filter; policy accept;\n"
            f'  udp dport {low}-{high} counter name "relayed_in"\n }}\n'
            " chain out {\n  type filter hook output priority filter; policy accept;\n"
            f'  udp sport {low}-{high} counter name "relayed_out"\n }}\n}}\n'
        )
        _run(["ip", "netns", "exec", netns, "sh", "-c", f"printf '%s' '{rules}' | nft -f -"])

    def relayed_bytes(self) -> int:
        """Bytes through coturn's relay ports so far (peer side, both directions)."""
        out = subprocess.run(
            ["ip", "netns", "exec", self.turn, "nft", "-j", "list", "counters", "table", "ip",
             "relayacct"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        return sum(
            item["counter"]["bytes"] for item in json.loads(out)["nftables"] if "counter" in item
        )

    def access_drops(self) -> dict[int, dict[str, int]]:
        """Packets each host's access-link caps dropped so far (tbf: uplink on the host's eth0,
        downlink on its router's LAN side): a full router buffer, which SCTP answers with a
        retransmission timeout (>= 1 s in aiortc) during which the link delivers nothing."""
        return {
            index: {
                "up": _tbf_drops(netns, "eth0"),
                "down": _tbf_drops(f"{self.tag}-r{index}", "lan"),
            }
            for index, netns in self.host_netns.items()
        }

    def udp_errors(self) -> dict[str, dict[str, int]]:
        """UDP datagrams dropped by the sockets of each host (by index) and of coturn ("turn"):
        a receive buffer that overflowed while its process waited for the CPU is a loss SCTP
        recovers only by its retransmission timeout, like a full router buffer."""
        errors = {str(index): _udp_errors(netns) for index, netns in self.host_netns.items()}
        errors["turn"] = _udp_errors(self.turn)
        return errors

    def _default_route(self, netns: str, dev: str) -> None:
        """A default route into the public bridge, which does not forward: a packet to a private
        address of another LAN vanishes silently, as on the internet. Without it, coturn relaying
        to a peer's host candidate gets ENETUNREACH and drops the allocation (438, then 400 on
        every later CHANNEL-BIND: no relayed pair ever forms)."""
        _ip("-n", netns, "route", "add", "default", "via", f"{PUBLIC}.1", "dev", dev)

    def _forward_and_nat(self, netns: str, symmetric: bool) -> None:
        _in_netns(netns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
        _run(["ip", "netns", "exec", netns, "sh", "-c",
              f"printf '%s' '{_nat_rules('wan', symmetric)}' | nft -f -"])  # fmt: skip

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        kill_netns_processes(self.namespaces)
        for name in reversed(self.namespaces):
            delete_netns(name)
