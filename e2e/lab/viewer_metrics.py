"""One viewer's figures from its samples: a Chromium viewer (stalls, frozen time, time to first
frame, live latency, bytes by source) and a `swarmcast peer` process. Pure: no I/O, no clock.
The definitions are those of `e2e.lab.metrics`."""

from __future__ import annotations

from typing import Any

from swarmcast.e2e.lab.numbers import median, percentile, ratio, rounded

LATENCY_SETTLE_MS = 4000.0
STALL_MERGE_MS = 500.0  # stalls less than this apart count as one


def summarize_browser(record: dict[str, Any], phase_start: float) -> dict[str, Any]:
    """One Chromium viewer's figures from its samples (the last one is the most complete)."""
    samples = [s for s in record.get("samples", []) if s]
    final = record.get("final") or (samples[-1] if samples else {})
    if final and (not samples or samples[-1].get("wall") != final.get("wall")):
        samples.append(final)
    shim = final.get("shim") or {}
    http = final.get("http") or {}
    first_frame = final.get("firstFrameWall")
    navigation = final.get("navigationStart")
    long_tasks = final.get("longTasks") or {}
    end_wall = float(final.get("wall") or record.get("left_wall") or phase_start)
    watch_s = max(0.0, (end_wall - first_frame) / 1000) if first_frame else 0.0
    played_s = _played_s(samples, first_frame)
    stalls, seek_waits = _stalls(final.get("stalls") or [], first_frame, end_wall)
    frozen = _frozen_spans(final.get("stalls") or [], first_frame, end_wall)
    frozen_s = sum(b - a for a, b in frozen) / 1000
    latencies = [
        float(s["latency"])
        for s in samples
        if s.get("latency") is not None
        and first_frame is not None
        and float(s["wall"]) >= first_frame + LATENCY_SETTLE_MS
    ]
    http_media = int(http.get("media", 0)) + int(http.get("init", 0))
    p2p = int(shim.get("p2pBytes") or 0)
    errors = list(final.get("mediaErrors") or []) + list(record.get("errors") or [])
    return {
        "viewer": record["viewer"],
        "address": record.get("address"),
        "joined_s": round((float(record["joined_wall"]) - phase_start) / 1000, 2),
        "left_s": round((float(record["left_wall"]) - phase_start) / 1000, 2)
        if record.get("left_wall")
        else None,
        "ttff_s": round((first_frame - navigation) / 1000, 3)
        if first_frame and navigation
        else None,
        # Start-up breakdown: navigation -> first media request -> its response -> first frame.
        "first_request_s": _since(final.get("firstMediaRequestWall"), navigation),
        "first_response_s": _since(final.get("firstMediaResponseWall"), navigation),
        # Main-thread tasks over 50 ms (probe.js): before the first frame, and in the whole visit.
        # First frame presented -> the page's main thread ran its frame callback.
        "first_frame_heard_after_s": _since(final.get("firstFrameCallbackWall"), first_frame),
        "main_thread_busy_startup_s": _long_tasks_s(long_tasks, navigation, first_frame),
        "main_thread_busy_s": round(float(long_tasks.get("totalMs") or 0) / 1000, 3),
        "first_segments": (final.get("shimEvents") or {}).get("segments", [])[:4],
        "peer_closes": (final.get("shimEvents") or {}).get("peerCloses", {}),
        "shim_warnings": [
            w.get("message") for w in (final.get("shimEvents") or {}).get("warnings", [])
        ][-5:],
        # Join (browser launch) to navigation start: Chromium + Playwright start-up, not player.
        "launch_s": round((navigation - float(record["joined_wall"])) / 1000, 2)
        if navigation
        else None,
        "watch_s": round(watch_s, 1),
        "played_s": round(played_s, 1),
        "plays": bool(first_frame) and watch_s > 0 and played_s >= 0.5 * watch_s,
        # Media seconds played per wall second: < 1 without any stall means the browser's
        # media clock slipped (CPU starvation), which adds to live latency as it runs.
        "playback_speed": _playback_speed(samples, first_frame),
        "stall_count": len(stalls),
        "stall_s": round(sum(b - a for a, b in stalls) / 1000, 2),
        "frozen_s": round(frozen_s, 2),
        "stall_share": ratio(frozen_s, watch_s),
        "stalls": [_span(a, b, phase_start) for a, b in stalls],
        "seek_waits": seek_waits,
        "http_media_bytes": http_media,
        "http_playlist_bytes": int(http.get("playlist", 0)),
        "http_integrity_bytes": int(http.get("integrity", 0)),
        "p2p_bytes": p2p,
        "offload": ratio(p2p, p2p + http_media),
        "shim_http_bytes": shim.get("httpBytes"),
        "uploaded_bytes": int(shim.get("uploadedBytes") or 0),
        "verification_failures": int(shim.get("verificationFailures") or 0),
        "peers": shim.get("peers"),
        "shim_found": bool(final.get("shim")),
        "latency_start_s": rounded(latencies[0], 2) if latencies else None,
        "latency_median_s": rounded(median(latencies), 2),
        "latency_p90_s": rounded(percentile(latencies, 0.9), 2),
        "height": final.get("level") or final.get("videoHeight"),
        "frames_dropped": final.get("framesDropped"),
        "errors": errors[:10],
        "console_errors": len(record.get("console_errors") or []),
    }


