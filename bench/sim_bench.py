"""Swarm simulator: seeded flash crowds / steady audiences against a congested origin.

`swarmcast bench sim --scenario flash --peers 8-100 --seeds 200 --cap-x 2-4 [--jobs 2]` runs
the real pure scheduler of every simulated viewer (see `bench/sim/`) once per seed and reports
the distribution (median, p95, worst) of offload, stall share, TTFF and origin copies per
segment, and the number of collapses (offload < 20% for >= 10 s while the swarm already has
or is fetching the segments). `--peers` and `--cap-x` take a value, a range `A-B` (drawn per
seed) or a list `A,B,C` (cycled). `--adapter shim,cdn` runs the same seeds P2P and CDN-only.
Writes `bench/results/sim-<scenario>-<timestamp>.json` and `.md`; `--trace-worst` adds the
per-second series and decision log of the worst run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

from swarmcast.bench.sim import compiled
from swarmcast.bench.sim.config import SimConfig
from swarmcast.bench.sim.explain import explain
from swarmcast.bench.sim.report import markdown_report
from swarmcast.bench.sim.runner import aggregate, decision_digest, run_one
from swarmcast.bench.sim.swarm import Swarm

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"
SCENARIO_DEFAULTS = {
    "flash": {"arrival_window_s": 10.0, "duration_s": 90.0},
    "steady": {"arrival_window_s": 60.0, "duration_s": 120.0},
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", choices=("flash", "steady"), default="flash")
    parser.add_argument("--peers", default="8", help="viewers: N, A-B (per seed) or A,B,C")
    parser.add_argument("--seeds", type=int, default=100, help="runs (seeds 1..K)")
    parser.add_argument("--seed-base", type=int, default=1, help="first seed")
    parser.add_argument("--cap-x", default="3", help="origin cap / bitrate: X, A-B or A,B,C")
    parser.add_argument("--arrival-window", type=float, default=None, help="seconds")
    parser.add_argument("--duration", type=float, default=None, help="simulated seconds")
    parser.add_argument("--adapter", default="shim", help="shim, peer, cdn, or a list: shim,cdn")
    parser.add_argument("--catchup", type=float, default=None, help="hls.js live catch-up (s)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="SimConfig override"
    )
    parser.add_argument(
        "--sched", action="append", default=[], metavar="NAME=VALUE", help="scheduler override"
    )
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument(
        "--compiled",
        action="store_true",
        help="run the simulator and scheduler compiled with mypyc (~3x faster, same results; "
        "the first run after a source change builds it, ~1 min)",
    )
    parser.add_argument(
        "--time-budget",
        type=float,
        default=None,
        help="stop starting runs after this many seconds and report the seeds done so far "
        "(keeps a run inside the heavy lock's 10 minutes)",
    )
    parser.add_argument("--trace-worst", action="store_true", help="write the worst run's trace")
    parser.add_argument(
        "--progress",
        action="store_true",
        help="print each run's state every 10 simulated seconds to stderr (long runs)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results directory")


def _parse_value(text: str) -> Any:
    """JSON, else a comma-separated list of numbers (`peer_down_x=1.5,4`), else the text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    if "," in text:
        try:
            return [float(part) for part in text.split(",")]
        except ValueError:
            pass
    return text


def _pairs(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"expected NAME=VALUE, got {item!r}")
        parsed = _parse_value(value)
        out[name] = tuple(parsed) if isinstance(parsed, list) else parsed
    return out


def pick(spec: str, seed: int, index: int, *, integer: bool) -> float:
    """A value from `X`, a range `A-B` (uniform, drawn from the seed) or a list `A,B,C`."""
    if "," in spec:
        values = [float(v) for v in spec.split(",")]
        return values[index % len(values)]
    low, sep, high = spec.partition("-")
    if not sep:
        return float(spec)
    rng = random.Random(f"{spec}/{seed}")
    if integer:
        return float(rng.randint(int(low), int(high)))
    return round(rng.uniform(float(low), float(high)), 2)


def configs(args: argparse.Namespace, adapter: str) -> list[tuple[SimConfig, int]]:
    base = SimConfig(
        scenario=args.scenario,
        catchup_latency_s=args.catchup,
        scheduler=_pairs(args.sched),
        **{
            **SCENARIO_DEFAULTS[args.scenario],
            **({"arrival_window_s": args.arrival_window} if args.arrival_window else {}),
            **({"duration_s": args.duration} if args.duration else {}),
        },
    ).with_overrides({"adapter": adapter, **_pairs(args.set)})
    out = []
    for i in range(args.seeds):
        seed = args.seed_base + i
        peers = int(pick(args.peers, seed, i, integer=True))
        cap = pick(args.cap_x, seed, i, integer=False)
        out.append((base.with_overrides({"peers": peers, "cap_x": cap}), seed))
    return out


_PROGRESS = False
"""`--progress`: set by `run` before the runs start (forked workers inherit it)."""


