"""Lab results on disk: `<scenario>-<timestamp>.json` (summary + series), a small PNG, a Markdown
table per run, and `SUMMARY.md` with the latest run of every scenario."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: no display in the lab or CI
import matplotlib.pyplot as plt

from swarmcast.e2e.lab.timeline_report import write_timelines

SCENARIO_ORDER = ("steady", "flash", "churn", "scale", "smoke")
LAB_KIND = "swarmcast-lab"  # marks lab result files among other benchmarks' in bench/results


def write_results(
    raw: dict[str, Any], summary: dict[str, Any], out_dir: Path, stamp: str | None = None
) -> dict[str, Path]:
    """Write the run's JSON, PNG and Markdown; refresh SUMMARY.md. Returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = stamp or time.strftime("%Y%m%d-%H%M%S", time.gmtime(raw["started_wall"] / 1000))
    base = out_dir / f"{summary['scenario']}-{stamp}"
    document = {
        "kind": LAB_KIND,
        "scenario": summary["scenario"],
        "timestamp": stamp,
        "config": raw.get("config"),
        "stream": raw.get("stream"),
        "egress_cap_kbit": raw.get("egress_cap_kbit"),
        "events": {p["spec"]["name"]: p["events"] for p in raw.get("phases", [])},
        "summary": summary,
    }
    paths = {
        "json": base.with_suffix(".json"),
        "png": base.with_suffix(".png"),
        "md": base.with_suffix(".md"),
    }
    paths["json"].write_text(json.dumps(document, indent=1) + "\n")
    timelines = write_timelines(raw, out_dir / f"{base.name}-timeline")
    if timelines is not None:
        paths["timelines"] = timelines
    plot(summary, paths["png"])
    paths["md"].write_text(run_markdown(summary, stamp, paths["png"].name))
    write_summary(out_dir)
    return paths


def plot(summary: dict[str, Any], path: Path) -> None:
    """Offload vs bound, origin egress, and each phase's buffer levels with stalls shaded."""
    phases = summary["phases"]
    rows = 2 + len(phases)
    fig, axes = plt.subplots(rows, 1, figsize=(8, 1.9 * rows), sharex=True, squeeze=False)
    ax_offload, ax_egress = axes[0][0], axes[1][0]
    for phase in phases:
        series = phase["series"]
        if phase["p2p"]:
            label = f"{phase['name']} offload" + (
                " (browsers)" if series.get("offload_swarm") else ""
            )
            ax_offload.plot(series["t"], _nan(series["offload"]), label=label)
            if series.get("offload_swarm"):
                ax_offload.plot(series["t"], _nan(series["offload_swarm"]), label="swarm offload")
            ax_offload.plot(series["t"], _nan(series["bound"]), "k--", lw=1, label="bound 1-1/N")
        ax_egress.plot(series["t"], _nan(series["origin_mbps"]), label=phase["name"])
    ax_offload.set_ylim(0, 1)
    ax_offload.set_ylabel("offload")
    ax_offload.legend(loc="lower right", fontsize=7)
    ax_offload.set_title(_title(summary), fontsize=9)
    if summary.get("egress_cap_kbit"):
        ax_egress.axhline(summary["egress_cap_kbit"] / 1000, color="r", lw=1, ls=":", label="cap")
    ax_egress.set_ylabel("origin Mbit/s")
    ax_egress.legend(loc="upper right", fontsize=7)
    for row, phase in enumerate(phases, start=2):
        ax = axes[row][0]
        series = phase["series"]
        for viewer, points in series["buffers"].items():
            if points:
                ax.plot([p[0] for p in points], [p[1] for p in points], lw=0.8, label=viewer)
            for start, end in series["stalls"].get(viewer, []):
                ax.axvspan(start, max(end, start + 0.3), color="r", alpha=0.3)
        ax.set_ylabel(f"{phase['name']}\nbuffer s")
        ax.text(0.01, 0.85, f"stalls: {phase['stalls']} ({phase['stall_s']} s)",
                transform=ax.transAxes, fontsize=7, color="r")  # fmt: skip
    axes[-1][0].set_xlabel("seconds since the phase started")
    fig.tight_layout()
    fig.savefig(path, dpi=56)
    plt.close(fig)


def run_markdown(summary: dict[str, Any], stamp: str, png_name: str) -> str:
    label = summary.get("label", summary["scenario"])
    lines = [f"# lab: {label} ({stamp})", "", table(summary["phases"], summary), ""]
    if summary.get("targets"):
        lines += [targets_table(summary["targets"]), ""]
    lines += [f"![{summary['scenario']}]({png_name})", ""]
    return "\n".join(lines)