# `swarmcast peer` prints its stats as JSON (peer/node_stats.py, `PeerNode.stats()`).
_PEER_KEYS = {
    "http_bytes": "bytes_from_http",
    "p2p_bytes": "bytes_from_peers",
    "uploaded_bytes": "bytes_uploaded",
    "verification_failures": "verification_failures",
    "missed_deadlines": "missed_deadlines",
    "stalls": "stalls",
}


def summarize_python_peer(record: dict[str, Any]) -> dict[str, Any]:
    stats = record.get("final") or {}
    summary: dict[str, Any] = {"viewer": record["viewer"], "address": record.get("address")}
    for name, key in _PEER_KEYS.items():
        summary[name] = int(stats.get(key) or 0)
    summary["offload"] = ratio(summary["p2p_bytes"], summary["p2p_bytes"] + summary["http_bytes"])
    summary["startup_s"] = stats.get("startup_s")
    summary["peers_connected"] = stats.get("peers_connected")
    summary["stats_found"] = bool(stats)
    summary["errors"] = list(record.get("errors") or [])[:5]
    return summary


def _stalls(
    raw: list[dict[str, Any]], first_frame: float | None, end_wall: float
) -> tuple[list[tuple[float, float]], int]:
    stalls: list[tuple[float, float]] = []
    seek_waits = 0
    for stall in raw:
        start = float(stall["start"])
        if first_frame is None or start < first_frame:
            continue
        if stall.get("seeking"):
            seek_waits += 1
            continue
        stop = max(start, float(stall["end"]) if stall.get("end") is not None else end_wall)
        if stalls and start - stalls[-1][1] < STALL_MERGE_MS:
            # hls.js nudging the playhead across a hole moves currentTime for an instant:
            # that is one stall, not two.
            stalls[-1] = (stalls[-1][0], max(stalls[-1][1], stop))
        else:
            stalls.append((start, stop))
    return stalls, seek_waits


def _frozen_spans(
    raw: list[dict[str, Any]], first_frame: float | None, end_wall: float
) -> list[tuple[float, float]]:
    """Every wait after the first frame, stall or seek, merged (STALL_MERGE_MS) and clipped to
    the viewer's watch time."""
    if first_frame is None:
        return []
    spans = sorted(
        (max(float(s["start"]), first_frame),
         min(end_wall, float(s["end"]) if s.get("end") is not None else end_wall))
        for s in raw
        if float(s["start"]) >= first_frame
    )  # fmt: skip
    merged: list[tuple[float, float]] = []
    for start, stop in spans:
        if stop <= start:
            continue
        if merged and start - merged[-1][1] < STALL_MERGE_MS:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


def _long_tasks_s(
    long_tasks: dict[str, Any] | None, navigation: float | None, first_frame: float | None
) -> float | None:
    """Seconds of long main-thread tasks that started between navigation and the first frame."""
    if not long_tasks or not navigation or not first_frame:
        return None
    spans: list[tuple[float, float]] = long_tasks.get("startup") or []
    busy_ms = sum(ms for start, ms in spans if navigation <= start < first_frame)
    return round(busy_ms / 1000, 3)


def _since(wall: float | None, origin: float | None) -> float | None:
    return round((wall - origin) / 1000, 3) if wall and origin else None


def _playback_speed(samples: list[dict[str, Any]], first_frame: float | None) -> float | None:
    points = [
        (float(s["wall"]), float(s["currentTime"]))
        for s in samples
        if first_frame is not None
        and s.get("currentTime") is not None
        and float(s["wall"]) >= first_frame
    ]
    if len(points) < 2 or points[-1][0] - points[0][0] < 10_000:
        return None
    return round((points[-1][1] - points[0][1]) * 1000 / (points[-1][0] - points[0][0]), 4)


def _span(start: float, end: float, origin: float) -> list[float]:
    return [round((start - origin) / 1000, 2), round((end - origin) / 1000, 2)]


def _played_s(samples: list[dict[str, Any]], first_frame: float | None) -> float:
    if first_frame is None:
        return 0.0
    times = [
        float(s["currentTime"])
        for s in samples
        if s.get("currentTime") is not None and float(s["wall"]) >= first_frame
    ]
    return max(0.0, times[-1] - times[0]) if len(times) >= 2 else 0.0
