"""From a lab run's raw record to per-phase and per-swarm figures (pure: no I/O, no clock);
per-viewer figures are `e2e.lab.viewer_metrics`, the numeric helpers `e2e.lab.numbers`.

Definitions (the same for P2P and CDN-only phases):
- HTTP bytes: media + init segment bodies the page fetched over the network (resource timing,
  so the shim's own fetches, Range requests included, count too); peer bytes: the shim's
  verified `p2pBytes`. Offload = peer / (peer + HTTP). Playlists and integrity records are
  not media; they show up in the origin's measured egress instead.
- Bound: the origin must send every segment at least once per rendition, so offload ≤ 1 - 1/N
  for N viewers of a rendition (Python peers count: they are in the swarm).
- Time to first frame: navigation start → first presented frame (requestVideoFrameCallback).
- Stall: after the first frame, from a `waiting` event (or 1 s without currentTime progress
  while not paused) until currentTime moves again; stalls < 0.5 s apart are one. Waits while
  seeking are counted apart.
- Stall share of watch time: frozen seconds / watch seconds, summed over a phase's browsers.
  A viewer watches from its first frame until it leaves (one that never shows a frame has no
  watch time: see `playing` and TTFF). Frozen = stalled plus waiting while seeking: nobody
  seeks in the lab, so a seek is hls.js jumping (to the live edge, over a hole), mostly out
  of a stall, and the picture stays frozen all the same (`stalls`/`stall_s` leave them out).
- TTFF p50: the median of the browsers' times to first frame.
- Live latency: wall clock - hls.js `playingDate` (EXT-X-PROGRAM-DATE-TIME of the playhead),
  from 4 s after the first frame.
- Origin publish delay: a segment's file time minus its capture end (`e2e.lab.origin_publish`);
  median and max over the segments published during the phase. Stalls of a phase whose origin
  fell behind real time are the origin's, whatever the viewers do.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Callable
from typing import Any

from swarmcast.e2e.lab.numbers import median, percentile, ratio
from swarmcast.e2e.lab.origin_publish import LAB_SEGMENT_S, publish_summary, real_time_limit_s
from swarmcast.e2e.lab.viewer_metrics import summarize_browser, summarize_python_peer

# Callers import these from here too (the module they lived in before the split).
__all__ = [
    "BUCKET_S", "SETTLE_S", "evaluate_targets", "percentile", "phase_series", "summarize",
    "summarize_browser", "summarize_phase", "summarize_python_peer",
]  # fmt: skip

BUCKET_S = 5.0
SETTLE_S = 16.0  # after the last join, until the swarm counts as settled


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    """Summaries of every phase plus the P2P-vs-CDN comparison and the issue's targets."""
    segment_s = float(raw.get("stream", {}).get("target_duration_s") or LAB_SEGMENT_S)
    origin_index = _origin_index(raw)
    phases = [
        summarize_phase(phase, raw.get("links", []), raw.get("cpu", []), origin_index)
        for phase in raw.get("phases", [])
    ]
    for summary, phase in zip(phases, raw.get("phases", []), strict=True):
        summary["origin_publish"] = publish_summary(
            raw.get("origin_segments") or [], float(phase["start_wall"]), float(phase["end_wall"])
        )
    by_name = {p["name"]: p for p in phases}
    separate_signaling = bool(raw.get("config", {}).get("separate_signaling"))
    return {
        "scenario": raw.get("scenario"),
        # Scenario variants get their own row in SUMMARY.md.
        "label": f"{raw.get('scenario')}" + (" (signaling apart)" if separate_signaling else ""),
        "separate_signaling": separate_signaling,
        "segment_s": segment_s,
        "egress_cap_kbit": raw.get("egress_cap_kbit"),
        "renditions": raw.get("stream", {}).get("renditions", []),
        "phases": phases,
        "targets": evaluate_targets(raw.get("scenario", ""), by_name, segment_s),
    }


