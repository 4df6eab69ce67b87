"""Python viewers' CPU: CPU seconds per viewer per stream-second and per MB relayed (aiortc).

`swarmcast bench viewers [--viewers 6,12] [--runs 3] [--duration 60]` runs, inside a private
network namespace (it re-executes itself under scripts/in-netns.sh when needed), a local origin
with a live synthetic stream like the realistic lab's top rung (640x360 at 500 kbit/s, 15 fps,
2 s segments) and N `swarmcast peer` viewers (real processes, signaling on the origin, host
candidates on 127.0.0.2 / the veth pair). After the joins and a warm-up it measures a window:
each viewer's CPU (user + system from /proc, so the figure holds on a shared machine where wall
time would not), its bytes from the origin, from peers and uploaded (its stats JSON, taken on
SIGUSR1 at both ends of the window), stalls, and the origin's publish delay (a starved origin
makes every viewer wait: read the figures beside it). `--no-p2p` gives the CDN-only baseline;
`--py-spy DIR` also samples viewer 0 with py-spy over the window (collapsed stacks).
Writes `<out>/viewers-<label>-<timestamp>.json` and `.md`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from swarmcast.e2e.lab.netns import in_private_netns
from swarmcast.e2e.lab.origin_publish import publish_delays
from swarmcast.e2e.serve_process import serve_live

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"
STREAM = "demo"
TOKEN_SECRET = "viewers-bench-token-secret-0123456789"
STARTUP_S = 180.0
# Viewers run below the origin inside the bench's session (autogroup): on a loaded machine the
# origin's encoder otherwise lost real time (publish delay 127 s) and nothing was relayed. CPU
# seconds are counted per process, so a lower priority changes when a viewer runs, not what
# it spends.
VIEWER_NICE = 10
# Read by `swarmcast peer` (peer/cli.py); a literal here so the bench also measures older code.
PROFILE_ENV = "SWARMCAST_PEER_CPROFILE"
STATS_INTERVAL_S = 2.0  # the lab asks its Python viewers for stats this often (cpu_interval_s)
SNAPSHOT_S = 60.0  # a starved viewer (load 47 at autogroup 19) took more than 10 s to answer
MB = 1e6


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--viewers", default="6,12", help="comma-separated viewer counts (6,12)")
    parser.add_argument("--runs", type=int, default=3, help="runs per viewer count (3)")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds (60)")
    parser.add_argument(
        "--warmup", type=float, default=20.0, help="seconds after the last join before measuring"
    )
    parser.add_argument("--join-window", type=float, default=6.0, help="joins spread over (6 s)")
    parser.add_argument("--ladder", default="640x360@500", help="origin ladder (640x360@500)")
    parser.add_argument("--fps", type=int, default=15, help="origin frame rate (15)")
    parser.add_argument("--rendition", default="360p", help="rendition the viewers watch")
    parser.add_argument("--no-p2p", action="store_true", help="CDN-only viewers (baseline)")
    parser.add_argument("--upload-rate", type=float, help="each viewer's --upload-rate (B/s)")
    parser.add_argument(
        "--peer-arg", action="append", default=[], help="extra `swarmcast peer` argument"
    )
    parser.add_argument("--py-spy", type=Path, metavar="DIR", help="profile viewer 0 into DIR")
    parser.add_argument(
        "--cprofile", type=Path, metavar="DIR", help="run viewer 0 under cProfile (CPU time)"
    )
    parser.add_argument("--label", default="run", help="name in the result files")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results directory")


def _reexec_in_netns() -> int:
    argv = [
        str(REPO_ROOT / "scripts" / "in-netns.sh"), sys.executable, "-m",
        "swarmcast.server.cli", "bench", "viewers", *sys.argv[sys.argv.index("viewers") + 1 :],
    ]  # fmt: skip
    return subprocess.run(argv, cwd=REPO_ROOT, check=False).returncode


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process (/proc/PID/stat)."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


class Viewer:
    """One `swarmcast peer` process and its stats file."""

    def __init__(
        self,
        index: int,
        url: str,
        args: argparse.Namespace,
        workdir: Path,
        profile: Path | None = None,
    ) -> None:
        self.name = f"v{index}"
        self.stats_path = workdir / f"{self.name}.json"
        argv = [
            sys.executable, "-m", "swarmcast.server.cli", "peer", "--url", url,
            "--stream", STREAM, "--rendition", args.rendition, "--token-secret", TOKEN_SECRET,
            "--stats-json", str(self.stats_path), "--stats-interval", str(STATS_INTERVAL_S),
            *(["--no-p2p"] if args.no_p2p else []),
            *(["--upload-rate", str(args.upload_rate)] if args.upload_rate else []),
            *args.peer_arg,
        ]  # fmt: skip
        self.log = (workdir / f"{self.name}.log").open("wb")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if profile is not None:
            env[PROFILE_ENV] = str(profile)
        self.process = subprocess.Popen(
            argv,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            cwd=REPO_ROOT,
            env=env,
            preexec_fn=lambda: os.nice(VIEWER_NICE),
        )

    def catches_usr1(self) -> bool:
        from swarmcast.e2e.lab.processes import catches

        return catches(self.process.pid, "SIGUSR1")

    def snapshot(self) -> dict[str, Any]:
        """CPU now, and the stats the peer writes on SIGUSR1 (its file changes when written)."""
        before = self.stats_path.stat().st_mtime_ns if self.stats_path.exists() else 0
        cpu = cpu_seconds(self.process.pid)
        os.kill(self.process.pid, signal.SIGUSR1)
        deadline = time.monotonic() + SNAPSHOT_S
        while time.monotonic() < deadline:  # a file in another process: nothing to wait on
            if self.stats_path.exists() and self.stats_path.stat().st_mtime_ns != before:
                with contextlib.suppress(json.JSONDecodeError):
                    return {"cpu_s": cpu, "stats": json.loads(self.stats_path.read_text())}
            time.sleep(0.05)
        code = self.process.poll()
        raise RuntimeError(
            f"{self.name} wrote no stats on SIGUSR1 (exit code {code}): {self.log_tail()}"
        )

    def log_tail(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-1500:]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.log.close()
        return code


def _delta(end: dict[str, Any], start: dict[str, Any], window_s: float) -> dict[str, Any]:
    s0, s1 = start["stats"], end["stats"]

    def diff(key: str) -> int:
        return int(s1[key]) - int(s0[key])

    frames: dict[str, dict[str, int]] = {}
    for way in ("sent", "received"):  # absent before the counters existed (older code)
        f0 = s0.get("frames", {}).get(way, {})
        f1 = s1.get("frames", {}).get(way, {})
        frames[way] = {k: v - f0.get(k, 0) for k, v in sorted(f1.items()) if v - f0.get(k, 0)}
    cpu = end["cpu_s"] - start["cpu_s"]
    rx_http, rx_peers = diff("bytes_from_http"), diff("bytes_from_peers")
    tx = diff("bytes_uploaded")
    relayed = rx_peers + tx
    return {
        "cpu_s": round(cpu, 3),
        "cpu_per_stream_s": round(cpu / window_s, 4),
        "bytes_from_http": rx_http,
        "bytes_from_peers": rx_peers,
        "bytes_uploaded": tx,
        "cpu_s_per_MB_relayed": round(cpu / (relayed / MB), 3) if relayed else None,
        "stalls": diff("stalls"),
        "missed_deadlines": diff("missed_deadlines"),
        "peers_connected": s1["peers_connected"],
        "frames": frames,
    }


def run_case(count: int, run_index: int, args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"viewers-{count}-"))
    try:
        return _run_case(count, run_index, args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run_case(
    count: int, run_index: int, args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    server = serve_live(
        workdir / "live", stream=STREAM, ladder=args.ladder, rendition=args.rendition,
        ready_segments=4, log_path=workdir / "origin.log",
        extra_args=(
            "--fps", str(args.fps), "--token-secret", TOKEN_SECRET,
            # every viewer comes from 127.0.0.1: no per-address cap (8 by default)
            "--shared-address-network", "127.0.0.0/8",
        ),
    )  # fmt: skip
    viewers: list[Viewer] = []
    with server as origin:
        origin_pid = origin.process.pid
        try:
            for index in range(count):
                profile = None
                if index == 0 and args.cprofile is not None:
                    args.cprofile.mkdir(parents=True, exist_ok=True)
                    profile = args.cprofile / f"{args.label}-n{count}-r{run_index}.prof"
                url = origin.url.rstrip("/")
                viewers.append(Viewer(index, url, args, workdir, profile))
                time.sleep(args.join_window / max(1, count))  # paced joins, like the lab's
            _wait_started(viewers, time.monotonic() + STARTUP_S)
            time.sleep(args.warmup)
            for viewer in viewers:
                if viewer.process.poll() is not None:
                    raise RuntimeError(f"{viewer.name} exited: {viewer.log_tail()}")
            load_start = os.getloadavg()[0]
            origin_cpu0 = cpu_seconds(origin_pid)
            t0 = time.monotonic()
            start = [viewer.snapshot() for viewer in viewers]
            spy = _start_py_spy(viewers[0], args, count, run_index)
            time.sleep(args.duration)
            end = [viewer.snapshot() for viewer in viewers]
            window_s = time.monotonic() - t0
            origin_cpu = cpu_seconds(origin_pid) - origin_cpu0
            load_end = os.getloadavg()[0]
            if spy is not None:
                spy.wait(60)
        finally:
            codes = [viewer.stop() for viewer in viewers]
    delays = [d["delay_s"] for d in publish_delays(workdir / "live" / STREAM)]
    per_viewer = [_delta(e, s, window_s) for s, e in zip(start, end, strict=True)]
    return _case_figures(count, run_index, window_s, per_viewer, codes) | {
        "origin_cpu_share": round(origin_cpu / window_s, 3),
        "publish_delay_max_s": max(delays, default=None),
        "load1_start": round(load_start, 1),
        "load1_end": round(load_end, 1),
    }


def _wait_started(viewers: list[Viewer], deadline: float) -> None:
    """Until every viewer handles SIGUSR1 (its loop runs); on a loaded machine at autogroup 19
    importing aiortc alone can take many seconds. Polled: another process's state."""
    for viewer in viewers:
        while not viewer.catches_usr1():
            if viewer.process.poll() is not None:
                raise RuntimeError(f"{viewer.name} exited: {viewer.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{viewer.name} did not start: {viewer.log_tail()}")
            time.sleep(0.2)


