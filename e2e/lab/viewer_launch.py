"""How the lab starts its viewers: Chromium viewers (a browser per viewer, launched at the join
or ahead of it, or contexts of one browser) and headless Python viewers, each on its host.

A mixin of `runner.LabRun` (which owns the state named below), kept apart so the run's order of
events (runner.py) reads on its own.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from swarmcast.e2e.lab.config import LabConfig, PhaseSpec
from swarmcast.e2e.lab.netns import Host
from swarmcast.e2e.lab.processes import (
    BrowserViewer,
    LabProcess,
    PythonPeer,
    SharedBrowser,
    SharedViewer,
    ViewerRecord,
    copy_profile,
)
from swarmcast.e2e.lab.schedule import ViewerEvent

log = logging.getLogger("swarmcast.e2e.lab.runner")

PRELAUNCH_TIMEOUT_S = 60.0  # a prelaunched browser not up by then joins when it is


class ViewerLauncher:
    """Starting viewers; the state is `LabRun`'s."""

    config: LabConfig
    workdir: Path | None
    browser_hosts: list[Host]
    peer_hosts: list[Host]
    browsers: dict[str, BrowserViewer | SharedViewer]
    shared: SharedBrowser | None
    peers: dict[str, PythonPeer]

    def _base_url(self) -> str:
        raise NotImplementedError  # LabRun: the origin's URL

    def _page_base_url(self) -> str:
        raise NotImplementedError  # LabRun: where pages load from

    def _chromium_args(self) -> list[str]:
        raise NotImplementedError  # LabRun: worker arguments for Chromium flags beyond the lab's

    def _template_profile(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "profiles" / "template"

    def _har_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "profiles" / "static.har"

    def _host_for(self, event: ViewerEvent) -> Host:
        if event.kind == "browser" and self.config.browser_mode == "contexts":
            return self.browser_hosts[0]
        hosts = self.browser_hosts if event.kind == "browser" else self.peer_hosts
        return hosts[event.slot]

    async def _prelaunch_browsers(
        self, phase: PhaseSpec, events: list[ViewerEvent]
    ) -> dict[str, BrowserViewer]:
        """Browsers of the phase launched before its clock starts (LabConfig.prelaunch_browsers),
        each waiting on a blank page for its join: a viewer arrives by opening the page in a
        running browser, and eight Chromium launches on two cores no longer share the CPU with
        the first viewers' page loads (the "3x all at once" cell: pages took 6-22 s to start)."""
        if not self.config.prelaunch_browsers or self.config.browser_mode != "processes":
            return {}
        waiting: dict[str, BrowserViewer] = {}
        for event in events:
            if event.kind != "browser" or event.action == "leave":
                continue
            record = ViewerRecord(
                viewer=event.viewer, kind=event.kind, phase=phase.name, slot=event.slot,
                address=self._host_for(event).address, joined_wall=0.0,
            )  # fmt: skip
            try:
                viewer = await self._start_browser(phase, event, record, wait_go=True)
            except OSError as exc:
                log.warning("prelaunch of %s failed: %s", event.viewer, exc)
                continue
            assert isinstance(viewer, BrowserViewer)
            waiting[event.viewer] = viewer
        ready = [asyncio.create_task(v.ready.wait()) for v in waiting.values()]
        if ready:
            _, late = await asyncio.wait(ready, timeout=PRELAUNCH_TIMEOUT_S)
            for task in late:
                task.cancel()
            log.info("phase %s: %d browsers launched, %d not ready", phase.name, len(waiting),
                     len(late))  # fmt: skip
        return waiting

    def _page_query(self, event: ViewerEvent) -> str:
        """More of the viewer page's query for this viewer (`&key=value...`); none here."""
        return ""

    async def _start_browser(
        self, phase: PhaseSpec, event: ViewerEvent, record: ViewerRecord, wait_go: bool = False
    ) -> BrowserViewer | SharedViewer:
        config = self.config
        assert self.workdir is not None
        url = (
            f"{self._page_base_url()}{config.page_path}?stream={config.stream}"
            f"&p2p={1 if phase.p2p else 0}"
            + ("&timeline=1" if config.timeline else "")
            + self._page_query(event)
        )
        if config.timeline:
            record.timeline_path = str(self.workdir / "timelines" / f"{event.viewer}.json")
        if config.browser_mode == "contexts":
            shared = await self._shared_browser(phase, event)
            viewer: BrowserViewer | SharedViewer = await shared.join(
                record, url, record.timeline_path
            )
            self.browsers[event.viewer] = viewer
            return viewer
        argv = [
            config.python, "-m", "swarmcast.e2e.lab.viewer_worker", "--url", url,
            "--chromium", config.chromium, "--interval", str(config.sample_interval_s),
            "--max-seconds", str(phase.duration_s + 60 + (PRELAUNCH_TIMEOUT_S if wait_go else 0)),
        ]  # fmt: skip
        argv += ["--name", event.viewer]
        argv += self._chromium_args()
        if record.timeline_path:
            argv += ["--timeline-out", record.timeline_path]
        if wait_go:
            argv += ["--wait-go"]
        if config.warm_page_cache:
            profile = self.workdir / "profiles" / event.viewer
            await asyncio.to_thread(copy_profile, self._template_profile(), profile)
            argv += ["--profile", str(profile)]
        host = self._host_for(event)
        log_path = self.workdir / "logs" / f"{event.viewer}.log"
        viewer = BrowserViewer(LabProcess(event.viewer, host.netns, argv, log_path), record)
        await viewer.start()
        self.browsers[event.viewer] = viewer
        return viewer

    async def _shared_browser(self, phase: PhaseSpec, event: ViewerEvent) -> SharedBrowser:
        """The phase's one Chromium (browser_mode "contexts"), started at its first join."""
        if self.shared is not None:
            return self.shared
        config = self.config
        assert self.workdir is not None
        argv = [
            config.python, "-m", "swarmcast.e2e.lab.context_worker",
            "--origin", self._page_base_url(),
            "--chromium", config.chromium, "--interval", str(config.sample_interval_s),
            "--max-seconds", str(phase.duration_s + 60),
        ]  # fmt: skip
        argv += self._chromium_args()
        if config.warm_page_cache and self._har_path().is_file():
            argv += ["--har", str(self._har_path())]
        host = self._host_for(event)
        log_path = self.workdir / "logs" / f"{phase.name}-browser.log"
        self.shared = SharedBrowser(LabProcess(f"{phase.name}-browser", host.netns, argv, log_path))
        await self.shared.start()
        return self.shared

    async def _start_peer(self, event: ViewerEvent, record: ViewerRecord) -> PythonPeer:
        config = self.config
        assert self.workdir is not None
        argv = [
            config.python, "-m", "swarmcast.server.cli", "peer", "--url", self._base_url(),
            "--stream", config.stream, *config.peer_args, *self._peer_args(event, record),
        ]  # fmt: skip
        if config.timeline:
            record.timeline_path = str(self.workdir / "timelines" / f"{event.viewer}.json")
            (self.workdir / "timelines").mkdir(exist_ok=True)
            argv += ["--timeline", record.timeline_path]
        host = self._host_for(event)
        log_path = self.workdir / "logs" / f"{event.viewer}.log"
        own_session = config.python_peers_autogroup_nice is None
        process = LabProcess(event.viewer, host.netns, argv, log_path, own_session=own_session)
        peer = PythonPeer(process, record)
        await peer.start()
        self.peers[event.viewer] = peer
        return peer

    def _peer_args(self, event: ViewerEvent, record: ViewerRecord) -> list[str]:
        """Arguments of one Python viewer beyond `LabConfig.peer_args` (none here)."""
        return []
