"""Python peer: upload throughput over one data channel and to 10 downloaders (aiortc).

`swarmcast bench peer [--duration 10] [--downloaders 1,10] [--piece-size 16384]` runs, inside
a private network namespace (it re-executes itself under scripts/in-netns.sh when needed), an
uploader process serving signed segments through the real upload path (`SegmentStore`,
`PieceScheduler` upload side, `PeerLink` with bufferedAmount backpressure) and a second process
with N downloaders that keep 4 requests of 16 pieces in flight each. Reports MB/s (10^6
bytes of piece payload per second), per link and in total, and both processes' CPU use.
Writes `bench/results/peer-<timestamp>.json`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from swarmcast.e2e.lab.netns import in_private_netns

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per case")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument(
        "--downloaders", default="1,10", help="comma-separated downloader counts (1,10)"
    )
    parser.add_argument("--piece-size", type=int, default=16384, help="piece size (16384)")
    parser.add_argument("--segment-size", type=int, default=750_000, help="bytes per segment")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results directory")


def _reexec_in_netns(args: argparse.Namespace) -> int:
    argv = [
        str(REPO_ROOT / "scripts" / "in-netns.sh"),
        sys.executable,
        "-m",
        "swarmcast.server.cli",
        "bench",
        "peer",
        "--duration",
        str(args.duration),
        "--warmup",
        str(args.warmup),
        "--downloaders",
        args.downloaders,
        "--piece-size",
        str(args.piece_size),
        "--segment-size",
        str(args.segment_size),
        "--out",
        str(args.out),
    ]
    return subprocess.run(argv, cwd=REPO_ROOT, check=False).returncode


def udp_receive_drops() -> int:
    """UDP datagrams the kernel dropped for full socket buffers, in this namespace."""
    lines = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines()]
    udp = [line[1:] for line in lines if line[0] == "Udp:"]
    return int(dict(zip(udp[0], udp[1], strict=True))["RcvbufErrors"])


def run_case(downloaders: int, args: argparse.Namespace) -> dict[str, Any]:
    from swarmcast.bench.peer_bench_workers import downloader_main, uploader_main

    context = multiprocessing.get_context("spawn")
    up_end, down_end = context.Pipe()
    result_recv, result_send = context.Pipe(duplex=False)
    uploader = context.Process(
        target=uploader_main, args=(up_end, downloaders, args.piece_size, args.segment_size)
    )
    drops_before = udp_receive_drops()
    uploader.start()
    if not down_end.poll(60):
        raise RuntimeError("uploader did not start")
    assert down_end.recv() == ("ready",)
    downloader = context.Process(
        target=downloader_main,
        args=(
            down_end,
            result_send,
            downloaders,
            args.piece_size,
            args.segment_size,
            args.duration,
            args.warmup,
        ),
    )
    downloader.start()
    procs = {"uploader": psutil.Process(uploader.pid), "downloader": psutil.Process(downloader.pid)}
    # CPU over the measured window only: sample after setup + warmup, before the end.
    time.sleep(1.0 + args.warmup)
    cpu_before = {name: sum(p.cpu_times()[:2]) for name, p in procs.items()}
    t0 = time.monotonic()
    if not result_recv.poll(args.duration + args.warmup + 90):
        raise RuntimeError("downloaders did not report")
    elapsed = time.monotonic() - t0
    cpu = {
        f"{name}_cpu_percent": round(100 * (sum(p.cpu_times()[:2]) - cpu_before[name]) / elapsed)
        for name, p in procs.items()
    }
    result: dict[str, Any] = result_recv.recv()
    up_end.send(("stop",))
    down_end.send(("stop",))
    for proc in (downloader, uploader):
        proc.join(30)
        if proc.is_alive():
            proc.kill()
    drops = udp_receive_drops() - drops_before
    return {
        "downloaders": downloaders,
        "piece_size": args.piece_size,
        **result,
        **cpu,
        "udp_receive_drops": drops,
        # The machine is shared: a busy neighbour starves both processes (low CPU %, low MB/s).
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def run(args: argparse.Namespace) -> int:
    if not in_private_netns():
        return _reexec_in_netns(args)
    cases = []
    for count in (int(n) for n in args.downloaders.split(",")):
        case = run_case(count, args)
        print(
            f"peer bench: {count} downloader(s): {case['total_MBps']} MB/s total "
            f"(uploader CPU {case['uploader_cpu_percent']}%)",
            flush=True,
        )
        cases.append(case)
    report = {
        "benchmark": "peer",
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "segment_size": args.segment_size,
            "requests_in_flight": 4,
            "pieces_per_request": 16,
        },
        "cases": cases,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"peer-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"peer bench: wrote {path}")
    return 0