def _start_py_spy(
    viewer: Viewer, args: argparse.Namespace, count: int, run_index: int
) -> subprocess.Popen[bytes] | None:
    if args.py_spy is None:
        return None
    args.py_spy.mkdir(parents=True, exist_ok=True)
    out = args.py_spy / f"{args.label}-n{count}-r{run_index}.collapsed"
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    argv = [
        exe, "record", "--pid", str(viewer.process.pid), "--duration", str(int(args.duration)),
        "--format", "raw", "--nonblocking", "--output", str(out),
    ]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _case_figures(
    count: int, run_index: int, window_s: float, per_viewer: list[dict[str, Any]], codes: list[int]
) -> dict[str, Any]:
    cpu = sum(v["cpu_s"] for v in per_viewer)
    http = sum(v["bytes_from_http"] for v in per_viewer)
    peers = sum(v["bytes_from_peers"] for v in per_viewer)
    uploaded = sum(v["bytes_uploaded"] for v in per_viewer)
    relayed = peers + uploaded
    per_second = [v["cpu_per_stream_s"] for v in per_viewer]
    frames: dict[str, int] = {}
    for v in per_viewer:
        for way, counts in v["frames"].items():
            for kind, n in counts.items():
                frames[f"{way} {kind}"] = frames.get(f"{way} {kind}", 0) + n
    frames_total = sum(frames.values())
    return {
        "viewers": count,
        "run": run_index,
        "window_s": round(window_s, 2),
        # CPU seconds one viewer spends per second of stream (= share of one core).
        "cpu_per_viewer_per_stream_s": round(cpu / (count * window_s), 4),
        "cpu_per_viewer_max": max(per_second),
        # All viewers' CPU over the bytes they moved between peers (each relayed byte counts at
        # the sender and at the receiver: MB sent + MB received).
        "cpu_s_per_MB_relayed": round(cpu / (relayed / MB), 3) if relayed else None,
        "cpu_s_per_MB_all": round(cpu / ((relayed + http) / MB), 3) if relayed + http else None,
        "offload": round(peers / (peers + http), 4) if peers + http else None,
        "MB_from_http": round(http / MB, 3),
        "MB_from_peers": round(peers / MB, 3),
        "MB_uploaded": round(uploaded / MB, 3),
        # Data-channel messages (sent + received) per viewer per second, and all of them by
        # way and type over the window (None: the code measured did not count them).
        "frames_per_viewer_s": round(frames_total / (count * window_s), 2) if frames else None,
        "frames": dict(sorted(frames.items())),
        "stalls": sum(v["stalls"] for v in per_viewer),
        "missed_deadlines": sum(v["missed_deadlines"] for v in per_viewer),
        "exit_codes": sorted(set(codes)),
        "per_viewer": per_viewer,
    }


