"""Processes the lab starts inside its namespaces: the origin, Chromium viewers, Python peers.

Each runs in its own session (process group) so that stopping it also stops its children
(Chromium's helpers, Playwright's driver) — and only them. Topology.close() afterwards kills
anything still alive inside the lab's namespaces as a last resort.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import json
import logging
import os
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from swarmcast.e2e.lab.config import REPO_ROOT
from swarmcast.e2e.lab.netns import netns_command

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_LINE_LIMIT = 8 * 1024 * 1024  # a viewer sample line is a few kB; the final one can be larger


def wall_ms() -> float:
    return time.time() * 1000.0


def _die_with_lab() -> None:
    """In the child before exec: SIGKILL it if the lab process dies (even by SIGKILL), so a
    killed lab leaves no origin running. `ip netns exec` execs in place and keeps it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class LabProcess:
    """A command run inside a namespace, in its own process group (and session, unless told to
    stay in the lab's)."""

    def __init__(
        self,
        name: str,
        netns: str,
        argv: list[str],
        log_path: Path,
        env: dict[str, str] | None = None,
        own_session: bool = True,
    ) -> None:
        self.name = name
        self.netns = netns
        self.argv = argv
        self.log_path = log_path
        self.env = env  # added to the lab's environment (secrets stay out of `ps`)
        # False: a process group of its own inside the lab's session, so that it shares the
        # lab's autogroup (CPU share) instead of claiming one of its own (`own_autogroup`).
        self.own_session = own_session
        self.proc: asyncio.subprocess.Process | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def start(self, *, stdin: bool = False, stdout: bool = False) -> None:
        self._log_file = self.log_path.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            *netns_command(self.netns, self.argv),
            stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE if stdout else self._log_file,
            stderr=self._log_file,
            start_new_session=self.own_session,
            process_group=None if self.own_session else 0,
            preexec_fn=_die_with_lab,
            env={**os.environ, **self.env} if self.env else None,
            # `python -m swarmcast.e2e.lab...` and `-m swarmcast.server.cli` import from the
            # checkout
            cwd=REPO_ROOT,
            limit=_LINE_LIMIT,
        )

    async def stop(self, grace_s: float = 5.0, sig: int = signal.SIGTERM) -> int | None:
        """Signal the whole group, wait up to `grace_s`, then SIGKILL it."""
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            self._signal_group(sig)
            try:
                await asyncio.wait_for(self.proc.wait(), grace_s)
            except TimeoutError:
                log.warning("%s did not stop in %.0f s: killing it", self.name, grace_s)
        # Children (Chromium helpers) may outlive the leader: sweep the group in any case.
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.proc.wait(), 5)
        self._close_log()
        return self.proc.returncode

    def _signal_group(self, sig: int) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)  # a group of its own either way: its id is our PID

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


@dataclass
class ViewerRecord:
    """Everything the lab learned about one viewer (browser or Python peer)."""

    viewer: str
    kind: str
    phase: str
    slot: int
    address: str
    joined_wall: float
    left_wall: float | None = None
    exit_code: int | None = None
    samples: list[dict[str, Any]] = field(default_factory=list)
    final: dict[str, Any] | None = None
    console_errors: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Where the viewer's timeline is written when the run records timelines (lab --timeline).
    timeline_path: str | None = None


class BrowserViewer:
    """A `viewer_worker` (Playwright + Chromium) in a viewer host, streaming samples to us."""

    def __init__(self, process: LabProcess, record: ViewerRecord) -> None:
        self.process = process
        self.record = record
        # Set when a `--wait-go` worker has its browser up (or has exited).
        self.ready = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._leaving: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.process.start(stdin=True, stdout=True)
        self._reader = asyncio.create_task(self._read(), name=f"read {self.record.viewer}")

    async def _read(self) -> None:
        try:
            async for message in worker_messages(self.process, self.record.errors):
                if handle_viewer_message(self.record, message) == "ready":
                    self.ready.set()
        finally:
            self.ready.set()  # gone: nobody waits for it

    async def go(self) -> None:
        """A `--wait-go` worker's join: it opens the page now."""
        proc = self.process.proc
        if proc is None or proc.stdin is None or proc.returncode is not None:
            raise OSError(f"{self.process.name} exited before its join")
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()

    def leave(self, grace_s: float) -> asyncio.Task[None]:
        """Ask the viewer to leave (final sample, browser closed); kill it after `grace_s`."""
        if self._leaving is None:
            self._leaving = asyncio.create_task(self._leave(grace_s))
        return self._leaving

    async def _leave(self, grace_s: float) -> None:
        self.record.left_wall = wall_ms()
        proc = self.process.proc
        if proc is not None and proc.stdin is not None and proc.returncode is None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                proc.stdin.write(b"leave\n")
                await proc.stdin.drain()
        if proc is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), grace_s)
        self.record.exit_code = await self.process.stop(grace_s=3.0)
        if self._reader is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._reader, 5)