def summarize_phase(
    phase: dict[str, Any],
    links: list[dict[str, Any]],
    cpu: list[dict[str, Any]],
    origin_index: int | None,
) -> dict[str, Any]:
    start, end = float(phase["start_wall"]), float(phase["end_wall"])
    records = phase.get("viewers", [])
    browsers = [summarize_browser(r, start) for r in records if r["kind"] == "browser"]
    peers = [summarize_python_peer(r) for r in records if r["kind"] == "python"]
    spec = phase.get("spec", {})
    audience = int(spec.get("viewers", len(browsers))) + int(spec.get("python_peers", len(peers)))
    p2p = sum(v["p2p_bytes"] for v in browsers)
    http = sum(v["http_media_bytes"] for v in browsers)
    swarm_p2p = p2p + sum(p["p2p_bytes"] for p in peers)
    swarm_http = http + sum(p["http_bytes"] for p in peers)
    ttffs = [v["ttff_s"] for v in browsers if v["ttff_s"] is not None]
    latencies = [v["latency_median_s"] for v in browsers if v["latency_median_s"] is not None]
    uploads = [v["uploaded_bytes"] for v in browsers]
    watch_s = sum(v["watch_s"] for v in browsers)
    stall_s = sum(v["stall_s"] for v in browsers)
    frozen_s = sum(v["frozen_s"] for v in browsers)
    egress = _origin_egress(links, origin_index, start, end)
    series = phase_series(phase, links, origin_index, browsers)
    return {
        "name": phase.get("spec", {}).get("name"),
        "p2p": bool(spec.get("p2p")),
        "duration_s": round((end - start) / 1000, 1),
        "browsers": len(browsers),  # every browser that took part (churn: more than at once)
        "concurrent_browsers": int(spec.get("viewers", len(browsers))),
        "python_peers": len(peers),
        "audience": audience,
        "bound": _bound(audience),
        "offload": ratio(p2p, p2p + http),
        "offload_settled": series["offload_settled"],
        "offload_swarm": ratio(swarm_p2p, swarm_p2p + swarm_http),
        "http_media_bytes": http,
        "p2p_bytes": p2p,
        "origin_egress_bytes": egress["bytes"],
        "origin_egress_mbps": egress["mbps"],
        "playing": sum(1 for v in browsers if v["plays"]),
        "ttff_median_s": median(ttffs),
        "ttff_p50_s": median(ttffs),
        "ttff_max_s": max(ttffs) if ttffs else None,
        "stalls": sum(v["stall_count"] for v in browsers),
        "stall_s": round(stall_s, 2),
        "stall_ratio": ratio(stall_s, watch_s),
        "frozen_s": round(frozen_s, 2),
        "stall_share": ratio(frozen_s, watch_s),
        "watch_s": round(watch_s, 1),
        "viewers_stalled": sum(1 for v in browsers if v["stall_count"]),
        "seek_waits": sum(v["seek_waits"] for v in browsers),
        "latency_median_s": median(latencies),
        "latency_max_s": max(latencies) if latencies else None,
        "latency_start_median_s": median(
            [v["latency_start_s"] for v in browsers if v["latency_start_s"] is not None]
        ),
        "playback_speed_median": median(
            [v["playback_speed"] for v in browsers if v["playback_speed"] is not None]
        ),
        "upload_min_bytes": min(uploads) if uploads else None,
        "upload_median_bytes": median(uploads),
        "upload_max_bytes": max(uploads) if uploads else None,
        "verification_failures": sum(v["verification_failures"] for v in browsers)
        + sum(p["verification_failures"] for p in peers),
        # Python viewers play a simulated playhead: its stalls and missed deadlines.
        "python_stalls": sum(p["stalls"] for p in peers),
        "python_missed_deadlines": sum(p["missed_deadlines"] for p in peers),
        "cpu": _cpu_summary(cpu, start, end),
        "viewers": browsers,
        "python": peers,
        "series": series,
    }


def phase_series(
    phase: dict[str, Any],
    links: list[dict[str, Any]],
    origin_index: int | None,
    browsers: list[dict[str, Any]],
) -> dict[str, Any]:
    """Time series for the plots, in seconds since the phase started."""
    start, end = float(phase["start_wall"]), float(phase["end_wall"])
    records = [r for r in phase.get("viewers", []) if r["kind"] == "browser"]
    # Whole buckets inside the phase (samples taken while viewers leave are left out).
    buckets = max(1, math.floor((end - start) / 1000 / BUCKET_S + 0.2))
    p2p = [0.0] * buckets
    http = [0.0] * buckets
    buffers: dict[str, list[list[float]]] = {}
    for record in records:
        points: list[list[float]] = []
        for sample in record.get("samples", []):
            t = (float(sample["wall"]) - start) / 1000
            if sample.get("bufferedAhead") is not None and sample.get("firstFrameWall"):
                points.append([round(t, 2), round(float(sample["bufferedAhead"]), 2)])
        buffers[record["viewer"]] = points
        _add_deltas(record.get("samples", []), _browser_counters, start, p2p, http)
    peers = [r for r in phase.get("viewers", []) if r["kind"] == "python"]
    swarm_p2p, swarm_http = list(p2p), list(http)
    for record in peers:
        _add_deltas(record.get("samples", []), _peer_counters, start, swarm_p2p, swarm_http)
    times = [round((i + 0.5) * BUCKET_S, 1) for i in range(buckets)]
    present = [_present(records + peers, start, t) for t in times]
    # Once everyone has joined and started (join window + SETTLE_S): the swarm's steady state.
    settled_from = float(phase.get("spec", {}).get("join_window_s", 0)) + SETTLE_S
    settled = [i for i, t in enumerate(times) if t - BUCKET_S / 2 >= settled_from]
    settled_p2p = sum(p2p[i] for i in settled)
    settled_http = sum(http[i] for i in settled)
    return {
        "t": times,
        "offload_settled": ratio(settled_p2p, settled_p2p + settled_http),
        "offload": _ratios(p2p, http),
        "offload_swarm": _ratios(swarm_p2p, swarm_http) if peers else None,
        "bound": [_bound(n) for n in present],
        "audience": present,
        "origin_mbps": _egress_series(links, origin_index, start, times),
        "buffers": buffers,
        "stalls": {v["viewer"]: v["stalls"] for v in browsers},
    }


