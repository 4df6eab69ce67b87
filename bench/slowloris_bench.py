"""Slow connections against a live origin: segments lost and normal requests served.

`swarmcast serve` (synthetic live stream, segmenter in the same process) runs in a subprocess
with a chosen descriptor limit; attacker processes open `--connections` connections from one
address (127.0.0.2) that never finish their request headers and reopen any the origin closes;
meanwhile a viewer at 127.0.0.1 fetches the playlist and the newest segment over fresh
connections. Reported: normal requests served, live segments lost (sequence numbers missing
from the rendition directory, longest gap between two publications, `Too many open files`
in the origin's log). docs/security.md §5.1; tests/server/test_origin_slowloris.py runs a small
version of the same attack in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import multiprocessing
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp

from swarmcast.e2e.serve_process import serve_live

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
STREAM, RENDITION = "demo", "180p"
SEGMENT_S = 1.0
PARTIAL_HEADER = b"GET /live/demo/master.m3u8 HTTP/1.1\r\nHost: origin\r\n"


@dataclass
class Origin:
    url: str
    port: int
    process: subprocess.Popen[str]
    log_path: Path
    media_dir: Path


@dataclass
class Outcome:
    connections: int
    attack_s: float
    opened: int
    requests: int
    served: int
    segments_published: int
    segments_missing: int
    longest_publication_gap_s: float
    emfile_lines: int
    origin_log_lines: int

    @property
    def served_fraction(self) -> float:
        return self.served / self.requests if self.requests else 0.0


def _limit_fds(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


@contextlib.contextmanager
def live_origin(directory: Path, fd_limit: int, timeout_s: float = 60.0) -> Iterator[Origin]:
    """`swarmcast serve` with a 1 s segment 180p stream, its descriptor limit set to `fd_limit`."""
    log_path = directory / "origin.log"
    with serve_live(
        directory / "live",
        stream=STREAM,
        ladder="320x180@200",
        rendition=RENDITION,
        ready_segments=1,
        extra_args=("--fps", "10", "--segment-duration", str(SEGMENT_S)),
        startup_s=timeout_s,
        log_path=log_path,
        preexec_fn=lambda: _limit_fds(fd_limit),
    ) as server:
        url = server.url.rstrip("/")
        media_dir = directory / "live" / STREAM / RENDITION
        yield Origin(url, int(url.rsplit(":", 1)[1]), server.process, log_path, media_dir)


async def slow_connections(
    port: int, count: int, stop_at: float, source: str = "127.0.0.2", counter: Any = None
) -> int:
    """Keep `count` connections from `source` that never finish their headers, until the
    monotonic time `stop_at`; reopens any the origin closes. Returns how many were opened
    (also kept in `counter.value` as they open, when a shared counter is given)."""
    opened = 0
    held: set[asyncio.StreamWriter] = set()

    async def one() -> None:
        nonlocal opened
        while time.monotonic() < stop_at:
            try:
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", port, local_addr=(source, 0)
                )
            except OSError:
                await asyncio.sleep(0.05)
                continue
            opened += 1
            if counter is not None:
                counter.value += 1
            held.add(writer)
            with contextlib.suppress(OSError):
                writer.write(PARTIAL_HEADER)
                left = stop_at - time.monotonic()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(reader.read(1), max(0.0, left))  # b"": closed
            held.discard(writer)
            writer.transport.abort()

    await asyncio.gather(*(one() for _ in range(count)))
    for writer in held:
        writer.transport.abort()
    return opened


def _attacker_process(port: int, count: int, stop_at_wall: float, counter: Any) -> None:
    with contextlib.suppress(ValueError, OSError):
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    stop_at = time.monotonic() + (stop_at_wall - time.time())
    asyncio.run(slow_connections(port, count, stop_at, counter=counter))


@contextlib.asynccontextmanager
async def attackers(port: int, count: int, duration_s: float) -> AsyncIterator[list[int]]:
    """`count` slow connections split over processes of at most 5,000 each."""
    stop_at_wall = time.time() + duration_s
    # Shared counters, not a result at exit: a loaded machine may tear an attacker down slowly
    # (thousands of sockets) and the join below then kills it, result and all.
    # Spawned, not forked: a fork of a busy process (a test runner with threads of earlier
    # tests) can inherit a lock held by another thread and hang before opening anything.
    context = multiprocessing.get_context("spawn")
    counters = [context.Value("l", 0) for _ in range(0, count, 5000)]
    sizes = [min(5000, count - i) for i in range(0, count, 5000)]
    procs = [
        context.Process(target=_attacker_process, args=(port, n, stop_at_wall, counter))
        for n, counter in zip(sizes, counters, strict=True)
    ]
    for proc in procs:
        proc.start()
    opened: list[int] = []
    try:
        yield opened
    finally:
        for proc in procs:
            proc.join(duration_s + 30)
            if proc.is_alive():
                proc.kill()
        opened.extend(int(counter.value) for counter in counters)


async def normal_requests(url: str, until: float, interval_s: float = 0.1) -> tuple[int, int]:
    """A viewer at 127.0.0.1: the media playlist, then its newest segment, each over a fresh
    connection, until `until`. Returns (served, requests)."""
    served = requests = 0
    timeout = aiohttp.ClientTimeout(total=5)
    connector = aiohttp.TCPConnector(force_close=True, local_addr=("127.0.0.1", 0))
    base = f"{url}/live/{STREAM}/{RENDITION}/"
    newest = ""
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        while time.monotonic() < until:
            for path in ("index.m3u8", newest):
                if not path:
                    continue
                requests += 1
                try:
                    async with session.get(base + path) as response:
                        body = await response.read()
                except (aiohttp.ClientError, TimeoutError):
                    continue
                if response.status == 200 and body:
                    served += 1
                    if path == "index.m3u8":
                        found = re.findall(r"^seg-\d+\.m4s$", body.decode(), re.MULTILINE)
                        newest = found[-1] if found else newest
            await asyncio.sleep(interval_s)
    return served, requests


def segment_report(media_dir: Path, since_wall: float) -> tuple[int, int, float]:
    """(published since `since_wall`, sequence numbers missing, longest gap between two)."""
    files = sorted(
        (int(p.stem.split("-")[1]), p.stat().st_mtime) for p in media_dir.glob("seg-*.m4s")
    )
    window = [(seq, mtime) for seq, mtime in files if mtime >= since_wall]
    if not window:
        return 0, 0, float("inf")
    seqs = [seq for seq, _ in window]
    missing = (seqs[-1] - seqs[0] + 1) - len(seqs)
    times = sorted(mtime for _, mtime in window)
    gap = max((b - a for a, b in itertools.pairwise([since_wall, *times])), default=0.0)
    return len(window), missing, gap


async def attack(origin: Origin, connections: int, attack_s: float) -> Outcome:
    started_wall = time.time()
    async with attackers(origin.port, connections, attack_s) as opened:
        await asyncio.sleep(min(3.0, attack_s / 4))  # let the flood build up first
        served, requests = await normal_requests(origin.url, time.monotonic() + attack_s - 4)
    published, missing, gap = segment_report(origin.media_dir, started_wall)
    log_text = origin.log_path.read_text(errors="replace")
    return Outcome(
        connections=connections,
        attack_s=attack_s,
        opened=sum(opened),
        requests=requests,
        served=served,
        segments_published=published,
        segments_missing=missing,
        longest_publication_gap_s=round(gap, 2),
        emfile_lines=log_text.count("Too many open files"),
        origin_log_lines=log_text.count("\n"),
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--connections", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=30.0, help="attack duration")
    parser.add_argument("--fd-limit", type=int, default=20_000, help="the origin's RLIMIT_NOFILE")


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as tmp, live_origin(Path(tmp), args.fd_limit) as origin:
        outcome = asyncio.run(attack(origin, args.connections, args.seconds))
    report = {
        **asdict(outcome),
        "fd_limit": args.fd_limit,
        "served_fraction": outcome.served_fraction,
    }
    print(json.dumps(report, indent=1))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"slowloris-{stamp}.json").write_text(json.dumps(report, indent=1) + "\n")
    ok = outcome.segments_missing == 0 and outcome.emfile_lines == 0
    return 0 if ok and outcome.served_fraction >= 0.99 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    add_arguments(parser)
    sys.exit(run(parser.parse_args()))