async def worker_messages(process: LabProcess, errors: list[str]) -> AsyncIterator[dict[str, Any]]:
    """The JSON objects a viewer worker writes to stdout, one per line, until it exits; lines
    that are not JSON objects are noted in `errors`."""
    assert process.proc is not None and process.proc.stdout is not None
    stream = process.proc.stdout
    while True:
        try:
            line = await stream.readline()
        except (ValueError, asyncio.LimitOverrunError) as exc:
            errors.append(f"unreadable worker output: {exc}")
            continue
        if not line:
            return
        message = _json_object(line.decode(errors="replace").strip())
        if message is None:
            errors.append(f"not JSON: {line[:200]!r}")
            continue
        yield message


def handle_viewer_message(record: ViewerRecord, message: dict[str, Any]) -> str | None:
    """One line of a viewer worker's output into its record; returns the message type."""
    kind = message.get("type")
    if kind == "sample" and message.get("sample"):
        record.samples.append(message["sample"])
    elif kind == "final":
        record.final = message.get("sample")
        record.console_errors = list(message.get("consoleErrors") or [])
    elif kind == "error":
        record.errors.append(str(message.get("error")))
    return kind if isinstance(kind, str) else None


class SharedBrowser:
    """A `context_worker`: every viewer of a phase as a context of one Chromium process."""

    def __init__(self, process: LabProcess) -> None:
        self.process = process
        self.records: dict[str, ViewerRecord] = {}
        self._finals: dict[str, asyncio.Event] = {}
        self._reader: asyncio.Task[None] | None = None
        self.errors: list[str] = []  # worker output that belongs to no viewer

    async def start(self) -> None:
        await self.process.start(stdin=True, stdout=True)
        self._reader = asyncio.create_task(self._read(), name=f"read {self.process.name}")

    async def _read(self) -> None:
        async for message in worker_messages(self.process, self.errors):
            record = self.records.get(str(message.get("viewer")))
            if record is not None and handle_viewer_message(record, message) == "final":
                self._finals[record.viewer].set()
        for event in self._finals.values():
            event.set()  # the worker is gone: nobody waits for a final sample

    async def _send(self, command: dict[str, Any]) -> None:
        proc = self.process.proc
        if proc is None or proc.stdin is None or proc.returncode is not None:
            raise OSError(f"{self.process.name} is not running")
        proc.stdin.write(json.dumps(command).encode() + b"\n")
        await proc.stdin.drain()

    async def join(self, record: ViewerRecord, url: str, timeline_out: str | None) -> SharedViewer:
        self.records[record.viewer] = record
        self._finals[record.viewer] = asyncio.Event()
        command = {"cmd": "join", "viewer": record.viewer, "url": url}
        await self._send({**command, "timeline_out": timeline_out})
        return SharedViewer(self, record)

    async def leave(self, viewer: str, grace_s: float) -> None:
        record = self.records[viewer]
        record.left_wall = wall_ms()
        with contextlib.suppress(OSError, ConnectionError, RuntimeError):
            await self._send({"cmd": "leave", "viewer": viewer})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._finals[viewer].wait(), grace_s)
        if record.final is None:
            record.errors.append(f"no final sample within {grace_s:g} s of leaving")

    async def stop(self, grace_s: float = 10.0) -> None:
        """Close stdin (every remaining viewer leaves), wait, then stop the process group."""
        proc = self.process.proc
        if proc is not None and proc.stdin is not None:
            with contextlib.suppress(Exception):
                proc.stdin.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), grace_s)
        code = await self.process.stop(grace_s=3.0)
        for record in self.records.values():
            record.exit_code = code
        if self._reader is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._reader, 5)


class SharedViewer:
    """One viewer of a `SharedBrowser`: the same interface as `BrowserViewer` for the runner."""

    def __init__(self, browser: SharedBrowser, record: ViewerRecord) -> None:
        self.browser = browser
        self.record = record
        self.process = browser.process
        self._leaving: asyncio.Task[None] | None = None

    def leave(self, grace_s: float) -> asyncio.Task[None]:
        if self._leaving is None:
            self._leaving = asyncio.create_task(self.browser.leave(self.record.viewer, grace_s))
        return self._leaving


