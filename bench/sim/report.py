"""The Markdown summary of a `swarmcast bench sim` run (the JSON beside it has every run)."""

from __future__ import annotations

from typing import Any

from swarmcast.bench.sim.metrics import percentile

PEER_BUCKETS = ((1, 15), (16, 31), (32, 63), (64, 127), (128, 100_000))


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None:
        return "-"
    if pct:
        return f"{100 * float(value):.1f}%"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _dist(summary: dict[str, Any], name: str, pct: bool = False) -> str:
    d = summary.get(name)
    if not d:
        return "-"
    return " / ".join(_fmt(d[k], pct) for k in ("median", "p95", "worst"))


def _cap_bucket(cap: float) -> str:
    low = int(cap * 2) / 2
    return f"{low:g}-{low + 0.5:g}x"


def _breakdown(runs: list[dict[str, Any]]) -> list[str]:
    rows = [
        "| peers | cap | runs | collapses | offload median | stall share median / worst |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    groups: dict[tuple[tuple[int, int], str], list[dict[str, Any]]] = {}
    for r in runs:
        bucket = next(b for b in PEER_BUCKETS if b[0] <= r["peers"] <= b[1])
        groups.setdefault((bucket, _cap_bucket(r["cap_x"])), []).append(r)
    for (bucket, cap), group in sorted(groups.items()):
        offload = percentile([r["offload"] for r in group], 50)
        stalls = [r["stall_share"] for r in group]
        rows.append(
            f"| {bucket[0]}-{bucket[1]} | {cap} | {len(group)} | "
            f"{sum(1 for r in group if r['collapsed'])} | {_fmt(offload, True)} | "
            f"{_fmt(percentile(stalls, 50), True)} / {_fmt(max(stalls), True)} |"
        )
    return rows


def _versus_cdn(adapters: dict[str, Any]) -> list[str]:
    """Seed by seed (same arrivals, same peers): does P2P stall more than CDN-only?"""
    cdn = adapters.get("cdn")
    if cdn is None:
        return []
    cdn_by_seed = {r["seed"]: r for r in cdn["runs"]}
    lines = []
    for adapter, result in adapters.items():
        pairs = [(r, cdn_by_seed[r["seed"]]) for r in result["runs"] if r["seed"] in cdn_by_seed]
        if adapter == "cdn" or not pairs:
            continue
        worse = sum(1 for p2p, ref in pairs if p2p["stall_share"] > ref["stall_share"])
        slower = sum(1 for p2p, ref in pairs if (p2p["ttff_p50"] or 0) > (ref["ttff_p50"] or 0))
        lines.append(
            f"- {adapter} against CDN-only on the same seeds: stalls more in {worse} of "
            f"{len(pairs)}, TTFF p50 later in {slower} of {len(pairs)}."
        )
    return ["", *lines] if lines else []


def _messages(adapters: dict[str, Any]) -> list[str]:
    """Peer messages each viewer sent per stream-second, by wire type (median / p95 / worst
    over the seeds; worst = the most)."""
    rows = [
        "",
        "Peer messages sent per viewer per stream-second (median / p95 / worst over the seeds):",
        "",
        "| adapter | HAVE_PIECES | HAVE_DELTA | REQUEST | PIECE |",
        "| --- | --- | --- | --- | --- |",
    ]
    shown = False
    for adapter, result in adapters.items():
        summary = result["summary"]
        if adapter == "cdn" or "have_pieces_per_member_s" not in summary:
            continue
        shown = True
        cells = [
            _dist(summary, f"{kind}_per_member_s")
            for kind in ("have_pieces", "have_delta", "request", "piece")
        ]
        rows.append(f"| {adapter} | {' | '.join(cells)} |")
    return rows if shown else []


def markdown_report(report: dict[str, Any], trace_files: list[str]) -> str:
    s = report["settings"]
    lines = [
        f"# Swarm simulator: {s['scenario']}, {s['peers']} peers, cap {s['cap_x']}x, "
        f"{s['seeds']} seeds (from {s['seed_base']})",
        "",
        f"{report['time']}; adapters {', '.join(s['adapters'])}; overrides {s['set'] or '-'}, "
        f"scheduler {s['sched'] or '-'}; {report['wall_s']} s wall on {report['host']['cpus']} "
        f"CPUs ({s['jobs']} jobs).",
        "",
        "Figures are median / p95 / worst over the seeds (for offload p95 is the 5th "
        "percentile). Stall share = stalled time / watch time after the first frame; a viewer "
        "that never started counts its whole stay as stalled and as its TTFF. A collapse "
        "is a 10 s window with offload < 20% in which at least half the origin bytes are "
        "redundant copies (the swarm holds the segment or already asked the origin for it).",
        "",
        "| adapter | runs | offload | offload of bound | stall share | stalls | TTFF p50 (s) "
        "| TTFF p95 (s) | origin fetches / segment | never started | collapses | wall (s) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for adapter, result in report["adapters"].items():
        summary = result["summary"]
        lines.append(
            f"| {adapter} | {summary['runs']} | {_dist(summary, 'offload', True)} | "
            f"{_dist(summary, 'offload_of_bound', True)} | "
            f"{_dist(summary, 'stall_share', True)} | {_dist(summary, 'stalls')} | "
            f"{_dist(summary, 'ttff_p50')} | {_dist(summary, 'ttff_p95')} | "
            f"{_dist(summary, 'origin_fetches_per_segment_mean')} | "
            f"{summary['not_started']} of {summary['viewers']} | "
            f"{summary['collapses']} | {result['wall_s']} |"
        )
    lines += _versus_cdn(report["adapters"])
    lines += _messages(report["adapters"])
    for adapter, result in report["adapters"].items():
        summary = result["summary"]
        lines += ["", f"## {adapter}: by audience and origin cap", ""]
        lines += _breakdown(result["runs"])
        if summary["collapsed_seeds"]:
            shown = ", ".join(str(seed) for seed in summary["collapsed_seeds"][:30])
            lines += ["", f"Collapsed seeds: {shown}{' ...' if summary['collapses'] > 30 else ''}"]
        if summary["unknown_actions"]:
            lines += ["", f"**Unrouted scheduler actions** (simulator needs a route): "
                      f"{summary['unknown_actions']}"]  # fmt: skip
    if trace_files:
        lines += ["", "Traces of the worst runs: " + ", ".join(trace_files)]
    return "\n".join(lines) + "\n"
