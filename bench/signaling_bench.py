"""Signaling: join -> first neighbour latency (p50/p99) for N simulated Socket.IO clients.

`swarmcast bench signaling [--clients 500] [--arrival-rate 100] [--in-process]` runs a
`swarmcast signaling` process on a free loopback port and N real python-socketio clients in
this process (websocket transport). Clients come from synthetic networks through a trusted
X-Forwarded-For, so prefix matching works as it would in the field. Each client joins at its
arrival time; its "first neighbour" is its join ack when that lists one, else its first
`neighbours` event (the first arrival of each swarm is reported apart: it waits for the
next). After everyone joined, each client relays one offer to a neighbour (relay latency).
Writes `bench/results/signaling-<timestamp>.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import socketio

from swarmcast.e2e.lab.metrics import percentile
from swarmcast.e2e.redis_process import free_port
from swarmcast.protocol import signaling_schema as schema
from swarmcast.protocol import tokens

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clients", type=int, default=500, help="simulated clients (500)")
    parser.add_argument(
        "--arrival-rate", type=float, default=100.0, help="joins per second; 0 = all at once"
    )
    parser.add_argument("--renditions", type=int, default=1, help="swarms to spread over (1)")
    parser.add_argument("--networks", type=int, default=50, help="distinct /24 prefixes (50)")
    parser.add_argument("--connect-concurrency", type=int, default=50)
    parser.add_argument(
        "--in-process", action="store_true", help="run the server in this process too"
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results directory")


@dataclass
class SimClient:
    index: int
    sio: socketio.AsyncClient
    peer_id: str = ""
    neighbours: set[str] = field(default_factory=set)
    join_sent: float = 0.0
    join_acked: float = 0.0
    first_neighbour: float = 0.0
    first_neighbour_seen: asyncio.Event = field(default_factory=asyncio.Event)
    relay_latencies: list[float] = field(default_factory=list)
    pending: list[dict[str, Any]] | None = None  # neighbours events awaiting the join ack

    def saw_neighbour(self, when: float) -> None:
        if not self.first_neighbour:
            self.first_neighbour = when
            self.first_neighbour_seen.set()


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return float(percentile(ordered, q) or 0.0)

    return {
        "n": len(ordered),
        "p50_ms": round(pick(0.50) * 1000, 2),
        "p90_ms": round(pick(0.90) * 1000, 2),
        "p99_ms": round(pick(0.99) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
    }


def _deciles(clients: list[SimClient]) -> list[list[SimClient]]:
    size = max(1, len(clients) // 10)
    return [clients[i : i + size] for i in range(0, len(clients), size)]


async def _wait_healthy(
    url: str, process: subprocess.Popen[bytes] | None, log: Path, deadline_s: float = 60.0
) -> None:
    stop = time.monotonic() + deadline_s
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < stop:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"signaling server exited ({process.returncode}): see {log}")
            try:
                async with http.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"signaling server at {url} did not come up")


async def _start_in_process(secret: bytes, port: int, clients: int) -> Any:
    from aiohttp import web

    from swarmcast.signaling.cli import build_app
    from swarmcast.signaling.config import SignalingConfig

    config = SignalingConfig(
        trusted_proxies=("127.0.0.1",),
        max_peers_per_prefix=clients,
        max_peers_per_address=clients,
        max_connections_per_address=clients,
        max_connections_per_prefix=clients,
        join_timeout_s=3600.0,  # clients connect first and join at their arrival time
        admin_token=secret.decode(),  # the bench reads /api/swarms as the operator
    )
    runner = web.AppRunner(build_app(config, secret))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def _start_subprocess(secret: bytes, port: int, clients: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SWARMCAST_TOKEN_SECRET": secret.decode(),
        "SWARMCAST_ADMIN_TOKEN": secret.decode(),
    }
    command = [
        sys.executable, "-m", "swarmcast.signaling.cli", "--host", "127.0.0.1",
        "--port", str(port), "--trusted-proxy", "127.0.0.1",
        "--max-peers-per-prefix", str(clients), "--max-peers-per-address", str(clients),
        "--max-connections-per-address", str(clients),
        "--max-connections-per-prefix", str(clients), "--join-timeout", "3600",
    ]  # fmt: skip
    return subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )


async def _connect(client: SimClient, url: str, secret: bytes, networks: int) -> None:
    token = tokens.mint(secret, "demo", time.time(), 3600)
    network = client.index % networks
    address = f"10.{network // 250}.{network % 250}.{client.index % 250 + 1}"
    await client.sio.connect(
        url,
        namespaces=[schema.NAMESPACE],
        transports=["websocket"],
        auth={"token": token},
        headers={"X-Forwarded-For": address},
        wait_timeout=30,
    )


def _apply(client: SimClient, event: dict[str, Any], now: float) -> None:
    client.neighbours -= set(event["remove"])
    client.neighbours |= {n["peer_id"] for n in event["add"]}
    if event["add"]:
        client.saw_neighbour(now)


def _install_handlers(client: SimClient) -> None:
    async def on_neighbours(event: dict[str, Any]) -> None:
        # docs/protocol.md §4.3: events that overtake the join ack wait for it.
        if client.pending is not None:
            client.pending.append(event)
        else:
            _apply(client, event, time.perf_counter())

    async def on_signal(event: dict[str, Any]) -> None:
        sent_at = float(event["data"]["sdp"].split("t=", 1)[1].split("\r\n", 1)[0])
        client.relay_latencies.append(time.perf_counter() - sent_at)

    client.sio.on("neighbours", on_neighbours, namespace=schema.NAMESPACE)
    client.sio.on("signal", on_signal, namespace=schema.NAMESPACE)


async def _join(client: SimClient, rendition: str) -> None:
    client.pending = []
    client.join_sent = time.perf_counter()
    ack = await client.sio.call(
        "join",
        {
            "stream": "demo",
            "rendition": rendition,
            "capabilities": {"upload_budget_bps": 2_000_000},
        },
        namespace=schema.NAMESPACE,
        timeout=60,
    )
    client.join_acked = time.perf_counter()
    if not ack.get("ok"):
        raise RuntimeError(f"join refused: {ack}")
    client.peer_id = ack["peer_id"]
    client.neighbours = {n["peer_id"] for n in ack["neighbours"]}
    if ack["neighbours"]:
        client.saw_neighbour(client.join_acked)
    buffered, client.pending = client.pending, None
    for event in buffered:
        _apply(client, event, client.join_acked)


async def _bench(args: argparse.Namespace) -> dict[str, Any]:
    secret = secrets.token_urlsafe(24).encode()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server_process: subprocess.Popen[bytes] | None = None
    server_log = Path(tempfile.gettempdir()) / f"swarmcast-signaling-bench-{port}.log"
    runner = None
    if args.in_process:
        runner = await _start_in_process(secret, port, args.clients)
    else:
        server_process = _start_subprocess(secret, port, args.clients, server_log)
    clients = [SimClient(i, socketio.AsyncClient(reconnection=False)) for i in range(args.clients)]
    try:
        await _wait_healthy(url, server_process, server_log)
        server_ps = psutil.Process(server_process.pid if server_process else os.getpid())
        cpu_before = server_ps.cpu_times()
        own_cpu_before = psutil.Process().cpu_times()
        gate = asyncio.Semaphore(args.connect_concurrency)

        failures: Counter[str] = Counter()

        async def connect(client: SimClient) -> float | None:
            async with gate:
                started = time.perf_counter()
                _install_handlers(client)
                try:
                    await _connect(client, url, secret, args.networks)
                except (socketio.exceptions.ConnectionError, OSError) as error:
                    failures[f"connect: {type(error).__name__}: {error}"[:120]] += 1
                    return None
                return time.perf_counter() - started

        started = time.perf_counter()
        connect_latencies = [
            x for x in await asyncio.gather(*(connect(c) for c in clients)) if x is not None
        ]
        connect_wall = time.perf_counter() - started

        renditions = [f"r{i}" for i in range(args.renditions)]

        async def arrive(client: SimClient) -> None:
            if args.arrival_rate > 0:
                await asyncio.sleep(client.index / args.arrival_rate)
            if not client.sio.connected:
                return
            try:
                await _join(client, renditions[client.index % len(renditions)])
            except (socketio.exceptions.SocketIOError, RuntimeError) as error:
                failures[f"join: {type(error).__name__}: {error}"[:120]] += 1

        started = time.perf_counter()
        await asyncio.gather(*(arrive(c) for c in clients))
        joined = [c for c in clients if c.join_acked]
        # Only the first peer of each swarm waits for a later arrival; allow it time.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(c.first_neighbour_seen.wait() for c in joined)), 30
            )
        join_wall = time.perf_counter() - started

        async def relay(client: SimClient) -> None:
            if not client.neighbours:
                return
            to = sorted(client.neighbours)[0]
            sdp = f"v=0\r\nt={time.perf_counter()}\r\n"
            await client.sio.emit(
                "signal",
                {"to": to, "kind": "offer", "data": {"type": "offer", "sdp": sdp}},
                namespace=schema.NAMESPACE,
            )

        await asyncio.gather(*(relay(c) for c in clients))
        expected = sum(1 for c in clients if c.neighbours)
        stop = time.monotonic() + 30
        while sum(len(c.relay_latencies) for c in clients) < expected and time.monotonic() < stop:
            await asyncio.sleep(0.05)
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"{url}/api/swarms?peers=0", headers={"Authorization": f"Bearer {secret.decode()}"}
            ) as response,
        ):
            snapshot = await response.json()
        cpu_after = server_ps.cpu_times()
        own_cpu_after = psutil.Process().cpu_times()
        server_rss = server_ps.memory_info().rss
    finally:
        await asyncio.gather(*(c.sio.disconnect() for c in clients), return_exceptions=True)
        if runner is not None:
            await runner.cleanup()
        if server_process is not None:
            server_process.terminate()
            server_process.wait(10)

    # The first arrival of each swarm has nobody to meet until the next one joins: its wait
    # measures the arrival process, not the server, so it is reported apart.
    founders = set(range(args.renditions))
    met = [c for c in clients if c.first_neighbour]
    first_neighbour = [c.first_neighbour - c.join_sent for c in met if c.index not in founders]
    founder_wait = [c.first_neighbour - c.join_sent for c in met if c.index in founders]
    degrees = [len(c.neighbours) for c in joined] or [0]
    return {
        "benchmark": "signaling",
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            # Shared 2-core machine: latency figures mean little when this is far above 2.
            "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
        },
        "parameters": {
            "clients": args.clients,
            "arrival_rate_per_s": args.arrival_rate,
            "renditions": args.renditions,
            "networks": args.networks,
            "server": "in-process" if args.in_process else "subprocess",
            "transport": "websocket",
        },
        "join_to_first_neighbour": _percentiles(first_neighbour),
        "founder_wait": _percentiles(founder_wait),
        "join_ack": _percentiles([c.join_acked - c.join_sent for c in joined]),
        "joined": len(joined),
        "without_neighbour": len(joined) - len(met),
        "failures": dict(failures),
        "connect": _percentiles(list(connect_latencies)),
        "signal_relay": _percentiles([x for c in clients for x in c.relay_latencies]),
        "connect_wall_s": round(connect_wall, 3),
        "join_wall_s": round(join_wall, 3),
        "degree": {"min": min(degrees), "mean": round(statistics.fmean(degrees), 2)},
        "client_process_cpu_s": round(
            (own_cpu_after.user + own_cpu_after.system)
            - (own_cpu_before.user + own_cpu_before.system),
            3,
        ),
        "join_ack_by_arrival_decile_ms": [
            round(statistics.median(c.join_acked - c.join_sent for c in chunk) * 1000, 2)
            for chunk in _deciles(joined)
        ],
        "server": {
            "cpu_s": round(
                (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system), 3
            ),
            "rss_mb": round(server_rss / 2**20, 1),
            "peers": snapshot["peers"],
            "links": sum(s["links"] for s in snapshot["swarms"]),
        },
    }


def run(args: argparse.Namespace) -> int:
    result = asyncio.run(_bench(args))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"signaling-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    first = result["join_to_first_neighbour"]
    print(
        f"signaling: {args.clients} clients, join -> first neighbour "
        f"p50 {first['p50_ms']} ms, p99 {first['p99_ms']} ms; "
        f"join ack p50 {result['join_ack']['p50_ms']} ms; "
        f"relay p50 {result['signal_relay'].get('p50_ms')} ms; "
        f"server cpu {result['server']['cpu_s']} s"
    )
    print(f"results: {path}")
    return 0
