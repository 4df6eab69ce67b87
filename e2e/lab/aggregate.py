"""Repeated lab runs of one scenario cell (`bench lab --runs N`, `--matrix flash`): median and
worst run of each figure, P2P beside CDN-only (pure: no I/O, no clock).

"Worst" is per figure: the highest stall share, stall count, TTFF and latency, the lowest
offload. A run that failed (no summary) counts in `failed` and in no median.
"""

from __future__ import annotations

import statistics
from typing import Any

# figure -> (key in a phase summary of e2e.lab.metrics, which direction is better)
FIGURES: dict[str, tuple[str, str]] = {
    "stall_share": ("stall_share", "low"),
    "stalls": ("stalls", "low"),
    "stall_s": ("stall_s", "low"),
    "offload": ("offload", "high"),
    "ttff_p50_s": ("ttff_p50_s", "low"),
    "latency_s": ("latency_median_s", "low"),
    "playing": ("playing", "high"),
}
PHASES = ("p2p", "cdn")


def run_figures(summary: dict[str, Any] | None) -> dict[str, dict[str, Any]] | None:
    """The figures of one run (its metrics summary), per phase name; None for a failed run."""
    if not summary or not summary.get("phases"):
        return None
    figures: dict[str, dict[str, Any]] = {}
    for phase in summary["phases"]:
        name = phase.get("name")
        if name not in PHASES:
            continue
        figures[name] = {figure: phase.get(key) for figure, (key, _) in FIGURES.items()}
        figures[name]["viewers"] = phase.get("browsers")
    return figures


def median_and_worst(values: list[float | None], better: str) -> dict[str, float | None]:
    """Median and worst of the runs that have the figure (None values are left out)."""
    present = [float(v) for v in values if v is not None]
    if not present:
        return {"median": None, "worst": None, "n": 0}
    worst = max(present) if better == "low" else min(present)
    return {"median": round(statistics.median(present), 4), "worst": worst, "n": len(present)}


def aggregate_cell(runs: list[dict[str, dict[str, Any]] | None]) -> dict[str, Any]:
    """Median and worst per phase and figure over a cell's runs (run_figures of each)."""
    done = [run for run in runs if run is not None]
    result: dict[str, Any] = {"runs": len(runs), "failed": len(runs) - len(done)}
    for phase in PHASES:
        per_figure: dict[str, Any] = {}
        for figure, (_, better) in FIGURES.items():
            values = [run.get(phase, {}).get(figure) for run in done if phase in run]
            per_figure[figure] = median_and_worst(values, better)
        result[phase] = per_figure
    return result
