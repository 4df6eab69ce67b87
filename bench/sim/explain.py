"""Reads one traced run (`run_one(..., trace=True)`, or a `--trace-worst` file) as Markdown:
the per-second picture (origin and peer bytes, offload, requests outstanding, who went to the
origin and why) and, per segment, every origin fetch of it with its reason, so a collapse can
be read rather than guessed."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any


def explain(run: dict[str, Any], *, every_s: int = 2, segments: int = 8) -> str:
    series = run["series"]
    trace: list[dict[str, Any]] = run["trace"] or []
    reasons_by_bin: dict[int, Counter[str]] = defaultdict(Counter)
    for event in trace:
        if event["event"] == "fetch":
            reasons_by_bin[int(event["t"]) // every_s][event["reason"]] += 1
        elif event["event"].startswith("http_"):
            reasons_by_bin[int(event["t"]) // every_s][event["event"][5:]] += 1
    lines = [
        f"Run: seed {run['seed']}, {run['peers']} viewers, origin cap {run['cap_x']}x: offload "
        f"{100 * run['offload']:.1f}%, stall share {100 * run['stall_share']:.1f}%, TTFF p50 "
        f"{run['ttff_p50']} s, origin copies per segment {run['origin_copies_per_segment_mean']} "
        f"(max {run['origin_fetches_per_segment_max']} fetches), collapsed "
        f"{run['collapse_intervals']}.",
        "",
        "| t (s) | origin kB | of which redundant | peer kB | offload | requests outstanding "
        "| viewers playing / stalled | origin fetches started, by reason |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    n = len(series["peer_bytes"])
    for start in range(0, n, every_s):
        end = min(n, start + every_s)
        origin = sum(series["origin_bytes"][start:end])
        redundant = sum(series["origin_bytes_redundant"][start:end])
        peer = sum(series["peer_bytes"][start:end])
        total = origin + peer
        offload = f"{100 * peer / total:.0f}%" if total else "-"
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(reasons_by_bin[start // every_s].items()))
        lines.append(
            f"| {start}-{end} | {origin / 1000:.0f} | {redundant / 1000:.0f} | {peer / 1000:.0f} "
            f"| {offload} | {max(series['http_requests_outstanding_max'][start:end])} "
            f"| {series['playing_viewers'][start]} / {series['stalled_viewers'][start]} "
            f"| {reasons or '-'} |"
        )
    fetches: dict[int, list[dict[str, Any]]] = defaultdict(list)
    completes: dict[int, list[float]] = defaultdict(list)
    for event in trace:
        if event["event"] == "fetch" or event["event"].startswith("http_"):
            fetches[event["seq"]].append(event)
        elif event["event"] == "complete":
            completes[event["seq"]].append(event["t"])
    lines += ["", "Origin fetches of the first segments (viewer: time, reason, what it knew):", ""]
    for seq in sorted(fetches)[:segments]:
        parts = []
        for e in fetches[seq]:
            if e["event"] == "fetch":
                parts.append(
                    f"v{e['node']} {e['t']:.1f}s {e['reason']} (holders {e['holders']}/"
                    f"{e['neighbours']} nb, swarm {e['swarm_holders']}, due in {e.get('due_in')}, "
                    f"{'playing' if e['playing'] else 'waiting'})"
                )
            else:
                parts.append(f"v{e['node']} {e['t']:.1f}s {e['event'][5:]}")
        done = completes.get(seq, [])
        held = (
            f"first complete at {min(done):.1f}s, {len(done)} viewers by the end"
            if done
            else ("nobody completed it")
        )
        lines.append(f"- seg {seq} ({len(parts)} fetches; {held}): " + "; ".join(parts))
    return "\n".join(lines) + "\n"
