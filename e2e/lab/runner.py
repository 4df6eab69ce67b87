"""Runs one lab scenario end to end and returns its raw record (summaries: `e2e.lab.metrics`).

Order: remove namespaces left by crashed runs; build the topology; start the origin and wait
for its stream; cap its egress if asked; run each phase (joins and leaves on schedule, samples
streaming in); stop everything. The whole run is bounded by `LabConfig.max_run_s`, and the
topology and every process are torn down in `finally`, whatever happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import secrets
import time
from pathlib import Path
from typing import Any

from swarmcast.e2e.lab.config import REPO_ROOT, LabConfig, PhaseSpec
from swarmcast.e2e.lab.monitor import CpuMonitor, LinkMonitor
from swarmcast.e2e.lab.netns import (
    SUBNET_BASE,
    Host,
    Topology,
    netns_command,
    remove_stale_namespaces,
)
from swarmcast.e2e.lab.origin_publish import publish_delays
from swarmcast.e2e.lab.page_edge import PageEdge
from swarmcast.e2e.lab.processes import (
    BrowserViewer,
    LabProcess,
    PythonPeer,
    SharedBrowser,
    SharedViewer,
    ViewerRecord,
    own_autogroup,
    prune_workdirs,
    set_autogroup_nice,
    wall_ms,
)
from swarmcast.e2e.lab.progress import progress_line
from swarmcast.e2e.lab.schedule import plan_phase, slots_needed
from swarmcast.e2e.lab.viewer_launch import ViewerLauncher

log = logging.getLogger(__name__)

WORK_ROOT = REPO_ROOT / "var" / "lab"
KEEP_WORKDIRS = 6  # logs of the last few runs stay in var/lab/ for inspection
# Every lab host's network: its viewers may share one address (docs/security.md §4.4).
LAB_NETWORK = f"{SUBNET_BASE}.0.0/16"
PROGRESS_INTERVAL_S = 10.0  # a progress line this often while a phase runs


class LabError(RuntimeError):
    """The lab could not run (origin never ready, topology failure, ...)."""


class LabRun(ViewerLauncher):
    """State of one run; `run()` is the entry point."""

    def __init__(self, config: LabConfig, workdir: Path | None = None) -> None:
        self.config = config
        self.topology: Topology | None = None
        self.workdir = workdir
        self.origin: LabProcess | None = None
        self.origin_host: Host | None = None
        self.signaling_host: Host | None = None
        self.signaling: LabProcess | None = None
        # Shared by the origin (mints viewer tokens) and a separate signaling server (checks them).
        self.token_secret = secrets.token_urlsafe(32)
        self.browser_hosts: list[Host] = []
        self.peer_hosts: list[Host] = []
        self.browsers: dict[str, BrowserViewer | SharedViewer] = {}
        self.shared: SharedBrowser | None = None  # browser_mode "contexts": the phase's browser
        self.peers: dict[str, PythonPeer] = {}
        self.stream_info: dict[str, Any] = {}
        self.egress_cap_kbit: int | None = None
        self.phase_records: list[dict[str, Any]] = []
        self.origin_env: dict[str, str] = {}  # more environment for the origin (secrets)
        self.edge: PageEdge | None = None  # `LabConfig.page_edge`

    async def run(self) -> dict[str, Any]:
        nice = self.config.python_peers_autogroup_nice
        if nice is not None and not own_autogroup(nice):
            log.warning("no autogroups here: python_peers_autogroup_nice ignored")
        stale = remove_stale_namespaces()
        if stale:
            log.info("removed namespaces of earlier runs: %s", ", ".join(stale))
        started = wall_ms()
        try:
            raw = await asyncio.wait_for(self._run(started), self.config.max_run_s)
        finally:
            await self._teardown()
        if self.workdir is not None:
            # After the origin stopped: its final playlists list the whole run (while live they
            # hold only the last few segments).
            raw["origin_segments"] = publish_delays(self.workdir / "live" / self.config.stream)
        return raw

    async def _run(self, started: float) -> dict[str, Any]:
        config = self.config
        self.topology = topology = await self._create_topology()
        if self.workdir is None:
            prune_workdirs(WORK_ROOT, KEEP_WORKDIRS - 1)
            self.workdir = WORK_ROOT / topology.run_tag
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "logs").mkdir(exist_ok=True)
        await self._start_origin()
        if config.warm_page_cache and self.browser_hosts:
            await self._warm_page_cache()
        if self.egress_cap_kbit:
            assert self.origin_host is not None  # _create_topology added it
            topology.cap_egress(self.origin_host, self.egress_cap_kbit)
            log.info("origin egress capped at %d kbit/s", self.egress_cap_kbit)
        links = LinkMonitor(topology, config.sample_interval_s)
        cpu = CpuMonitor(self._role_pids, config.cpu_interval_s)
        monitors = [asyncio.create_task(links.run()), asyncio.create_task(cpu.run())]
        try:
            for index, phase in enumerate(config.phases):
                if index:
                    await asyncio.sleep(config.phase_gap_s)
                self.phase_records.append(await self._run_phase(phase, index))
        finally:
            for task in monitors:
                task.cancel()
            await asyncio.gather(*monitors, return_exceptions=True)

        return {
            "scenario": config.scenario,
            "config": _jsonable(dataclasses.asdict(config)),
            "run_tag": topology.run_tag,
            "workdir": str(self.workdir),
            "started_wall": started,
            "ended_wall": wall_ms(),
            "stream": self.stream_info,
            "egress_cap_kbit": self.egress_cap_kbit,
            "hosts": {str(h.index): {"role": h.role, "address": h.address} for h in topology.hosts},
            "phases": self.phase_records,
            "links": links.series.samples,
            "cpu": cpu.series.samples,
        }

    async def _create_topology(self) -> Topology:
        """The flat routed topology: the origin, signaling if apart, then one host per viewer
        slot (a subclass may build another one: e2e/lab/realistic_run.py, NATs)."""
        config = self.config
        topology = Topology.create()
        self.origin_host = topology.add_host("origin")
        if config.separate_signaling:
            self.signaling_host = topology.add_host("signaling")
        browser_slots = max(slots_needed(p, "browser") for p in config.phases)
        if config.browser_mode == "contexts":
            browser_slots = min(1, browser_slots)  # one host, one browser, many contexts
        peer_slots = max(slots_needed(p, "python") for p in config.phases)
        self.browser_hosts = [topology.add_host("viewer") for _ in range(browser_slots)]
        self.peer_hosts = [topology.add_host("peer") for _ in range(peer_slots)]
        return topology

    # --- origin ---------------------------------------------------------------------------

    def _base_url(self) -> str:
        """The origin's own listener (Python viewers, the readiness probe)."""
        assert self.origin_host is not None
        return f"http://{self.origin_host.address}:{self.config.origin_port}"

    def _page_base_url(self) -> str:
        """Where browser pages load from: the edge when there is one."""
        return self.edge.url if self.edge is not None else self._base_url()

    def _chromium_args(self) -> list[str]:
        """A viewer worker's arguments for the Chromium flags beyond the lab's own
        (`viewer_worker.chromium_flags`): the edge's name and certificate."""
        flags = self.edge.chromium_args() if self.edge is not None else []
        return [f"--chromium-arg={flag}" for flag in flags]

    async def _start_origin(self) -> None:
        config, host = self.config, self.origin_host
        assert host is not None and self.workdir is not None and self.topology is not None
        fields = {
            "host": host.address,
            "port": str(config.origin_port),
            "stream": config.stream,
            "workdir": str(self.workdir),
        }
        if config.origin_argv is not None:
            argv = [part.format(**fields) for part in config.origin_argv]
        else:
            argv = [
                config.python, "-m", "swarmcast.server.cli", "serve",
                "--host", host.address, "--port", str(config.origin_port),
                "--stream", config.stream, "--dir", str(self.workdir / "live"),
                # Viewers of one lab host share its address (browser mode "contexts").
                "--shared-address-network", LAB_NETWORK,
                # Every segment stays on disk until the run ends, so that the publish delay
                # (origin_publish.py) covers the whole run, not only the last retained minutes.
                "--retain", "0",
                *config.origin_args,
            ]  # fmt: skip
            if self.signaling_host is not None:
                argv += ["--signaling-url", await self._start_signaling()]
            if config.page_edge:
                origin = f"{host.address}:{config.origin_port}"
                self.edge = PageEdge(self.workdir / "edge", host.netns, host.address, origin)
                argv += self.edge.origin_args()
        if config.origin_nice is not None:  # inherited by every thread the origin starts
            argv = ["nice", "-n", str(config.origin_nice), *argv]
        env = {"SWARMCAST_TOKEN_SECRET": self.token_secret, **self.origin_env}
        log_path = self.workdir / "logs" / "origin.log"
        self.origin = LabProcess("origin", host.netns, argv, log_path, env=env)
        await self.origin.start()
        if config.origin_nice is not None and self.origin.pid is not None:
            set_autogroup_nice(self.origin.pid, config.origin_nice)
        self.stream_info = await self._wait_for_stream()
        if self.edge is not None:
            await self.edge.start()
        top = max((r.get("bandwidth") or 0) for r in self.stream_info["renditions"])
        if config.egress_cap_kbit:
            self.egress_cap_kbit = config.egress_cap_kbit
        elif config.egress_cap_x_top and top:
            self.egress_cap_kbit = int(config.egress_cap_x_top * top / 1000)

    async def _start_signaling(self) -> str:
        """`swarmcast signaling` on its own host; returns the URL the origin hands to players."""
        config, host = self.config, self.signaling_host
        assert host is not None and self.workdir is not None
        argv = [
            config.python, "-m", "swarmcast.server.cli", "signaling",
            "--host", host.address, "--port", str(config.signaling_port),
            "--cors-origin", self._base_url(),
            "--shared-address-network", LAB_NETWORK,
        ]  # fmt: skip
        # Signaling apart is a server on a machine of its own too: the origin's priority (inside
        # the origin it had it already). At the lab's own priority, 8 browsers joining at once
        # held each join and SDP/ICE relay for seconds (flash cell "3x all at once": medians of
        # 1.1-2.7 s from a newcomer's first fragment request to its join ack and 0.6-4.6 s more
        # to its first open link; bench/results/flash-crowd/README.md, session 14).
        if config.origin_nice is not None:
            argv = ["nice", "-n", str(config.origin_nice), *argv]
        env = {"SWARMCAST_TOKEN_SECRET": self.token_secret}
        log_path = self.workdir / "logs" / "signaling.log"
        self.signaling = LabProcess("signaling", host.netns, argv, log_path, env=env)
        await self.signaling.start()
        if config.origin_nice is not None and self.signaling.pid is not None:
            set_autogroup_nice(self.signaling.pid, config.origin_nice)
        return f"http://{host.address}:{config.signaling_port}"

    async def _wait_for_stream(self) -> dict[str, Any]:
        config, host = self.config, self.origin_host
        assert host is not None
        argv = [
            config.python, "-m", "swarmcast.e2e.lab.origin_probe", self._base_url(), config.stream,
            "--min-segments", str(config.warmup_segments),
            "--timeout", str(config.origin_ready_timeout_s),
        ]  # fmt: skip
        probe = await asyncio.create_subprocess_exec(
            *netns_command(host.netns, argv), stdout=asyncio.subprocess.PIPE, cwd=REPO_ROOT
        )
        probing = asyncio.create_task(probe.communicate())
        assert self.origin is not None and self.origin.proc is not None
        origin_exit = asyncio.create_task(self.origin.proc.wait())
        await asyncio.wait({probing, origin_exit}, return_when=asyncio.FIRST_COMPLETED)
        if not probing.done():  # the origin died: no point waiting for its stream
            probe.kill()
            await probing
            raise LabError(f"origin exited with {origin_exit.result()}: see {self._origin_log()}")
        origin_exit.cancel()
        out, _ = probing.result()
        try:
            info: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError) as exc:
            raise LabError(f"origin probe printed nothing useful: {out[:300]!r}") from exc
        if probe.returncode != 0 or "error" in info:
            raise LabError(f"origin not ready: {info.get('error')} (see {self._origin_log()})")
        return info

    async def _warm_page_cache(self) -> None:
        """Load the page once (an unknown stream: nothing plays, no swarm is joined) into a
        template profile that every viewer starts from (`viewer_worker --warmup`)."""
        config, host = self.config, self.browser_hosts[0]
        assert self.workdir is not None
        url = f"{self._page_base_url()}{config.page_path}?stream=lab-warmup&p2p=0"
        argv = [
            config.python, "-m", "swarmcast.e2e.lab.viewer_worker", "--url", url, "--warmup",
            "--chromium", config.chromium,
        ]  # fmt: skip
        argv += self._chromium_args()
        if config.browser_mode == "contexts":
            argv += ["--har-out", str(self._har_path())]
        else:
            argv += ["--profile", str(self._template_profile())]
        warm = LabProcess("warmup", host.netns, argv, self.workdir / "logs" / "warmup.log")
        await warm.start()
        assert warm.proc is not None
        try:
            await asyncio.wait_for(warm.proc.wait(), 90)
        except TimeoutError as exc:
            raise LabError("warming the page cache took over 90 s") from exc
        finally:
            await warm.stop(grace_s=2)
        if warm.proc.returncode != 0:
            raise LabError(f"warming the page cache failed: see {warm.log_path}")

    def _origin_log(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "logs" / "origin.log"

    # --- phases ---------------------------------------------------------------------------

    async def _run_phase(self, phase: PhaseSpec, index: int = 0) -> dict[str, Any]:
        events = plan_phase(phase, self.config.seed)
        log.info("phase %s: %d events over %.0f s", phase.name, len(events), phase.duration_s)
        records: list[ViewerRecord] = []
        active_browsers: dict[int, BrowserViewer | SharedViewer] = {}
        active_peers: list[PythonPeer] = []
        leaving: list[asyncio.Task[None]] = []
        prelaunched = await self._prelaunch_browsers(phase, events)
        start_wall, start = wall_ms(), time.monotonic()
        polling = asyncio.create_task(self._poll_peers(active_peers))
        joins = sum(1 for e in events if e.action != "leave")
        progress = asyncio.create_task(self._progress(phase, index, records, joins, start))
        for event in events:
            await _sleep_until(start + event.at_s)
            if event.action == "leave":
                viewer = active_browsers.pop(event.slot)
                leaving.append(viewer.leave(self.config.leave_grace_s))
                continue
            waiting = prelaunched.pop(event.viewer, None)
            if waiting is not None:
                waiting.record.joined_wall = wall_ms()
                records.append(waiting.record)
                try:
                    await waiting.go()
                    active_browsers[event.slot] = waiting
                except (OSError, ConnectionError, RuntimeError) as exc:
                    waiting.record.errors.append(f"could not start: {exc}")
                continue
            record = ViewerRecord(
                viewer=event.viewer, kind=event.kind, phase=phase.name, slot=event.slot,
                address=self._host_for(event).address, joined_wall=wall_ms(),
            )  # fmt: skip
            records.append(record)
            try:
                if event.kind == "browser":
                    active_browsers[event.slot] = await self._start_browser(phase, event, record)
                else:
                    active_peers.append(await self._start_peer(event, record))
            except OSError as exc:
                record.errors.append(f"could not start: {exc}")
        await _sleep_until(start + phase.duration_s)
        end_wall = wall_ms()
        polling.cancel()
        progress.cancel()
        leaving += [v.leave(self.config.leave_grace_s) for v in active_browsers.values()]
        leaving += [v.leave(self.config.leave_grace_s) for v in prelaunched.values()]
        leaving += [p.leave(self.config.leave_grace_s) for p in active_peers]
        await asyncio.gather(*leaving, return_exceptions=True)
        if self.shared is not None:
            await self.shared.stop()
            self.shared = None
        return {
            "spec": dataclasses.asdict(phase),
            "start_wall": start_wall,
            "end_wall": end_wall,
            "events": [dataclasses.asdict(e) for e in events],
            "viewers": [dataclasses.asdict(r) for r in records],
        }

    async def _progress(
        self, phase: PhaseSpec, index: int, records: list[ViewerRecord], joins: int, start: float
    ) -> None:
        """A progress line every PROGRESS_INTERVAL_S (stdout and the log) while the phase runs."""
        while True:
            await asyncio.sleep(PROGRESS_INTERVAL_S)
            line = progress_line(
                phase.name,
                index,
                len(self.config.phases),
                records,
                joins,
                time.monotonic() - start,
                phase.duration_s,
            )
            log.info("%s", line)
            print(f"lab: {line}", flush=True)

    async def _poll_peers(self, peers: list[PythonPeer]) -> None:
        """Python peers print stats on SIGUSR1: ask every couple of seconds for the series."""
        while True:
            await asyncio.sleep(self.config.cpu_interval_s)
            for peer in peers:
                peer.request_stats()

    def _role_pids(self) -> dict[str, list[int]]:
        def alive(procs: list[LabProcess]) -> list[int]:
            return [p.pid for p in procs if p.running and p.pid is not None]

        return {
            "origin": alive([p for p in (self.origin, self.signaling) if p is not None]),
            "browsers": alive([v.process for v in self.browsers.values()]),
            "python_peers": alive([p.process for p in self.peers.values()]),
        }

    # --- teardown -------------------------------------------------------------------------

    async def _teardown(self) -> None:
        """Stop every process we started (by PID), then delete the namespaces."""
        shared = {id(v.process): v.process for v in self.browsers.values() if v.process.running}
        stops = [process.stop(grace_s=3.0) for process in shared.values()]
        stops += [p.process.stop(grace_s=3.0) for p in self.peers.values() if p.process.running]
        with contextlib.suppress(Exception):
            await asyncio.gather(*stops, return_exceptions=True)
        if self.edge is not None:
            with contextlib.suppress(Exception):
                await self.edge.stop()
        for server in (self.origin, self.signaling):
            if server is not None:
                with contextlib.suppress(Exception):
                    await server.stop(grace_s=5.0)
        if self.topology is not None:
            await asyncio.to_thread(self.topology.close)


async def run_lab(config: LabConfig, workdir: Path | None = None) -> dict[str, Any]:
    """Run `config` and return the raw record (JSON-ready)."""
    return await LabRun(config, workdir).run()


async def _sleep_until(deadline: float) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value
