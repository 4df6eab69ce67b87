"""Swarm lab: Chromium viewers in network namespaces, P2P against CDN-only and the 1 - 1/N bound.

`swarmcast bench lab --scenario steady|flash|churn|scale|all [--duration S] [--viewers N]`
(`--scenario realistic`: NATs, access caps and ABR, bench/realistic_bench.py; not in `all`)
writes `bench/results/<scenario>-<timestamp>.{json,png,md}` and refreshes
`bench/results/SUMMARY.md`. `--runs N` repeats a scenario and `--matrix flash` runs issue 8's
flash-crowd cells (bench/lab_matrix.py): median and worst per cell. Needs root (`ip netns`),
Debian's chromium, and the shim built.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from swarmcast.bench.lab_matrix import (
    MATRICES,
    MIN_MATRIX_RUNS,
    cell_config,
    cell_name,
    run_matrix,
    select_cells,
)
from swarmcast.bench.lab_scenarios import SCENARIOS, scenario_config
from swarmcast.e2e.lab.config import BROWSER_MODES, REPO_ROOT, LabConfig
from swarmcast.e2e.lab.metrics import summarize
from swarmcast.e2e.lab.netns import remove_stale_namespaces
from swarmcast.e2e.lab.report import table, targets_table, write_results
from swarmcast.e2e.lab.runner import run_lab

RESULTS_DIR = REPO_ROOT / "bench" / "results"
log = logging.getLogger("bench.lab")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", choices=(*SCENARIOS, "realistic", "all"), default="all")
    parser.add_argument(
        "--scenario-file", type=Path, metavar="TOML",
        help="realistic: the scenario file (default bench/scenarios/realistic.toml)",
    )  # fmt: skip
    parser.add_argument("--duration", type=float, help="seconds per phase (scenario default)")
    parser.add_argument("--viewers", type=int, help="Chromium viewers (scenario default)")
    parser.add_argument("--python-peers", type=int, help="Python viewers (scale: 26)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results directory")
    parser.add_argument(
        "--origin-arg", action="append", default=None, metavar="ARG",
        help="replace the extra `swarmcast serve` arguments (repeat; default: "
        "--source synthetic --ladder 640x360@700)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=1, help="join-time randomness")
    parser.add_argument(
        "--separate-signaling", action="store_true",
        help="run `swarmcast signaling` on its own host (default: attached to the origin)",
    )  # fmt: skip
    parser.add_argument(
        "--page-edge", action="store_true",
        help="browser pages load through the production edge (nginx: TLS, HTTP/2, caching; "
        "LabConfig.page_edge), not from the origin's plain-HTTP listener",
    )  # fmt: skip
    parser.add_argument(
        "--from-raw", type=Path, metavar="RAW_JSON",
        help="no run: summarize a kept raw record (var/lab/<run>/raw.json) into --out again",
    )  # fmt: skip
    parser.add_argument(
        "--cap-x", type=float, metavar="X",
        help="cap the origin's egress at X times the top rendition's bitrate (flash: 3)",
    )  # fmt: skip
    parser.add_argument(
        "--arrival-window", type=float, metavar="S",
        help="viewers join within S seconds (0 = all at once; scenario default)",
    )  # fmt: skip
    parser.add_argument(
        "--origin-nice", type=_nice_or_none, metavar="N|none",
        help="the origin's CPU priority (LabConfig.origin_nice; flash, steady, churn: -10)",
    )  # fmt: skip
    parser.add_argument(
        "--prelaunch", action="store_true",
        help="launch a phase's browsers before it starts; each opens the page at its join",
    )  # fmt: skip
    parser.add_argument(
        "--browser-mode", choices=BROWSER_MODES, default="processes",
        help="one Chromium process per viewer (default), or all viewers as contexts of one",
    )  # fmt: skip
    parser.add_argument(
        "--warmup",
        type=float,
        metavar="S",
        help="with --runs/--matrix: one unmeasured run first, phases of S seconds (lab_matrix.py)",
    )
    parser.add_argument(
        "--runs", type=int, metavar="N",
        help="repeat the scenario N times (also 1): every run's files plus median/worst per figure",
    )  # fmt: skip
    parser.add_argument(
        "--matrix", choices=sorted(MATRICES),
        help=f"run a matrix of cells, each --runs times (at least {MIN_MATRIX_RUNS})",
    )  # fmt: skip
    parser.add_argument(
        "--cells", metavar="NAMES",
        help="with --matrix: only these cells (comma-separated names, e.g. 2x-10s,3x-at-once)",
    )  # fmt: skip
    parser.add_argument(
        "--lock", type=Path, metavar="FILE",
        help="with --runs/--matrix: hold an exclusive flock on FILE during each run",
    )  # fmt: skip
    parser.add_argument(
        "--timeline", action="store_true",
        help="record every viewer's shim timeline; results get a JSON and a plot per viewer",
    )  # fmt: skip
    parser.add_argument(
        "--cleanup", action="store_true",
        help="only remove namespaces left by killed lab runs (every run does this first)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    if os.geteuid() != 0:
        print("bench lab: needs root (ip netns, tc)", file=sys.stderr)
        return 1
    if args.from_raw:
        return 0 if write_from_raw(args.from_raw, args.out) else 1
    if args.cleanup:
        print("removed:", " ".join(remove_stale_namespaces()) or "nothing")
        return 0
    if args.scenario == "realistic":  # NATs, capped access links, ABR: its own runner
        from swarmcast.bench.realistic_bench import run as run_realistic

        return run_realistic(args)
    if args.cells and not args.matrix:
        print("bench lab: --cells needs --matrix", file=sys.stderr)
        return 2
    if args.matrix or args.runs is not None:
        return run_repeated(args)
    names = SCENARIOS if args.scenario == "all" else (args.scenario,)
    failures = 0
    for name in names:
        config = config_from_args(name, args)
        try:
            failures += 0 if run_scenario(config, args.out) else 1
        except (KeyboardInterrupt, asyncio.CancelledError):
            log.error("lab %s interrupted (namespaces and processes removed)", name)
            return 130
    return 1 if failures else 0


def _nice_or_none(text: str) -> int | str:
    """`--origin-nice`: a nice value, or "none" (the lab's own priority)."""
    return "none" if text == "none" else int(text)


def config_from_args(name: str, args: argparse.Namespace) -> LabConfig:
    """The scenario's config with the command line's overrides."""
    overrides: dict[str, Any] = {"seed": args.seed, "browser_mode": args.browser_mode}
    if args.separate_signaling:
        overrides["separate_signaling"] = True
    if args.timeline:
        overrides["timeline"] = True
    if args.origin_arg is not None:
        overrides["origin_args"] = tuple(args.origin_arg)
    if args.cap_x is not None:
        overrides["egress_cap_x_top"] = args.cap_x
    if args.origin_nice is not None:
        overrides["origin_nice"] = None if args.origin_nice == "none" else args.origin_nice
    if args.prelaunch:
        overrides["prelaunch_browsers"] = True
    if args.page_edge:
        overrides["page_edge"] = True
    return scenario_config(
        name, duration_s=args.duration, viewers=args.viewers, python_peers=args.python_peers,
        join_window_s=args.arrival_window, **overrides,
    )  # fmt: skip


def run_repeated(args: argparse.Namespace) -> int:
    """`--runs N` of one scenario, or `--matrix NAME` (every cell `max(N, 3)` times)."""
    if args.matrix:
        base = config_from_args("flash", args)
        try:
            chosen = select_cells(args.matrix, args.cells)
        except ValueError as error:
            print(f"bench lab: {error}", file=sys.stderr)
            return 2
        cells = [(cell.name, cell_config(cell, base)) for cell in chosen]
        kind, runs = f"matrix-{args.matrix}", max(args.runs or 0, MIN_MATRIX_RUNS)
    else:
        if args.scenario == "all" or args.runs < 1:
            print("bench lab: --runs N needs N >= 1 and one --scenario", file=sys.stderr)
            return 2
        config = config_from_args(args.scenario, args)
        cells, kind, runs = [(cell_name(config), config)], f"runs-{args.scenario}", args.runs
    try:
        path = run_matrix(
            kind, cells, runs, args.out, run_lab_raw, lock=args.lock, warmup_s=args.warmup
        )
    except (KeyboardInterrupt, asyncio.CancelledError):
        log.error("lab %s interrupted (finished runs and the partial table are kept)", kind)
        return 130
    print(path.with_suffix(".md").read_text())
    print("results:", path, path.with_suffix(".md"))
    document = json.loads(path.read_text())
    return 1 if any(r.get("error") for c in document["cells"] for r in c["runs"]) else 0


def run_scenario(config: LabConfig, out_dir: Path) -> bool:
    """Run one scenario, write its results, print its table. False if the lab itself failed."""
    raw = run_raw(config)
    if raw is None:
        return False
    return write_from_raw(Path(raw["workdir"]) / "raw.json", out_dir, raw)


def run_raw(config: LabConfig) -> dict[str, Any] | None:
    """`run_lab_raw`, or None (and a log line) if the lab itself failed."""
    try:
        return run_lab_raw(config)
    except Exception as exc:
        log.error("lab %s failed: %s", config.scenario, exc)
        return None


def run_lab_raw(config: LabConfig) -> dict[str, Any]:
    """One lab run; its raw record, also kept as `raw.json` beside the run's logs for
    re-analysis with --from-raw. Raises what made the lab itself fail."""
    log.info("lab %s: %s", config.scenario, [dataclasses.asdict(p) for p in config.phases])
    raw = asyncio.run(_run_cancellable(config))
    (Path(raw["workdir"]) / "raw.json").write_text(json.dumps(raw))
    return raw


def write_from_raw(raw_path: Path, out_dir: Path, raw: dict[str, Any] | None = None) -> bool:
    """Summaries, results files and the printed table, from a run's raw record."""
    try:
        raw = raw if raw is not None else json.loads(raw_path.read_text())
        summary = summarize(raw)
        paths = write_results(raw, summary, out_dir)
    except Exception:
        log.exception("lab: could not write results (raw record: %s)", raw_path)
        return False
    print(table(summary["phases"], summary))
    if summary["targets"]:
        print(targets_table(summary["targets"]))
    print("results:", ", ".join(str(p) for p in paths.values()))
    return True


async def _run_cancellable(config: LabConfig) -> dict[str, Any]:
    """SIGTERM cancels the run like Ctrl-C does, so the lab still tears itself down."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    assert task is not None
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await run_lab(config)
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
