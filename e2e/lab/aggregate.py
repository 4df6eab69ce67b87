"""Repeated lab runs of one scenario cell (`bench lab --runs N`, `--matrix flash`): median and
worst run of each figure, P2P beside CDN-only (pure: no I/O, no clock).

"Worst" is per figure: the highest stall share, stall count, TTFF and latency, the lowest
offload. A run that failed (no summary) counts in `failed` and in no median.
"""

from __future__ import annotations

import statistics
from typing import Any

from swarmcast.e2e.lab.origin_publish import LAB_SEGMENT_S, real_time_limit_s

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
        # How late the origin published (None: not recorded): a late origin is no swarm figure.
        figures[name]["publish_delay_max_s"] = (phase.get("origin_publish") or {}).get("max_s")
        figures[name]["publish_delay_limit_s"] = real_time_limit_s(
            float(summary.get("segment_s") or LAB_SEGMENT_S)
        )
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


def cell_targets(
    cap_x: float | None, runs: list[dict[str, dict[str, Any]] | None]
) -> list[dict[str, Any]]:
    """Issue 8's flash-crowd targets for a cell, judged on its worst run (every run must meet
    them): at 3x cap P2P stalls <= 2% of watch time, offload >= 75%, TTFF p50 <= CDN-only's; at
    2x P2P stalls <= 5% and never more than CDN-only. Other caps have no target."""
    done = [run for run in runs if run is not None and "p2p" in run and "cdn" in run]
    if not done or cap_x is None:
        return []

    def values(phase: str, key: str) -> list[Any]:
        return [run[phase].get(key) for run in done]

    def at_most(a: list[Any], b: list[Any]) -> bool:
        return all(x is not None and y is not None and x <= y for x, y in zip(a, b, strict=True))

    share, offload = values("p2p", "stall_share"), values("p2p", "offload")
    worst_share = max((v for v in share if v is not None), default=None)
    worst_offload = min((v for v in offload if v is not None), default=None)
    targets: list[dict[str, Any]] = []
    if abs(cap_x - 3.0) < 1e-6:
        targets = [
            _target("P2P stall share <= 2%", worst_share, at_most(share, [0.02] * len(done))),
            _target("offload >= 75%", worst_offload, at_most([0.75] * len(done), offload)),
            _target("TTFF p50 <= CDN-only's", None,
                    at_most(values("p2p", "ttff_p50_s"), values("cdn", "ttff_p50_s"))),
        ]  # fmt: skip
    elif abs(cap_x - 2.0) < 1e-6:
        targets = [
            _target("P2P stall share <= 5%", worst_share, at_most(share, [0.05] * len(done))),
            _target("P2P stall share <= CDN-only's", None,
                    at_most(share, values("cdn", "stall_share"))),
        ]  # fmt: skip
    # Not an issue target: whether the runs measured the swarm (metrics._origin_real_time).
    late = [
        (float(run[phase]["publish_delay_max_s"]),
         float(run[phase].get("publish_delay_limit_s") or real_time_limit_s()))
        for run in done for phase in PHASES
        if run[phase].get("publish_delay_max_s") is not None
    ]  # fmt: skip
    if late:
        limit = max(lim for _, lim in late)
        on_time = all(delay <= lim for delay, lim in late)
        name = f"origin in real time (publish delay <= {limit:g} s)"
        targets.append(_target(name, max(delay for delay, _ in late), on_time))
    return targets


def _target(name: str, worst: float | None, met: bool) -> dict[str, Any]:
    return {"target": name, "worst": worst, "met": met}