def _print_progress(swarm: Swarm) -> None:
    rec, b = swarm.rec, int(swarm.q.now)
    print(
        f"sim progress: seed {swarm.seed} ({swarm.cfg.adapter}, {swarm.cfg.peers} viewers) "
        f"t={b} s cpu {time.process_time():.0f} s: playing {rec.playing_viewers[b]} "
        f"stalled {rec.stalled_viewers[b]}, origin in flight {swarm.origin.in_flight} "
        f"(refused {swarm.origin.refused}), requests outstanding {swarm.http_outstanding}",
        file=sys.stderr,
        flush=True,
    )


def _run_job(job: tuple[SimConfig, int]) -> dict[str, Any]:
    """One seed; with its decision digest (compare two reports seed by seed) and CPU time."""
    config, seed = job
    started = time.process_time()
    run = run_one(config, seed, progress=_print_progress if _PROGRESS else None)
    run["digest"] = decision_digest(run)[:16]
    run["cpu_s"] = round(time.process_time() - started, 3)
    return run


def _run_all(
    jobs: list[tuple[SimConfig, int]], workers: int, budget: float | None, started: float
) -> list[dict[str, Any]]:
    """Runs in seed order; with a budget, the runs finished when it is spent (a prefix)."""

    def over() -> bool:
        return budget is not None and time.monotonic() - started > budget

    runs: list[dict[str, Any]] = []
    if workers <= 1:
        for job in jobs:
            if over():
                break
            runs.append(_run_job(job))
        return runs
    pool = multiprocessing.get_context("fork").Pool(workers)
    try:
        for result in pool.imap(_run_job, jobs):
            runs.append(result)
            if over():
                break
    finally:
        pool.terminate()
        pool.join()
    return runs


def _worst(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return max(runs, key=lambda r: (r["collapse_s"], r["stall_share"], -r["offload"]))


def run(args: argparse.Namespace) -> int:
    if args.compiled and not os.environ.get(compiled.ENV):
        return compiled.rerun(sys.argv[3:], args.out.resolve())
    global _PROGRESS
    _PROGRESS = args.progress
    adapters = [a.strip() for a in args.adapter.split(",") if a.strip()]
    results: dict[str, Any] = {}
    started = time.monotonic()
    traces: dict[str, dict[str, Any]] = {}
    for adapter in adapters:
        jobs = configs(args, adapter)
        t0 = time.monotonic()
        runs = _run_all(jobs, args.jobs, args.time_budget, started)
        wall = time.monotonic() - t0
        events = sum(r["events"] for r in runs)
        summary = aggregate(runs)
        results[adapter] = {
            "summary": summary,
            "wall_s": round(wall, 2),
            "cpu_s": round(sum(r["cpu_s"] for r in runs), 2),
            "events": events,
            "events_per_s": round(events / wall) if wall > 0 else None,
            "config": jobs[0][0].to_json() if jobs else None,
            "runs": runs,
        }
        print(
            f"sim {args.scenario} [{adapter}]: {len(runs)} of {len(jobs)} runs in {wall:.1f} s; "
            f"offload median {summary.get('offload', {}).get('median')} "
            f"(of bound {summary.get('offload_of_bound', {}).get('median')}, worst "
            f"{summary.get('offload_of_bound', {}).get('worst')}), "
            f"stall share median {summary.get('stall_share', {}).get('median')} "
            f"worst {summary.get('stall_share', {}).get('worst')}, "
            f"collapses {summary['collapses']}",
            flush=True,
        )
        if summary["unknown_actions"]:
            print(f"sim: UNROUTED scheduler actions: {summary['unknown_actions']}", flush=True)
        if args.trace_worst and runs:
            worst = _worst(runs)
            config = next(c for c, s in jobs if s == worst["seed"])
            traces[adapter] = run_one(config, worst["seed"], trace=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    report = {
        "benchmark": "sim",
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "settings": {
            "scenario": args.scenario,
            "peers": args.peers,
            "cap_x": args.cap_x,
            "seeds": args.seeds,
            "seed_base": args.seed_base,
            "adapters": adapters,
            "jobs": args.jobs,
            "time_budget_s": args.time_budget,
            "set": args.set,
            "sched": args.sched,
            "command": "swarmcast bench sim " + " ".join(sys.argv[3:]),
            "compiled": Path(os.environ[compiled.ENV]).name if args.compiled else None,
        },
        "wall_s": round(time.monotonic() - started, 2),
        "adapters": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"sim-{args.scenario}-{stamp}.json"
    path.write_text(json.dumps(report, indent=1) + "\n")
    trace_paths = []
    for adapter, trace in traces.items():
        trace_path = args.out / f"sim-{args.scenario}-{stamp}-{adapter}-seed{trace['seed']}.json"
        trace_path.write_text(json.dumps(trace) + "\n")
        trace_paths.append(trace_path.name)
    md = args.out / f"sim-{args.scenario}-{stamp}.md"
    text = markdown_report(report, trace_paths)
    for adapter, trace in traces.items():
        text += f"\n## Worst {adapter} run, second by second\n\n" + explain(trace, every_s=3)
    md.write_text(text)
    print(f"sim: wrote {path} and {md.name}")
    return 0
