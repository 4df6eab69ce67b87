"""NAT lab: Python viewers behind home NATs (cone / symmetric) and carrier-grade NAT, coturn as
STUN + TURN, capped uplinks; NAT-pair connection matrix, candidate-pair types, TURN bytes, time
to first peer, offload vs the capacity bound; P2P and CDN-only runs (root; e2e/lab/nat_*.py).

    swarmcast bench nat --scenario bench/scenarios/nat.toml --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from swarmcast.bench.lab_matrix import held_lock
from swarmcast.e2e.coturn import run_coturn
from swarmcast.e2e.lab.nat_scenario import (
    NatScenario,
    load_scenario,
    run_figures,
    timeline_figures,
)
from swarmcast.e2e.lab.nat_topology import (
    ORIGIN_ADDRESS,
    RELAY_PORTS,
    TURN_ADDRESS,
    NatTopology,
)
from swarmcast.e2e.lab.netns import remove_stale_namespaces
from swarmcast.e2e.lab.processes import own_autogroup
from swarmcast.e2e.serve_process import stop_process

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "bench" / "results"
DEFAULT_SCENARIO = REPO / "bench" / "scenarios" / "nat.toml"
STREAM = "nat"
PORT = 8080


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO, help="scenario TOML")
    parser.add_argument("--runs", type=int, default=3, help="runs of each mode")
    parser.add_argument("--duration", type=float, help="seconds per run (scenario default)")
    parser.add_argument("--no-cdn", action="store_true", help="skip the CDN-only runs")
    parser.add_argument(
        "--timelines", action="store_true",
        help="each peer records a timeline (peerN.timeline.json in the run's work directory)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results directory")
    parser.add_argument(
        "--lock", type=Path, metavar="FILE",
        help="hold an exclusive flock on FILE during each run only (others interleave)",
    )  # fmt: skip


def _in(netns: str, argv: list[str]) -> list[str]:
    return ["ip", "netns", "exec", netns, *argv]


def _wait_segments(streams: Path, count: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        for playlist in streams.glob(f"{STREAM}/*/index.m3u8"):
            if playlist.read_text(errors="replace").count("#EXTINF") >= count:
                return
        time.sleep(0.5)
    raise RuntimeError("the origin made no segments in time")


class CpuAccount:
    """CPU the lab's processes used during one run (reaped children) beside the machine's."""

    def __init__(self) -> None:
        self._children = self._children_s()
        self._machine = psutil.cpu_times()
        self._wall = time.monotonic()
        self._load = os.getloadavg()[0]

    @staticmethod
    def _children_s() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def figures(self) -> dict[str, float]:
        """Shares of the machine's cores over the run: the lab's, everything's; load1 at both
        ends. The lab's count processes reaped by then (peers, origin, coturn)."""
        wall = max(1e-9, time.monotonic() - self._wall)
        cores = psutil.cpu_count() or 1
        now = psutil.cpu_times()
        busy = (
            sum(now)
            - now.idle
            - now.iowait
            - (sum(self._machine) - self._machine.idle - self._machine.iowait)
        )
        return {
            "lab_cpu_share": round((self._children_s() - self._children) / (wall * cores), 3),
            "machine_busy_share": round(min(1.0, busy / (wall * cores)), 3),
            "load1_start": round(self._load, 1),
            "load1_end": round(os.getloadavg()[0], 1),
        }


