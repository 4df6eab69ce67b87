"""The `realistic` lab run (issue 12 item 5): the swarm lab's runner (`LabRun`: phases, Chromium
viewers, Python viewers, samples) on the NAT lab's network (`NatTopology`: home routers with
cone or symmetric masquerade, a shared carrier-grade NAT, tbf caps per host) with coturn as STUN
and TURN on the public bridge, which the origin hands out with REST credentials.

Viewer slots map onto the scenario's hosts in order: browser slot k runs on the k-th
browser host, Python slot k on the k-th Python host, in both phases (P2P, then CDN-only), so a
slot keeps its NAT and caps across phases. Python viewers get `--use-signaling-ice`, an upload
budget from their uplink and the rendition their downlink affords (`realistic_scenario`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import secrets
import subprocess
from pathlib import Path
from typing import Any

from swarmcast.e2e.coturn import Coturn, run_coturn
from swarmcast.e2e.lab.config import LabConfig, PhaseSpec
from swarmcast.e2e.lab.nat_topology import ORIGIN_ADDRESS, TURN_ADDRESS, NatTopology, _tbf
from swarmcast.e2e.lab.netns import HOST_IFACE, Host, Topology
from swarmcast.e2e.lab.processes import ViewerRecord
from swarmcast.e2e.lab.realistic_scenario import RealisticScenario
from swarmcast.e2e.lab.runner import LabRun, _jsonable
from swarmcast.e2e.lab.schedule import ViewerEvent


@dataclasses.dataclass
class NatLabTopology(Topology):
    """A `NatTopology` seen through the swarm lab's `Topology` interface: host 0 is the origin,
    host 1 coturn, then one host per scenario host (index 2 + i). Link counters are read for
    the origin and coturn only (what the figures use), from inside their namespaces."""

    nat: NatTopology | None = None

    @classmethod
    def build(cls, scenario: RealisticScenario) -> NatLabTopology:
        nat = NatTopology.create(scenario.hosts)
        topology = cls(run_tag=nat.tag, router_netns=nat.public, nat=nat)
        topology.hosts = [
            Host(0, "origin", nat.origin, ORIGIN_ADDRESS, HOST_IFACE),
            Host(1, "turn", nat.turn, TURN_ADDRESS, HOST_IFACE),
        ]
        for host in scenario.hosts:
            role = "viewer" if scenario.kinds[host.index] == "browser" else "peer"
            address = f"10.77.{200 + host.index}.2"  # nat_topology: LAN .2
            topology.hosts.append(
                Host(2 + host.index, role, nat.host_netns[host.index], address, HOST_IFACE)
            )
        return topology

    def add_host(self, role: str) -> Host:
        raise NotImplementedError("the NAT lab's hosts come from the scenario")

    def cap_egress(self, host: Host, rate_kbit: int) -> None:
        _tbf(host.netns, HOST_IFACE, rate_kbit)

    def link_counters(self) -> dict[int, tuple[int, int]]:
        """Bytes (sent, received) by the origin and by coturn."""
        counters: dict[int, tuple[int, int]] = {}
        for host in self.hosts[:2]:
            out = subprocess.run(
                ["ip", "-n", host.netns, "-s", "-j", "link", "show", HOST_IFACE],
                check=True, capture_output=True, text=True, timeout=10,
            )  # fmt: skip
            stats = json.loads(out.stdout)[0].get("stats64") or {}
            counters[host.index] = (int(stats["tx"]["bytes"]), int(stats["rx"]["bytes"]))
        return counters

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.nat is not None:
            self.nat.close()


class RealisticLabRun(LabRun):
    """`LabRun` on the scenario's NAT topology, with coturn; the raw record gains a
    `realistic` section (hosts, kinds, caps, renditions, slots, TURN log bytes)."""

    def __init__(
        self, scenario: RealisticScenario, config: LabConfig, workdir: Path | None = None
    ) -> None:
        super().__init__(config, workdir)
        self.scenario = scenario
        self.turn_secret = secrets.token_hex(16)
        self.origin_env = {"SWARMCAST_TURN_SECRET": self.turn_secret}
        self._stack = contextlib.ExitStack()
        self.coturn: Coturn | None = None

    async def _create_topology(self) -> Topology:
        topology = await asyncio.to_thread(NatLabTopology.build, self.scenario)
        self.origin_host = topology.hosts[0]
        self.browser_hosts = [h for h in topology.hosts if h.role == "viewer"]
        self.peer_hosts = [h for h in topology.hosts if h.role == "peer"]
        return topology

    async def _start_origin(self) -> None:
        assert self.topology is not None and self.workdir is not None
        turn_netns = self.topology.hosts[1].netns
        self.coturn = await asyncio.to_thread(
            self._stack.enter_context,
            run_coturn(
                self.workdir / "coturn", TURN_ADDRESS, secret=self.turn_secret,
                netns_exec=["ip", "netns", "exec", turn_netns],
            ),
        )  # fmt: skip
        extra = ("--ice-server", self.coturn.stun_url, "--turn-url", self.coturn.turn_url)
        origin_args = (*self.config.origin_args, *extra)
        self.config = dataclasses.replace(self.config, origin_args=origin_args)
        await super()._start_origin()

    async def _run_phase(self, phase: PhaseSpec, index: int = 0) -> dict[str, Any]:
        """The lab's phase, plus the packets each host's access caps dropped during it
        (`access_drops`): where a page's transfers lost packets, by host and direction."""
        nat = self.topology.nat if isinstance(self.topology, NatLabTopology) else None
        before = await asyncio.to_thread(nat.access_drops) if nat else {}
        record = await super()._run_phase(phase, index)
        if nat is not None:
            after = await asyncio.to_thread(nat.access_drops)
            record["access_drops"] = drops_during(before, after)
        return record

    async def _run(self, started: float) -> dict[str, Any]:
        raw = await super()._run(started)
        raw["realistic"] = self.describe()
        return raw

    def describe(self) -> dict[str, Any]:
        """What the figures need beyond the lab's record: each host and its viewer slot."""
        scenario = self.scenario
        slots = {"browser": 0, "python": 0}
        hosts = []
        for host in scenario.hosts:
            kind = scenario.kinds[host.index]
            entry = {
                **dataclasses.asdict(host), "label": host.label, "kind": kind,
                "slot": slots[kind], "address": f"10.77.{200 + host.index}.2",
                "rendition": scenario.python_rendition(host) if kind == "python" else None,
            }  # fmt: skip
            slots[kind] += 1
            hosts.append(entry)
        described: dict[str, Any] = _jsonable(
            {
                "hosts": hosts,
                "ladder": [dataclasses.asdict(r) for r in scenario.ladder],
                "upload_budget_share": scenario.nat.upload_budget_share,
                "turn_log_bytes": self.coturn.relayed_bytes() if self.coturn else None,
            }
        )
        return described

    def _page_query(self, event: ViewerEvent) -> str:
        """The browser's upload cap from its uplink, when the scenario sets one."""
        share = self.scenario.browser_upload_cap_share
        if share is None or event.kind != "browser":
            return ""
        host = self.scenario.hosts_of("browser")[event.slot]
        return f"&upload_cap={round(host.up_kbit * 1000 / 8 * share)}"

    def _peer_args(self, event: ViewerEvent, record: ViewerRecord) -> list[str]:
        host = self.scenario.hosts_of("python")[event.slot]
        budget = host.up_kbit * 1000 / 8 * self.scenario.nat.upload_budget_share
        args = ["--use-signaling-ice", "--upload-rate", str(round(budget))]
        args += ["--rendition", self.scenario.python_rendition(host)]
        if not any(p.p2p for p in self.config.phases if p.name == record.phase):
            args.append("--no-p2p")
        return args

    async def _teardown(self) -> None:
        try:
            await super()._teardown()
        finally:
            await asyncio.to_thread(self._stack.close)


def drops_during(
    before: dict[int, dict[str, int]], after: dict[int, dict[str, int]]
) -> dict[int, dict[str, int]]:
    """Per host, the drops counted between two `NatTopology.access_drops` readings."""
    return {
        index: {way: count - before.get(index, {}).get(way, 0) for way, count in now.items()}
        for index, now in after.items()
    }


async def run_realistic(
    scenario: RealisticScenario, config: LabConfig, workdir: Path | None = None
) -> dict[str, Any]:
    """One realistic run (P2P then CDN-only phase); the raw record (JSON-ready)."""
    return await RealisticLabRun(scenario, config, workdir).run()