def evaluate_targets(
    scenario: str, phases: dict[str, dict[str, Any]], segment_s: float
) -> list[dict[str, Any]]:
    """The issue's targets for this scenario: what was asked, what was measured, met or not."""
    p2p, cdn = phases.get("p2p"), phases.get("cdn")
    targets: list[dict[str, Any]] = []

    def add(name: str, target: str, measured: str, met: bool | None) -> None:
        targets.append({"name": name, "target": target, "measured": measured, "met": met})

    if p2p is None:
        return targets
    if scenario == "steady":
        add("offload", f">= 85% (bound {_pct(p2p['bound'])})",
            f"{_pct(p2p['offload'])}; after the joins {_pct(p2p['offload_settled'])}",
            p2p["offload"] is not None and p2p["offload"] >= 0.85)  # fmt: skip
    if scenario in ("steady", "churn", "smoke"):
        add("P2P stalls", "0", f"{p2p['stalls']} ({p2p['stall_s']} s)", p2p["stalls"] == 0)
    if scenario == "steady" and cdn is not None:
        a, b = p2p["ttff_median_s"], cdn["ttff_median_s"]
        add("time to first frame", "P2P <= CDN-only + 10%", f"{_s(a)} vs {_s(b)}",
            None if a is None or b is None else a <= b * 1.1)  # fmt: skip
        a, b = p2p["latency_median_s"], cdn["latency_median_s"]
        start = (
            f"; at start {_s(p2p['latency_start_median_s'])} vs {_s(cdn['latency_start_median_s'])}"
        )
        add("live latency", f"P2P <= CDN-only + {segment_s:g} s", f"{_s(a)} vs {_s(b)}{start}",
            None if a is None or b is None else a <= b + segment_s)  # fmt: skip
    if scenario == "flash" and cdn is not None:
        add("flash-crowd stalls", "P2P 0 where CDN-only stalls",
            f"P2P {p2p['stalls']} ({p2p['stall_s']} s), CDN-only {cdn['stalls']} "
            f"({cdn['stall_s']} s)", p2p["stalls"] == 0)  # fmt: skip
    if scenario == "scale":
        add("offload (swarm)", f"near bound {_pct(p2p['bound'])}", _pct(p2p["offload_swarm"]),
            None)  # fmt: skip
    _origin_real_time(phases, segment_s, add)
    return targets


def _origin_real_time(
    phases: dict[str, dict[str, Any]], segment_s: float, add: Callable[..., None]
) -> None:
    """Whether the run measured the swarm at all (origin_publish.real_time_limit_s; the lab's
    origin shares the machine's cores with the viewers: LabConfig.origin_nice)."""
    limit = real_time_limit_s(segment_s)
    worst: list[str] = []
    met: bool | None = None
    for name, phase in phases.items():
        late = (phase.get("origin_publish") or {}).get("max_s")
        if late is None:
            continue
        gap = (phase.get("cpu") or {}).get("sample_gap_max_s") or 0
        paused = ""
        if gap >= MACHINE_PAUSE_S:
            paused = f" (no CPU sample for {gap:g} s: the machine paused)"
        worst.append(f"{name} {late:g} s{paused}")
        met = (met is not False) and late <= limit
    if worst:
        add("origin in real time", f"publish delay max <= {limit:g} s in every phase",
            ", ".join(worst), met)  # fmt: skip


# --- helpers --------------------------------------------------------------------------------


def _browser_counters(sample: dict[str, Any]) -> tuple[float, float]:
    http = sample.get("http") or {}
    shim = sample.get("shim") or {}
    return float(shim.get("p2pBytes") or 0), float(http.get("media", 0) + http.get("init", 0))