def run_once(
    scenario: NatScenario, workdir: Path, p2p: bool, duration_s: float, timelines: bool = False
) -> dict[str, Any]:
    """One run: build the topology, coturn, the origin, one peer per host; figures."""
    secret = secrets.token_hex(16)
    topology = NatTopology.create(scenario.hosts)
    cpu = CpuAccount()
    stats: dict[int, dict[str, Any]] = {}
    try:
        with run_coturn(
            workdir / "coturn", TURN_ADDRESS, secret=secret, relay_ports=RELAY_PORTS,
            netns_exec=_in(topology.turn, []),
        ) as turn:  # fmt: skip
            streams = workdir / "streams"
            origin = subprocess.Popen(
                _in(topology.origin, [
                    sys.executable, "-m", "swarmcast.server.cli", "serve", "--host", "0.0.0.0",
                    "--port", str(PORT), "--stream", STREAM, "--dir", str(streams),
                    "--source", "synthetic", "--ladder", scenario.ladder,
                    "--ice-server", turn.stun_url, "--turn-url", turn.turn_url,
                    *(["--relay-only-stream", STREAM] if scenario.relay_only else []),
                ]),
                env={"SWARMCAST_TURN_SECRET": secret, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
                stdout=subprocess.DEVNULL, stderr=(workdir / "origin.log").open("w"), cwd=REPO,
            )  # fmt: skip
            try:
                _wait_segments(streams, 3, time.monotonic() + 90)
                peers = []
                for host in scenario.hosts:
                    budget = host.up_kbit * 1000 / 8 * scenario.upload_budget_share
                    argv = [
                        sys.executable, "-m", "swarmcast.server.cli", "peer",
                        "--url", f"http://{ORIGIN_ADDRESS}:{PORT}", "--stream", STREAM,
                        "--use-signaling-ice", "--duration", str(duration_s),
                        "--stats-json", str(workdir / f"peer{host.index}.json"),
                        "--upload-rate", str(round(budget)),
                    ]  # fmt: skip
                    if not p2p:
                        argv.append("--no-p2p")
                    if timelines:
                        argv += ["--timeline", str(workdir / f"peer{host.index}.timeline.json")]
                    log = (workdir / f"peer{host.index}.log").open("w")
                    peers.append(
                        subprocess.Popen(
                            _in(topology.host_netns[host.index], argv),
                            stdout=subprocess.DEVNULL,
                            stderr=log,
                            cwd=REPO,
                        )
                    )
                    time.sleep(scenario.join_gap_s)
                for process in peers:
                    try:
                        process.wait(timeout=duration_s + 60)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
            finally:
                turn_bytes = topology.relayed_bytes()
                drops = topology.access_drops()
                udp_errors = topology.udp_errors()
                stop_process(origin, timeout=20)
        for host in scenario.hosts:
            path = workdir / f"peer{host.index}.json"
            if path.exists():
                stats[host.index] = json.loads(path.read_text())
        figures = run_figures(scenario.hosts, stats, frozenset({TURN_ADDRESS}))
        if timelines:
            figures["timelines"] = timeline_figures(
                [json.loads(p.read_text()) for p in sorted(workdir.glob("peer*.timeline.json"))]
            )
        figures["turn_bytes"] = turn_bytes
        figures["access_drops"] = drops
        figures["udp_errors"] = udp_errors
        figures["cpu"] = cpu.figures()
        figures["mode"] = "p2p" if p2p else "cdn"
        return figures
    finally:
        topology.close()


def _summary(runs: list[dict[str, Any]], key: str, worst: str) -> str:
    values = [r[key] for r in runs if r.get(key) is not None and "error" not in r]
    if not values:
        return "-"
    pick = max if worst == "max" else min
    return f"{statistics.median(values):.3g} (worst {pick(values):.3g})"


def report(scenario: NatScenario, results: dict[str, list[dict[str, Any]]]) -> str:
    lines = [f"# NAT lab: {scenario.name}", ""]
    lines += [
        "| host | NAT | access | up kbit/s | down kbit/s |",
        "| --- | --- | --- | --- | --- |",
    ]
    for h in scenario.hosts:
        lines.append(f"| {h.index} | {h.label} | {h.access} | {h.up_kbit} | {h.down_kbit} |")
    lines += ["", "| mode | offload | capacity bound | offload / bound | stalls | TURN bytes |"
              " origin media bytes | leaked addresses | time to first peer (s) |",
              "| --- " * 9 + "|"]  # fmt: skip
    for mode, runs in results.items():
        ttfp = [r["time_to_first_peer_s"]["median"] for r in runs if "error" not in r]
        lines.append(
            f"| {mode} | {_summary(runs, 'offload', 'min')} | "
            f"{_summary(runs, 'capacity_bound', 'min')} | "
            f"{_summary(runs, 'offload_of_bound', 'min')} | {_summary(runs, 'stalls', 'max')} | "
            f"{_summary(runs, 'turn_bytes', 'max')} | {_summary(runs, 'bytes_from_http', 'max')} | "
            f"{_summary(runs, 'leaks', 'max')} | "
            f"{[t for t in ttfp]} |"
        )
    for i, run in enumerate(results.get("p2p", [])):
        if "error" in run:
            lines += ["", f"P2P run {i + 1} failed: {run['error']}"]
            continue
        allowed = run["direct_allowed"]
        lines += ["", f"## NAT pair matrix, P2P run {i + 1}", "",
                  f"Pairs the NATs allow to connect directly: {allowed['pairs']}, connected "
                  f"directly: {allowed['connected_directly']}. Selected candidate pairs (per "
                  f"link end): {run['selected_pairs']}. Addresses other than the TURN server's "
                  f"shown to a viewer about another: {run.get('leaks')} "
                  f"{run.get('leaked_addresses') or ''}. Access-link drops: "
                  f"{run.get('access_drops')}. UDP socket drops: {run.get('udp_errors', '-')}. "
                  f"CPU: {run.get('cpu', '-')}. "
                  f"Timelines: {run.get('timelines', '-')}",
                  ""]  # fmt: skip
        lines += ["| pair | links tried | connected | selected pair |", "| --- | --- | --- | --- |"]
        for pair, cell in run["nat_pairs"].items():
            lines.append(f"| {pair} | {cell['attempts']} | {cell['connected']} | {cell['pairs']} |")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    duration = args.duration or scenario.duration_s
    remove_stale_namespaces()
    if scenario.lab_autogroup_nice is not None and not own_autogroup(scenario.lab_autogroup_nice):
        print("no autogroups here: lab_autogroup_nice ignored", file=sys.stderr)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    root = Path(f"/tmp/swarmcast-nat-{stamp}")
    results: dict[str, list[dict[str, Any]]] = (
        {"p2p": []} if args.no_cdn else {"p2p": [], "cdn": []}
    )
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"nat-{scenario.name}-{stamp}"
    for index in range(args.runs):
        for mode in results:
            try:
                with held_lock(args.lock):
                    figures = run_once(
                        scenario, root / f"{mode}{index}", mode == "p2p", duration, args.timelines
                    )
            except Exception as exc:  # a failed run is recorded with its reason
                figures = {"mode": mode, "error": repr(exc)}
            results[mode].append(figures)
            print(json.dumps({k: v for k, v in figures.items() if k != "nat_pairs"}), flush=True)
            # Written after every run: a run cut short by the lock's time limit keeps the rest.
            raw = {"scenario": str(args.scenario), "duration_s": duration, "results": results,
                   "hosts": [h.__dict__ for h in scenario.hosts]}  # fmt: skip
            (args.out / f"{name}.json").write_text(json.dumps(raw, indent=1) + "\n")
            (args.out / f"{name}.md").write_text(report(scenario, results))
    print(report(scenario, results))
    return 0