class PythonPeer:
    """`swarmcast peer` as a headless viewer; its JSON stats line arrives when it stops."""

    def __init__(self, process: LabProcess, record: ViewerRecord) -> None:
        self.process = process
        self.record = record
        self._lines: list[str] = []
        self._reader: asyncio.Task[None] | None = None
        self._leaving: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.process.start(stdout=True)
        self._reader = asyncio.create_task(self._read(), name=f"read {self.record.viewer}")

    async def _read(self) -> None:
        assert self.process.proc is not None and self.process.proc.stdout is not None
        async for raw in self.process.proc.stdout:
            line = raw.decode(errors="replace").strip()
            self._lines.append(line)
            stats = _json_object(line)
            if stats is not None:
                stats.setdefault("wall", wall_ms())
                self.record.samples.append(stats)

    def request_stats(self) -> None:
        """SIGUSR1: the peer prints its current stats (a sample for the time series)."""
        pid = self.process.pid
        # Until the peer installs its handler, SIGUSR1 would kill it: check it catches it.
        if self.process.running and self._leaving is None and pid and catches(pid, "SIGUSR1"):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGUSR1)

    def leave(self, grace_s: float) -> asyncio.Task[None]:
        if self._leaving is None:
            self._leaving = asyncio.create_task(self._leave(grace_s))
        return self._leaving

    async def _leave(self, grace_s: float) -> None:
        self.record.left_wall = wall_ms()
        # SIGINT: the peer prints its final stats as JSON and exits.
        self.record.exit_code = await self.process.stop(grace_s=grace_s, sig=signal.SIGINT)
        if self._reader is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._reader, 5)
        if self.record.samples:
            self.record.final = self.record.samples[-1]
        else:
            self.record.errors.append("no JSON stats: " + " | ".join(self._lines[-5:])[:500])


def catches(pid: int, name: str) -> bool:
    """True if process `pid` has a handler for signal `name` (SigCgt in /proc/PID/status)."""
    number = int(signal.Signals[name])
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) >> (number - 1) & 1)
    except OSError:
        pass
    return False


def _json_object(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def set_autogroup_nice(pid: int, nice: int) -> bool:
    """Give `pid`'s session its CPU priority. Every lab process runs in a session of its own,
    and with the kernel's autogroup scheduling (`kernel.sched_autogroup_enabled`) sessions
    share the CPU as equals whatever their processes' nice values: at nice -10 the origin still
    got 10-14 % of a core beside 28 viewers (realistic-20261201-044015). False where the kernel
    has no autogroups."""
    try:
        Path(f"/proc/{pid}/autogroup").write_text(f"{nice}\n")
    except OSError:
        return False
    return True


def own_autogroup(nice: int) -> bool:
    """Move this process (the lab) into a session of its own and give that session's autogroup
    `nice`: every process it starts without a session of its own (`LabProcess(own_session=
    False)`, or plain subprocesses) then counts as ONE claimant of the CPU beside each other
    session, whatever their number (kernel.sched_autogroup_enabled). Run from a terminal it
    keeps the terminal's session (a new one would no longer get the terminal's Ctrl-C) and
    gives that session `nice` until this process exits. False where the kernel has no
    autogroups."""
    if sys.stdin is not None and sys.stdin.isatty():
        before = _autogroup_nice()
        if before is not None and before != nice:
            atexit.register(set_autogroup_nice, os.getpid(), before)
    else:
        with contextlib.suppress(PermissionError):  # a group leader keeps the session it has
            os.setsid()
    return set_autogroup_nice(os.getpid(), nice)


def _autogroup_nice() -> int | None:
    """This session's autogroup nice (`/autogroup-N nice X`), None without autogroups."""
    try:
        return int(Path("/proc/self/autogroup").read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def prune_workdirs(root: Path, keep: int) -> None:
    """Remove all but the `keep` most recent run directories under `root`."""
    if not root.is_dir():
        return
    runs = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in runs[: max(0, len(runs) - keep)]:
        shutil.rmtree(old, ignore_errors=True)


def copy_profile(template: Path, profile: Path) -> None:
    """Copy the warmed-up Chromium profile for one viewer."""
    # Chromium's Singleton* lock files belong to the (exited) warm-up browser.
    shutil.copytree(template, profile, ignore=shutil.ignore_patterns("Singleton*"))