def _peer_counters(sample: dict[str, Any]) -> tuple[float, float]:
    return float(sample.get("bytes_from_peers") or 0), float(sample.get("bytes_from_http") or 0)


def _add_deltas(
    samples: list[dict[str, Any]],
    counters: Callable[[dict[str, Any]], tuple[float, float]],
    start: float,
    p2p: list[float],
    http: list[float],
) -> None:
    """Adds each sample's byte increase (peer, HTTP) to the bucket it fell in."""
    previous: tuple[float, float] | None = None
    for sample in samples:
        t = (float(sample["wall"]) - start) / 1000
        current = counters(sample)
        if previous is not None and 0 <= t < len(p2p) * BUCKET_S:
            index = int(t // BUCKET_S)
            p2p[index] += max(0.0, current[0] - previous[0])
            http[index] += max(0.0, current[1] - previous[1])
        previous = current


def _ratios(p2p: list[float], http: list[float]) -> list[float | None]:
    return [ratio(p, p + h) if p + h > 0 else None for p, h in zip(p2p, http, strict=True)]


def _present(records: list[dict[str, Any]], start: float, t: float) -> int:
    wall = start + t * 1000
    return sum(
        1
        for r in records
        if float(r["joined_wall"]) <= wall and (r.get("left_wall") is None or wall < r["left_wall"])
    )


def _origin_index(raw: dict[str, Any]) -> int | None:
    for index, host in raw.get("hosts", {}).items():
        if host.get("role") == "origin":
            return int(index)
    return None


def _origin_sent(sample: dict[str, Any], origin_index: int | None) -> float | None:
    pair = sample.get("hosts", {}).get(str(origin_index))
    return float(pair[0]) if pair else None


def _origin_egress(
    links: list[dict[str, Any]], origin_index: int | None, start: float, end: float
) -> dict[str, Any]:
    inside = [s for s in links if start <= float(s["wall"]) <= end]
    points = [(float(s["wall"]), _origin_sent(s, origin_index)) for s in inside]
    points = [(w, b) for w, b in points if b is not None]
    if len(points) < 2:
        return {"bytes": None, "mbps": None}
    sent = points[-1][1] - points[0][1]  # type: ignore[operator]
    seconds = (points[-1][0] - points[0][0]) / 1000
    return {"bytes": int(sent), "mbps": round(sent * 8 / 1e6 / seconds, 3) if seconds else None}


def _egress_series(
    links: list[dict[str, Any]], origin_index: int | None, start: float, times: list[float]
) -> list[float | None]:
    points = [(float(s["wall"]), _origin_sent(s, origin_index)) for s in links]
    points = [(w, b) for w, b in points if b is not None]
    series: list[float | None] = []
    for t in times:
        lo, hi = start + (t - BUCKET_S / 2) * 1000, start + (t + BUCKET_S / 2) * 1000
        window = [(w, b) for w, b in points if lo <= w <= hi]
        if len(window) < 2 or window[-1][0] == window[0][0]:
            series.append(None)
            continue
        sent = window[-1][1] - window[0][1]  # type: ignore[operator]
        series.append(round(sent * 8 / 1e6 / ((window[-1][0] - window[0][0]) / 1000), 3))
    return series


# A gap this long between two CPU samples (taken every 2 s) means the machine stopped: the whole
# VM was paused by its host (session 17: 38 s without a sample, load average unchanged across it,
# and every segment of that time published 38 s late), not a CPU-starved origin.
MACHINE_PAUSE_S = 10.0


def _cpu_summary(cpu: list[dict[str, Any]], start: float, end: float) -> dict[str, Any]:
    inside = [s for s in cpu if start <= float(s["wall"]) <= end]
    if not inside:
        return {}
    roles = sorted({role for s in inside for role in s.get("roles", {})})
    walls = [float(s["wall"]) for s in inside]
    gap_ms = max((later - earlier for earlier, later in itertools.pairwise(walls)), default=0.0)
    return {
        "machine_mean_pct": round(statistics.fmean(s["machine"] for s in inside), 1),
        "machine_max_pct": round(max(s["machine"] for s in inside), 1),
        "load1_max": round(max(s["load1"] for s in inside), 2),
        "sample_gap_max_s": round(gap_ms / 1000, 1),
        "roles_mean_pct_of_core": {
            role: round(statistics.fmean(s["roles"].get(role, 0.0) for s in inside), 1)
            for role in roles
        },
    }


def _bound(audience: int) -> float | None:
    return round(1 - 1 / audience, 4) if audience > 0 else None


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"
