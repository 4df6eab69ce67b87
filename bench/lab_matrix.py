"""Repeated lab runs: `bench lab --runs N` (one cell, N runs) and `bench lab --matrix flash` (the
flash-crowd cells of issue 8, each at least 3 runs), with median and worst per cell.

Each run is a whole lab run (P2P phase then CDN-only phase on one stream), bounded and torn
down by the runner whatever happens. Its files (results JSON/PNG/MD, timelines if recorded, the
raw record gzipped) go to `<out>/<kind>-<stamp>/<cell>/run-<k>/`; the aggregate
(`<out>/<kind>-<stamp>.json` and `.md`) is rewritten after every run, so an interrupted matrix
still leaves every finished run and a table of what completed. With `--lock FILE`, every run holds
an exclusive flock on FILE (a machine-wide "heavy" lock) while it runs, and only then.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import gzip
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swarmcast.e2e.lab.aggregate import aggregate_cell, cell_targets, run_figures
from swarmcast.e2e.lab.config import LabConfig
from swarmcast.e2e.lab.metrics import summarize
from swarmcast.e2e.lab.report import matrix_markdown, write_results

log = logging.getLogger("bench.lab")

MIN_MATRIX_RUNS = 3
# A cell whose runs fail this many times in a row is given up (the next cell still runs).
MAX_CONSECUTIVE_FAILURES = 2


@dataclass(frozen=True)
class Cell:
    """One scenario variant: origin cap (x the top bitrate), arrival window, browser mode."""

    name: str
    cap_x: float
    arrival_window_s: float
    browser_mode: str = "processes"
    scenario: str = "flash"


MATRICES: dict[str, tuple[Cell, ...]] = {
    # Issue 8: 3x over 10 s (a browser per viewer, then contexts of one browser), 2x over
    # 10 s, 3x all at once, 4x over 30 s.
    "flash": (
        Cell("3x-10s-processes", 3.0, 10.0),
        Cell("3x-10s-contexts", 3.0, 10.0, "contexts"),
        Cell("2x-10s", 2.0, 10.0),
        Cell("3x-at-once", 3.0, 0.0),
        Cell("4x-30s", 4.0, 30.0),
    ),
}


def select_cells(matrix: str, names: str | None) -> tuple[Cell, ...]:
    """The matrix's cells named in `names` (comma-separated; None: all), in the matrix's order, so
    a rerun of some cells (after a fix) costs only those runs."""
    cells = MATRICES[matrix]
    if names is None:
        return cells
    wanted = {n.strip() for n in names.split(",") if n.strip()}
    unknown = wanted - {c.name for c in cells}
    if unknown or not wanted:
        known = ", ".join(c.name for c in cells)
        raise ValueError(f"unknown cells {sorted(unknown)} of matrix {matrix} (cells: {known})")
    return tuple(c for c in cells if c.name in wanted)


def cell_name(config: LabConfig) -> str:
    """A name for a CLI-built cell: scenario, cap, arrival window, browser mode."""
    window = max((p.join_window_s for p in config.phases), default=0.0)
    cap = f"{config.egress_cap_x_top:g}x" if config.egress_cap_x_top else "uncapped"
    return f"{config.scenario}-{cap}-{window:g}s-{config.browser_mode}"


def cell_config(cell: Cell, base: LabConfig) -> LabConfig:
    """`base` (the scenario with the CLI's overrides) with the cell's cap, window and mode."""
    phases = tuple(dataclasses.replace(p, join_window_s=cell.arrival_window_s) for p in base.phases)
    return dataclasses.replace(
        base, phases=phases, egress_cap_x_top=cell.cap_x, browser_mode=cell.browser_mode
    )


@contextlib.contextmanager
def held_lock(path: Path | None) -> Iterator[None]:
    """An exclusive flock on `path` for the duration (nothing when None)."""
    if path is None:
        yield
        return
    with path.open("a") as handle:
        started = time.monotonic()
        fcntl.flock(handle, fcntl.LOCK_EX)
        log.info("lock %s taken after %.0f s", path, time.monotonic() - started)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


RunRaw = Callable[[LabConfig], "dict[str, Any] | None"]


def run_matrix(
    kind: str,
    cells: list[tuple[str, LabConfig]],
    runs: int,
    out_root: Path,
    run_raw: RunRaw,
    lock: Path | None = None,
    stamp: str | None = None,
    warmup_s: float | None = None,
) -> Path:
    """Run every cell `runs` times (seed + k for run k); returns the aggregate JSON's path.

    `warmup_s`: first one unmeasured run of the first cell with phases of that many seconds
    (files under `warm-up/`, in no aggregate). Without it the first run of an invocation came
    out worst: in 10 of the 13 three-run sets of the at-once cell in bench/results, run 1's P2P
    TTFF p50 was the highest of the three (chance: about 4), its P2P pages often slow already
    from launch to navigation, before any P2P code ran (bench/results/flash-crowd/README.md,
    session 14)."""
    stamp = stamp or time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    base = _new_dir(out_root, f"{kind}-{stamp}")
    state: list[dict[str, Any]] = [
        {"name": name, "config": _config_json(config), "runs": [], "aggregate": aggregate_cell([])}
        for name, config in cells
    ]
    if warmup_s is not None and cells:
        config = cells[0][1]
        short = [
            dataclasses.replace(
                p, duration_s=max(warmup_s, p.join_window_s + 10), churn_every_s=None
            )
            for p in config.phases
        ]
        log.info("%s: warm-up run (%s, phases of %g s, not measured)", kind, cells[0][0], warmup_s)
        warmup = _one_run(
            dataclasses.replace(config, phases=tuple(short)), base / "warm-up", run_raw, lock
        )
        if warmup.get("error"):
            log.warning("warm-up run failed: %s", warmup["error"])
    for (name, config), cell in zip(cells, state, strict=True):
        failures_in_a_row = 0
        for k in range(runs):
            if failures_in_a_row >= MAX_CONSECUTIVE_FAILURES:
                log.error("cell %s: %d runs failed in a row; skipping the rest", name, k)
                break
            run_dir = base / name / f"run-{k + 1}"
            run_config = dataclasses.replace(config, seed=config.seed + k)
            log.info("%s: cell %s, run %d of %d", kind, name, k + 1, runs)
            entry = _one_run(run_config, run_dir, run_raw, lock)
            failures_in_a_row = 0 if entry["figures"] is not None else failures_in_a_row + 1
            cell["runs"].append(entry)
            figures = [r["figures"] for r in cell["runs"]]
            cell["aggregate"] = aggregate_cell(figures)
            cell["targets"] = cell_targets(config.egress_cap_x_top, figures)
            write_aggregate(base, kind, stamp, state)
    return write_aggregate(base, kind, stamp, state)


def _new_dir(root: Path, name: str) -> Path:
    """`root/name`, or `root/name-2`, `-3`... if taken: two matrices started in the same second
    (e.g. one cell per process, interleaving on the lock) must not share one aggregate."""
    root.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        path = root / (name if n == 1 else f"{name}-{n}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{root / name}: 999 directories of that name already")


def _one_run(
    config: LabConfig, run_dir: Path, run_raw: RunRaw, lock: Path | None
) -> dict[str, Any]:
    """One lab run and its files; failures are recorded, never raised (but Ctrl-C is)."""
    entry: dict[str, Any] = {"dir": str(run_dir), "seed": config.seed, "figures": None}
    started = time.time()
    try:
        with held_lock(lock):
            raw = run_raw(config)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # the run is bounded and tore itself down: record and go on
        log.exception("lab run failed")
        raw, entry["error"] = None, str(exc)[:500]
    entry["seconds"] = round(time.time() - started, 1)
    if raw is None:
        entry.setdefault("error", "the lab run failed (see the log)")
        return entry
    run_dir.mkdir(parents=True, exist_ok=True)
    with gzip.open(run_dir / "raw.json.gz", "wt") as handle:
        json.dump(raw, handle)
    try:
        summary = summarize(raw)
        write_results(raw, summary, run_dir)
    except Exception as exc:
        log.exception("could not summarize %s", run_dir)
        entry["error"] = f"summary failed: {exc}"[:500]
        return entry
    entry["figures"] = run_figures(summary)
    return entry


def write_aggregate(base: Path, kind: str, stamp: str, cells: list[dict[str, Any]]) -> Path:
    """`<base>.json` (every run's figures + median/worst per cell) and `<base>.md` (the table)."""
    document = {"kind": f"swarmcast-lab-{kind}", "timestamp": stamp, "cells": cells}
    json_path = base.with_name(base.name + ".json")
    json_path.write_text(json.dumps(document, indent=1) + "\n")
    done = sum(len(c["runs"]) for c in cells)
    lines = [
        f"# Lab {kind} ({stamp})",
        "",
        "Each figure: median / worst run. Stall share = stalled s / watch s (first frame to "
        "leave) over a phase's viewers; TTFF p50 = median time to first frame; latency = "
        "median live latency. P2P and CDN-only phases of a run share one stream.",
        "",
        matrix_markdown(cells),
        "",
        f"{done} runs so far; every run's files: `{base.name}/<cell>/run-<k>/`.",
        "",
    ]
    for cell in cells:
        if cell.get("targets"):
            met = "; ".join(
                f"{t['target']}: {'yes' if t['met'] else '**no**'}"
                + (f" (worst {_worst(t)})" if t["worst"] is not None else "")
                for t in cell["targets"]
            )
            lines.append(f"- {cell['name']} targets over its runs: {met}")
    for cell in cells:
        failed = [r for r in cell["runs"] if r.get("error")]
        for run in failed:
            lines.append(f"- {cell['name']} {Path(run['dir']).name}: failed: {run['error']}")
    base.with_name(base.name + ".md").write_text("\n".join(lines) + "\n")
    return json_path


def _config_json(config: LabConfig) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(config), default=str))
    return data


def _worst(target: dict[str, Any]) -> str:
    """A cell target's worst run: seconds for the origin's publish delay, else a share."""
    if target["target"].startswith("origin in real time"):
        return f"{target['worst']:g} s"
    return f"{target['worst'] * 100:.1f}%"