SUMMARY_KEYS = (
    "cpu_per_viewer_per_stream_s", "cpu_per_viewer_max", "cpu_s_per_MB_relayed",
    "cpu_s_per_MB_all", "offload", "frames_per_viewer_s", "stalls", "origin_cpu_share",
    "publish_delay_max_s",
)  # fmt: skip
WORST_IS_LOW = ("offload",)


def summarize(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per viewer count: median and worst of each figure over the runs."""
    rows = []
    for count in sorted({c["viewers"] for c in cases}):
        runs = [c for c in cases if c["viewers"] == count and "error" not in c]
        row: dict[str, Any] = {"viewers": count, "runs": len(runs)}
        for key in SUMMARY_KEYS:
            values = [c[key] for c in runs if c.get(key) is not None]
            if not values:
                continue
            worst = min(values) if key in WORST_IS_LOW else max(values)
            row[key] = {"median": round(statistics.median(values), 4), "worst": worst}
        rows.append(row)
    return rows


def markdown(report: dict[str, Any]) -> str:
    s = report["settings"]
    lines = [
        f"# viewers bench: {report['label']} ({report['time']})",
        "",
        f"`{report['command']}`; git {report['git']}; ladder {s['ladder']} at {s['fps']} fps, "
        f"window {s['duration_s']} s after {s['warmup_s']} s warm-up, p2p={not s['no_p2p']}.",
        "",
        "| viewers | runs | CPU/viewer/stream-s median (worst) | busiest viewer | "
        "CPU s per MB relayed | offload | stalls | origin CPU | publish delay max |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]

    def cell(row: dict[str, Any], key: str) -> str:
        value = row.get(key)
        return "-" if value is None else f"{value['median']} ({value['worst']})"

    for row in report["summary"]:
        lines.append(
            f"| {row['viewers']} | {row['runs']} | {cell(row, 'cpu_per_viewer_per_stream_s')} | "
            f"{cell(row, 'cpu_per_viewer_max')} | {cell(row, 'cpu_s_per_MB_relayed')} | "
            f"{cell(row, 'offload')} | {cell(row, 'stalls')} | {cell(row, 'origin_cpu_share')} | "
            f"{cell(row, 'publish_delay_max_s')} |"
        )
    lines += ["", "Runs:", ""]
    for case in report["cases"]:
        if "error" in case:
            lines.append(f"- n={case['viewers']} run {case['run']}: failed: {case['error'][:200]}")
            continue
        lines.append(
            f"- n={case['viewers']} run {case['run']}: CPU/viewer/s "
            f"{case['cpu_per_viewer_per_stream_s']}, "
            f"per MB relayed {case['cpu_s_per_MB_relayed']}, "
            f"offload {case['offload']}, MB http/peers/up {case['MB_from_http']}/"
            f"{case['MB_from_peers']}/{case['MB_uploaded']}, stalls {case['stalls']}, "
            f"frames/viewer/s {case['frames_per_viewer_s']}, "
            f"load1 {case['load1_start']}-{case['load1_end']}"
        )
    return "\n".join(lines) + "\n"


def _git_head() -> str:
    result = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    return result.stdout.strip() or "unknown"


def run(args: argparse.Namespace) -> int:
    if not in_private_netns():
        return _reexec_in_netns()
    # SIGTERM unwinds like Ctrl-C: the viewers and the origin are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    cases = []
    for run_index in range(1, args.runs + 1):
        for count in (int(n) for n in args.viewers.split(",")):
            try:
                case = run_case(count, run_index, args)
            except RuntimeError as exc:  # one broken run must not lose the others
                print(f"viewers bench: n={count} run {run_index} failed: {exc}", flush=True)
                cases.append({"viewers": count, "run": run_index, "error": str(exc)})
                continue
            print(
                f"viewers bench: n={count} run {run_index}: "
                f"{case['cpu_per_viewer_per_stream_s']} CPU s per viewer per stream-s, "
                f"{case['cpu_s_per_MB_relayed']} CPU s per MB relayed, offload {case['offload']}",
                flush=True,
            )
            cases.append(case)
    report = {
        "benchmark": "viewers",
        "label": args.label,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "git": _git_head(),
        "command": "swarmcast bench viewers " + " ".join(sys.argv[sys.argv.index("viewers") + 1 :]),
        "host": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "autogroup": _autogroup(),
        "settings": {
            "ladder": args.ladder,
            "fps": args.fps,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "join_window_s": args.join_window,
            "no_p2p": args.no_p2p,
            "upload_rate": args.upload_rate,
            "peer_args": args.peer_arg,
        },
        "summary": summarize(cases),
        "cases": cases,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"viewers-{args.label}-{time.strftime('%Y%m%d-%H%M%S')}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    stem.with_suffix(".md").write_text(markdown(report))
    print(f"viewers bench: wrote {stem}.json / .md")
    return 0


def _autogroup() -> str | None:
    with contextlib.suppress(OSError):
        return Path("/proc/self/autogroup").read_text().strip()
    return None