TABLE_HEAD = (
    "| scenario | phase | viewers | offload | bound | origin Mbit/s | stalls (s) | "
    "stall share | TTFF p50 | latency median | playback speed | upload min-max MB | "
    "verify fails | CPU % (load) |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def table(phases: list[dict[str, Any]], summary: dict[str, Any], with_head: bool = True) -> str:
    rows = [TABLE_HEAD] if with_head else []
    for p in phases:
        viewers = str(p.get("concurrent_browsers", p["browsers"]))
        if p["browsers"] > int(viewers):
            viewers += f" ({p['browsers']} in all)"
        if p["python_peers"]:
            viewers += f" + {p['python_peers']} py"
        offload = _pct(p["offload"])
        if p.get("offload_settled") is not None:
            offload += f" ({_pct(p['offload_settled'])} settled)"
        if p["python_peers"]:
            offload += f" (swarm {_pct(p['offload_swarm'])})"
        upload = f"{_mb(p['upload_min_bytes'])}-{_mb(p['upload_max_bytes'])}" if p["p2p"] else "-"
        label = summary.get("label", summary["scenario"])
        rows.append(
            f"| {label} | {p['name']} | {viewers} | {offload if p['p2p'] else '-'} "
            f"| {_pct(p['bound']) if p['p2p'] else '-'} | {_num(p['origin_egress_mbps'])} "
            f"| {p['stalls']} ({p['stall_s']:g}) | {_pct(p.get('stall_share'))} "
            f"| {_sec(p['ttff_median_s'])} "
            f"| {_sec(p['latency_median_s'])} | {_num(p.get('playback_speed_median'))} "
            f"| {upload} | {p['verification_failures']} "
            f"| {_num(p['cpu'].get('machine_mean_pct'))} ({_num(p['cpu'].get('load1_max'))}) |"
        )
    return "\n".join(rows)


def targets_table(targets: list[dict[str, Any]]) -> str:
    rows = ["| target | asked | measured | met |", "| --- | --- | --- | --- |"]
    for t in targets:
        met = {True: "yes", False: "**no**", None: "n/a"}[t["met"]]
        rows.append(f"| {t['name']} | {t['target']} | {t['measured']} | {met} |")
    return "\n".join(rows)


MATRIX_HEAD = (
    "| cell | runs (failed) | P2P stall share | CDN stall share | P2P stalls | CDN stalls "
    "| P2P offload | P2P TTFF p50 | CDN TTFF p50 | P2P latency | CDN latency |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def matrix_markdown(cells: list[dict[str, Any]]) -> str:
    """One row per cell; every figure as `median / worst` over the cell's runs."""
    rows = [MATRIX_HEAD]
    for cell in cells:
        agg = cell["aggregate"]
        p2p, cdn = agg["p2p"], agg["cdn"]
        rows.append(
            f"| {cell['name']} | {agg['runs']} ({agg['failed']}) "
            f"| {_pair(p2p['stall_share'], _pct)} | {_pair(cdn['stall_share'], _pct)} "
            f"| {_pair(p2p['stalls'], _num)} | {_pair(cdn['stalls'], _num)} "
            f"| {_pair(p2p['offload'], _pct)} "
            f"| {_pair(p2p['ttff_p50_s'], _sec)} | {_pair(cdn['ttff_p50_s'], _sec)} "
            f"| {_pair(p2p['latency_s'], _sec)} | {_pair(cdn['latency_s'], _sec)} |"
        )
    return "\n".join(rows)


def _pair(stats: dict[str, Any], fmt: Any) -> str:
    return f"{fmt(stats['median'])} / {fmt(stats['worst'])}"


def write_summary(out_dir: Path) -> Path:
    """SUMMARY.md: the latest run of each scenario, one table, then each scenario's targets."""
    latest: dict[str, dict[str, Any]] = {}
    for path in sorted(out_dir.glob("*-*.json")):  # names sort by timestamp within a scenario
        document = _lab_document(path)
        if document is not None:
            latest[document["summary"].get("label", document["scenario"])] = document
    order = sorted(latest, key=lambda label: (_rank(latest[label]["scenario"]), label))
    documents = [latest[s] for s in order]
    lines = ["# Swarm lab: latest results", ""]
    lines.append("Made by `swarmcast bench lab` (README, Benchmarks). Each row is one phase of")
    lines.append("the latest run of a scenario; P2P and CDN-only phases share one stream.")
    lines += ["", TABLE_HEAD]
    for doc in documents:
        lines.append(table(doc["summary"]["phases"], doc["summary"], with_head=False))
    for doc in documents:
        if doc["summary"].get("targets"):
            label = doc["summary"].get("label", doc["scenario"])
            lines += ["", f"**{label}** ({doc['timestamp']}, "
                      f"[plot]({doc['scenario']}-{doc['timestamp']}.png))", ""]  # fmt: skip
            lines.append(targets_table(doc["summary"]["targets"]))
    path = out_dir / "SUMMARY.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def _rank(scenario: str) -> int:
    return SCENARIO_ORDER.index(scenario) if scenario in SCENARIO_ORDER else len(SCENARIO_ORDER)


def _lab_document(path: Path) -> dict[str, Any] | None:
    """The lab result in `path`, or None for other benchmarks' files (or unreadable ones)."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("kind", LAB_KIND) != LAB_KIND:
        return None
    summary = document.get("summary")
    if not isinstance(summary, dict) or "phases" not in summary or "scenario" not in document:
        return None
    return document


def _title(summary: dict[str, Any]) -> str:
    renditions = ", ".join(
        f"{r.get('name')} {round((r.get('bandwidth') or 0) / 1000)} kb/s"
        for r in summary.get("renditions", [])
    )
    cap = summary.get("egress_cap_kbit")
    title = f"{summary.get('label', summary['scenario'])}: {renditions}"
    return title + (f", origin cap {cap} kbit/s" if cap else "")


def _nan(values: list[float | None]) -> list[float]:
    return [float("nan") if v is None else v for v in values]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _sec(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value / 1e6:.1f}"
