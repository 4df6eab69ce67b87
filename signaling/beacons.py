"""Viewer beacons (docs/protocol.md §4.7) aggregated per stream and rendition: the latest
beacon of every connected viewer plus the folded totals of viewers that left, a short history
of samples for the dashboard, and Prometheus counters fed by the beacons' increments.

Pure apart from Prometheus: time is passed in. Each signaling node aggregates its own viewers;
`merge_summaries` combines nodes' raw aggregates (shared through Redis by operator_plane.py).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from swarmcast.protocol.beacon_schema import PAIR_TYPES, Beacon

# Cumulative beacon counters summed into a stream's totals.
TOTALS = (
    "http_bytes",
    "p2p_bytes",
    "upload_bytes",
    "shadow_saved_bytes",
    "stalls",
    "stall_ms",
    "watch_ms",
    "verify_failures",
    "conn_attempts",
    "conn_successes",
)
BYTE_SOURCES = {
    "http_bytes": "http",
    "p2p_bytes": "p2p",
    "upload_bytes": "upload",
    "shadow_saved_bytes": "shadow_saved",
}
HISTORY_POINTS = 360  # 30 minutes at one sample per 5 s
RAREST_WINDOW = 8  # segments nearest the live edge shown with their holder counts
MIN_WATCH_MS = 5000  # a viewer's bitrate estimate needs this much playback behind it


@dataclass
class Viewer:
    stream: str
    beacon: Beacon
    received_at: float


def _totals(beacon: Beacon) -> dict[str, int]:
    out = {name: int(getattr(beacon, name)) for name in TOTALS}
    for kind in PAIR_TYPES:
        out[f"pair_{kind}"] = beacon.pairs.get(kind, 0)
    return out


def _percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass
class StreamHistory:
    points: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=HISTORY_POINTS))
    last_totals: dict[str, int] | None = None
    last_time: float | None = None
    last_egress: float | None = None


class BeaconBook:
    """Beacons of this node's viewers. `stale_after_s`: a viewer silent that long is left out
    of the live figures (its totals still count)."""

    def __init__(
        self, registry: CollectorRegistry | None = None, *, stale_after_s: float = 60.0
    ) -> None:
        self.stale_after_s = stale_after_s
        self._viewers: dict[str, Viewer] = {}
        self._departed: dict[str, dict[str, int]] = {}
        self._history: dict[str, StreamHistory] = {}
        self._counters: dict[str, Counter] = {}
        if registry is not None:
            self._register(registry)

    def _register(self, registry: CollectorRegistry) -> None:
        self._counters["bytes"] = Counter(
            "swarmcast_viewer_bytes",
            "Viewers' bytes by source (http, p2p, upload, shadow_saved), from beacons",
            ["stream", "rendition", "source"],
            registry=registry,
        )
        self._counters["stalls"] = Counter(
            "swarmcast_viewer_stalls",
            "Viewers' stalls, from beacons",
            ["stream"],
            registry=registry,
        )
        self._counters["stall_seconds"] = Counter(
            "swarmcast_viewer_stall_seconds",
            "Viewers' stall time, from beacons",
            ["stream"],
            registry=registry,
        )
        self._counters["watch_seconds"] = Counter(
            "swarmcast_viewer_watch_seconds",
            "Viewers' time since first frame, from beacons",
            ["stream"],
            registry=registry,
        )
        self._counters["verify_failures"] = Counter(
            "swarmcast_viewer_verification_failures",
            "Pieces or files that failed their signed hash, from beacons",
            ["stream"],
            registry=registry,
        )
        self._counters["connections"] = Counter(
            "swarmcast_viewer_peer_connections",
            "Viewers' neighbour connection attempts and successes",
            ["stream", "result"],
            registry=registry,
        )
        self._counters["pairs"] = Counter(
            "swarmcast_viewer_candidate_pairs",
            "Selected ICE candidate-pair types of viewers' successful connections",
            ["stream", "type"],
            registry=registry,
        )
        registry.register(_ViewerGauges(self))

    # -- updates -----------------------------------------------------------------------------

    def record(
        self, stream: str, peer_id: str, beacon: Beacon, now: float, label: str | None = None
    ) -> None:
        """A viewer's beacon (its counters are cumulative; a smaller one means a new page).
        `label`: the rendition for Prometheus labels, the swarm signaling placed the viewer
        in (a beacon's own claim would let a client mint unbounded label values)."""
        previous = self._viewers.get(peer_id)
        before = _totals(previous.beacon) if previous is not None else None
        after = _totals(beacon)
        if before is not None and any(after[k] < before[k] for k in after):
            self._fold(stream, before)  # the page restarted on the same connection
            before = None
        self._viewers[peer_id] = Viewer(stream, beacon, now)
        if self._counters:
            delta = {k: after[k] - (before[k] if before else 0) for k in after}
            self._count(stream, label or "-", delta)

    def upload_capacity(self, peer_id: str) -> int | None:
        """The upload capacity the viewer's latest beacon reported (None: none yet)."""
        viewer = self._viewers.get(peer_id)
        return None if viewer is None else viewer.beacon.upload_capacity_bps

    def departed(self, peer_id: str) -> None:
        """The viewer's connection closed: its totals stay in the stream's."""
        viewer = self._viewers.pop(peer_id, None)
        if viewer is not None:
            self._fold(viewer.stream, _totals(viewer.beacon))

    def _fold(self, stream: str, totals: dict[str, int]) -> None:
        into = self._departed.setdefault(stream, dict.fromkeys(totals, 0))
        for key, value in totals.items():
            into[key] = into.get(key, 0) + value

    def _count(self, stream: str, rendition: str, delta: dict[str, int]) -> None:
        c = self._counters
        for name, source in BYTE_SOURCES.items():
            if delta[name]:
                c["bytes"].labels(stream, rendition, source).inc(delta[name])
        if delta["stalls"]:
            c["stalls"].labels(stream).inc(delta["stalls"])
        if delta["stall_ms"]:
            c["stall_seconds"].labels(stream).inc(delta["stall_ms"] / 1000)
        if delta["watch_ms"]:
            c["watch_seconds"].labels(stream).inc(delta["watch_ms"] / 1000)
        if delta["verify_failures"]:
            c["verify_failures"].labels(stream).inc(delta["verify_failures"])
        for name, result in (("conn_attempts", "attempt"), ("conn_successes", "success")):
            if delta[name]:
                c["connections"].labels(stream, result).inc(delta[name])
        for kind in PAIR_TYPES:
            if delta[f"pair_{kind}"]:
                c["pairs"].labels(stream, kind).inc(delta[f"pair_{kind}"])

    # -- reading -----------------------------------------------------------------------------

    def live(self, now: float) -> Iterator[tuple[str, Viewer]]:
        for peer_id, viewer in self._viewers.items():
            if now - viewer.received_at <= self.stale_after_s:
                yield peer_id, viewer

    def streams(self) -> set[str]:
        return {v.stream for v in self._viewers.values()} | set(self._departed)

    def raw(self, now: float) -> dict[str, Any]:
        """This node's aggregates in a mergeable form (JSON-ready): per stream, totals and
        the live viewers' latest beacons."""
        out: dict[str, Any] = {}
        for stream in self.streams():
            totals = dict(self._departed.get(stream, {}))
            viewers = []
            for peer_id, viewer in self._viewers.items():
                if viewer.stream != stream:
                    continue
                for key, value in _totals(viewer.beacon).items():
                    totals[key] = totals.get(key, 0) + value
                if now - viewer.received_at <= self.stale_after_s:
                    viewers.append({"peer_id": peer_id, **viewer.beacon.to_json()})
            out[stream] = {"totals": totals, "viewers": viewers}
        return out

    def sample(
        self, summaries: dict[str, dict[str, Any]], now: float, egress_bytes: float | None = None
    ) -> None:
        """Append one history point per stream (rates from the totals' change since the last);
        `egress_bytes`: the origin's response bytes so far (all streams), when known."""
        for stream, summary in summaries.items():
            history = self._history.setdefault(stream, StreamHistory())
            totals = summary["totals"]
            point: dict[str, Any] = {
                "time": now,
                "viewers": summary["viewers"],
                "offload": summary["offload"],
                "offload_bound": summary["offload_bound"],
                "offload_upload_bound": summary["offload_upload_bound"],
                "p2p_viewers": summary["by_mode"].get("on", 0),
            }
            last, last_time = history.last_totals, history.last_time
            if last is not None and last_time is not None and now > last_time:
                span = now - last_time
                http = max(0, totals.get("http_bytes", 0) - last.get("http_bytes", 0))
                p2p = max(0, totals.get("p2p_bytes", 0) - last.get("p2p_bytes", 0))
                point["http_bps"] = http * 8 / span
                point["p2p_bps"] = p2p * 8 / span
                point["interval_offload"] = p2p / (http + p2p) if http + p2p else None
                if egress_bytes is not None and history.last_egress is not None:
                    point["origin_bps"] = max(0.0, egress_bytes - history.last_egress) * 8 / span
            history.points.append(point)
            history.last_totals, history.last_time = dict(totals), now
            history.last_egress = egress_bytes

    def history(self, stream: str) -> list[dict[str, Any]]:
        history = self._history.get(stream)
        return list(history.points) if history else []


def merge_summaries(nodes: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per-stream summaries from one or more nodes' `BeaconBook.raw()` outputs."""
    merged: dict[str, dict[str, Any]] = {}
    for node in nodes:
        for stream, raw in node.items():
            into = merged.setdefault(stream, {"totals": {}, "viewers": []})
            for key, value in raw["totals"].items():
                into["totals"][key] = into["totals"].get(key, 0) + int(value)
            into["viewers"].extend(raw["viewers"])
    return {stream: summarize(raw["totals"], raw["viewers"]) for stream, raw in merged.items()}


def summarize(totals: dict[str, int], viewers: list[dict[str, Any]]) -> dict[str, Any]:
    """The dashboard's figures for one stream."""
    by_rendition: dict[str, int] = {}
    by_mode: dict[str, int] = {}
    by_reason: dict[str, int] = {}
    for v in viewers:
        rendition = v.get("rendition") or "-"
        by_rendition[rendition] = by_rendition.get(rendition, 0) + 1
        by_mode[v["p2p"]] = by_mode.get(v["p2p"], 0) + 1
        if v.get("reason"):
            by_reason[v["reason"]] = by_reason.get(v["reason"], 0) + 1
    http, p2p = totals.get("http_bytes", 0), totals.get("p2p_bytes", 0)
    # Offload bound: in a swarm of n, at least one copy of each segment comes from the origin.
    p2p_counts: dict[str, int] = {}
    for v in viewers:
        if v["p2p"] == "on":
            rendition = v.get("rendition") or "-"
            p2p_counts[rendition] = p2p_counts.get(rendition, 0) + 1
    n = sum(by_rendition.values())
    bound = sum(count - 1 for count in p2p_counts.values()) / n if n else 0.0
    ttffs = [float(v["ttff_ms"]) for v in viewers if v.get("ttff_ms") is not None]
    watch_ms, stall_ms = totals.get("watch_ms", 0), totals.get("stall_ms", 0)
    attempts, successes = totals.get("conn_attempts", 0), totals.get("conn_successes", 0)
    pairs = {kind: totals.get(f"pair_{kind}", 0) for kind in PAIR_TYPES}
    paired = sum(pairs.values())
    latencies = [float(v["latency_ms"]) for v in viewers if v.get("latency_ms") is not None]
    upload = upload_bound(viewers)
    return {
        "viewers": len(viewers),
        "by_rendition": by_rendition,
        "by_mode": by_mode,
        "by_reason": by_reason,
        "totals": totals,
        "offload": p2p / (http + p2p) if http + p2p else 0.0,
        "offload_bound": bound,
        "offload_upload_bound": upload["bound"],
        "upload_bound_by_rendition": upload["renditions"],
        "ttff_p50_ms": _percentile(ttffs, 0.5),
        "ttff_p95_ms": _percentile(ttffs, 0.95),
        "latency_p50_ms": _percentile(latencies, 0.5),
        "rebuffer_ratio": stall_ms / (watch_ms + stall_ms) if watch_ms + stall_ms else 0.0,
        "rebuffers_per_hour": totals.get("stalls", 0) / (watch_ms / 3_600_000) if watch_ms else 0,
        "connection_success": successes / attempts if attempts else None,
        "turn_share": pairs["relay"] / paired if paired else None,
        "verify_failures": totals.get("verify_failures", 0),
        "peers_avg": sum(v["peers"] for v in viewers) / len(viewers) if viewers else 0.0,
        "live_edge_holders": live_edge_holders(viewers),
        "viewer_list": viewers,
    }


def upload_bound(viewers: list[dict[str, Any]]) -> dict[str, Any]:
    """The upload-capacity bound on offload: in a rendition of bitrate r watched by N viewers
    whose P2P members can upload U bits/s in all, peers can carry at most U/(N*r) of what the
    viewers download (capped at 1). r is estimated from the beacons: bytes downloaded over
    media time covered (time watched plus the latency behind the live edge, where the buffered
    media lies). The stream's bound weighs renditions by viewers; None when no estimate yet."""
    per: dict[str, dict[str, float]] = {}
    for v in viewers:
        row = per.setdefault(
            v.get("rendition") or "-",
            {"viewers": 0, "p2p_viewers": 0, "capacity_bps": 0, "bits": 0, "media_ms": 0},
        )
        row["viewers"] += 1
        if v["p2p"] == "on" and v.get("upload_capacity_bps") is not None:
            row["p2p_viewers"] += 1
            row["capacity_bps"] += v["upload_capacity_bps"]
        if v.get("watch_ms", 0) >= MIN_WATCH_MS:
            row["bits"] += (v.get("http_bytes", 0) + v.get("p2p_bytes", 0)) * 8
            row["media_ms"] += v["watch_ms"] + (v.get("latency_ms") or 0)
    renditions: dict[str, dict[str, Any]] = {}
    weighted = counted = 0.0
    for name, row in sorted(per.items()):
        bitrate = row["bits"] * 1000 / row["media_ms"] if row["media_ms"] else None
        bound = None
        if bitrate:
            bound = min(1.0, row["capacity_bps"] / (row["viewers"] * bitrate))
            weighted += bound * row["viewers"]
            counted += row["viewers"]
        renditions[name] = {
            "viewers": int(row["viewers"]),
            "p2p_viewers": int(row["p2p_viewers"]),
            "capacity_bps": int(row["capacity_bps"]),
            "bitrate_bps": bitrate,
            "bound": bound,
        }
    return {"bound": weighted / counted if counted else None, "renditions": renditions}


def live_edge_holders(viewers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per rendition, the RAREST_WINDOW newest segments any viewer holds and how many viewers
    hold each (from beacons' `have`): a segment near the live edge with one holder is where
    the swarm leans on the origin."""
    counts: dict[str, dict[int, int]] = {}
    for v in viewers:
        per = counts.setdefault(v.get("rendition") or "-", {})
        for seq in v.get("have") or ():
            per[seq] = per.get(seq, 0) + 1
    rows = []
    for rendition, per in sorted(counts.items()):
        for seq in sorted(per, reverse=True)[:RAREST_WINDOW]:
            rows.append({"rendition": rendition, "seq": seq, "holders": per[seq]})
    return rows


class _ViewerGauges(Collector):
    """Live viewers per stream/rendition/mode and P2P-off reasons, at scrape time."""

    def __init__(self, book: BeaconBook) -> None:
        self._book = book

    def collect(self) -> Iterator[GaugeMetricFamily]:
        import time

        viewers = GaugeMetricFamily(
            "swarmcast_viewers",
            "Viewers beaconing to this node, by stream, rendition and P2P mode",
            labels=["stream", "rendition", "p2p"],
        )
        reasons = GaugeMetricFamily(
            "swarmcast_viewers_p2p_off",
            "Viewers without (effective) P2P, by stream and reason",
            labels=["stream", "reason"],
        )
        capacity = GaugeMetricFamily(
            "swarmcast_viewer_upload_capacity_bps",
            "Upload capacity P2P viewers report (cap or announced budget), summed, bits/s",
            labels=["stream", "rendition"],
        )
        bound = GaugeMetricFamily(
            "swarmcast_offload_upload_bound",
            "Upload-capacity bound on offload, min(1, sum(u) / (N * r)), from this node's viewers",
            labels=["stream", "rendition"],
        )
        counts: dict[tuple[str, str, str], int] = {}
        why: dict[tuple[str, str], int] = {}
        by_stream: dict[str, list[dict[str, Any]]] = {}
        for _peer, viewer in self._book.live(time.time()):
            by_stream.setdefault(viewer.stream, []).append(viewer.beacon.to_json())
            b = viewer.beacon
            key = (viewer.stream, b.rendition or "-", b.p2p)
            counts[key] = counts.get(key, 0) + 1
            if b.reason:
                why[(viewer.stream, b.reason)] = why.get((viewer.stream, b.reason), 0) + 1
        for labels, count in sorted(counts.items()):
            viewers.add_metric(list(labels), count)
        for labels2, count in sorted(why.items()):
            reasons.add_metric(list(labels2), count)
        for stream, beacons in sorted(by_stream.items()):
            for rendition, row in upload_bound(beacons)["renditions"].items():
                capacity.add_metric([stream, rendition], row["capacity_bps"])
                if row["bound"] is not None:
                    bound.add_metric([stream, rendition], row["bound"])
        yield viewers
        yield reasons
        yield capacity
        yield bound
