"""Machine-side measurements during a lab run: link byte counters and CPU.

Link counters come from the router's side of every host's veth, so the origin's real egress
(everything it sent: segments, playlists, integrity records, signaling) is measured without
trusting any player's own accounting. CPU is sampled with psutil for the machine and for each
role's process trees (origin, browsers, Python peers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psutil

from swarmcast.e2e.lab.netns import Topology
from swarmcast.e2e.lab.processes import wall_ms

log = logging.getLogger(__name__)


@dataclass
class Series:
    """Timestamped samples (wall ms) appended by a monitor."""

    samples: list[dict[str, Any]] = field(default_factory=list)


class LinkMonitor:
    """Every `interval_s`: bytes sent and received by each host (router-side counters)."""

    def __init__(self, topology: Topology, interval_s: float) -> None:
        self.topology = topology
        self.interval_s = interval_s
        self.series = Series()

    async def run(self) -> None:
        while True:
            try:
                counters = await asyncio.to_thread(self.topology.link_counters)
            except Exception as exc:  # a busy machine can time `ip` out: skip one sample
                log.warning("link counters unavailable: %s", exc)
            else:
                self.series.samples.append(
                    {"wall": wall_ms(), "hosts": {str(k): list(v) for k, v in counters.items()}}
                )
            await asyncio.sleep(self.interval_s)


class CpuMonitor:
    """Machine CPU % and the CPU % of each role's process trees."""

    def __init__(self, roles: Callable[[], dict[str, list[int]]], interval_s: float) -> None:
        self.roles = roles  # role -> root PIDs, asked anew each tick (viewers come and go)
        self.interval_s = interval_s
        self.series = Series()
        self._procs: dict[int, psutil.Process] = {}

    async def run(self) -> None:
        psutil.cpu_percent(None)  # primes the machine-wide counter
        while True:
            await asyncio.sleep(self.interval_s)
            self.series.samples.append(await asyncio.to_thread(self._sample))

    def _sample(self) -> dict[str, Any]:
        by_role: dict[str, float] = {}
        seen: set[int] = set()
        for role, pids in self.roles().items():
            total = 0.0
            for proc in self._trees(pids):
                if proc.pid in seen:
                    continue
                seen.add(proc.pid)
                with contextlib.suppress(psutil.Error):
                    total += proc.cpu_percent(None)  # 0.0 on the first call for a process
            by_role[role] = round(total, 1)
        self._procs = {pid: p for pid, p in self._procs.items() if pid in seen}
        return {
            "wall": wall_ms(),
            "machine": psutil.cpu_percent(None),  # % of all cores (100 = every core busy)
            "load1": psutil.getloadavg()[0],
            "roles": by_role,  # % of one core, as `top` shows it
        }

    def _trees(self, pids: list[int]) -> list[psutil.Process]:
        found: list[psutil.Process] = []
        for pid in pids:
            try:
                root = self._procs.get(pid) or psutil.Process(pid)
                members = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            for member in members:
                # Keep one Process object per PID: cpu_percent() measures since the last call.
                found.append(self._procs.setdefault(member.pid, member))
        return found
