"""Viewer timelines of a lab run (`bench lab --timeline`): per viewer a JSON file, a summary and a
plot (segments on y, time on x: HTTP and peer transfers as bars, decisions, stalls, buffer).

The events are the shim's (player-shim/src/timeline.ts) or the Python peer's (peer/timeline.py):
`{"t": wall ms, "kind": ..., "seq": ..., ...}`; transfers end with `<kind>-end` carrying `t0`.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: no display in the lab or CI
import matplotlib.pyplot as plt

log = logging.getLogger(__name__)

# Transfer kinds and how they are drawn: (colour, offset on the segment's row, label).
TRANSFERS = {
    "http": ("tab:red", -0.25, "origin fetch (engine)"),
    "loader-http": ("tab:orange", 0.0, "plain HTTP (hls.js loader)"),
    "peer": ("tab:blue", 0.25, "peer request"),
}
# Decisions and other per-segment events: (marker, colour, label).
MARKERS = {
    "announced": (".", "black", "in playlist"),
    "have-delta": (".", "tab:cyan", "neighbour HAVE"),
    "election-turn": ("^", "tab:green", "HTTP: election turn"),
    "blocked-no-holder": ("x", "tab:red", "HTTP: blocked, no holder"),
    "fallback-takeover": ("v", "tab:red", "HTTP: fallback takeover"),
    "pace-takeover": ("<", "tab:orange", "HTTP: peers behind pace"),
    "race-takeover": (">", "tab:brown", "HTTP: own link beats a stalled copy"),
    "catch-up": ("d", "tab:olive", "HTTP: next unheld segment at once"),
    "thin-lead": ("D", "tab:pink", "HTTP: due soon on a tight link"),
    "no-deadline": ("1", "tab:gray", "HTTP: no deadline"),
    "peer-round": ("o", "tab:blue", "peer round"),
    "safety-net": ("*", "magenta", "loader safety net"),
    "deadline-missed": ("X", "black", "deadline missed"),
    "frag-request": ("|", "purple", "hls.js asks"),
}
HTTP_DECISIONS = (
    "election-turn", "blocked-no-holder", "fallback-takeover", "pace-takeover", "race-takeover",
    "catch-up", "thin-lead", "no-deadline", "seeder",
)  # fmt: skip


def load_timelines(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """Every viewer's recorded timeline in the run: viewer, phase, phase start, dump (or None)."""
    found: list[dict[str, Any]] = []
    for phase in raw.get("phases", []):
        for record in phase.get("viewers", []):
            path = record.get("timeline_path")
            if not path:
                continue
            dump: Any = None
            try:
                dump = json.loads(Path(path).read_text())
            except (OSError, ValueError) as exc:
                log.warning("timeline of %s unreadable: %s", record["viewer"], exc)
            found.append(
                {
                    "viewer": record["viewer"],
                    "phase": phase.get("spec", {}).get("name"),
                    "phase_start": float(phase["start_wall"]),
                    "joined_wall": record.get("joined_wall"),
                    "dump": dump if isinstance(dump, dict) else None,
                }
            )
    return found


def summarize_timeline(events: list[dict[str, Any]], origin_wall: float) -> dict[str, Any]:
    """Counts a reader wants before the plot: decisions by reason, transfers by kind and outcome,
    what served each fragment, stalls, seeks, and when the first HTTP decision came."""
    decisions: Counter[str] = Counter()
    transfers: dict[str, dict[str, Any]] = {}
    served: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    seeks: list[list[Any]] = []
    first_http: float | None = None
    for event in events:
        kind = str(event.get("kind"))
        counts[kind] += 1
        if kind == "decision":
            why = str(event.get("why"))
            decisions[why] += 1
            if why in HTTP_DECISIONS and first_http is None:
                first_http = _s(event["t"], origin_wall)
        elif kind.endswith("-end") and "t0" in event:
            entry = transfers.setdefault(
                kind[:-4], {"count": 0, "bytes": 0, "seconds": 0.0, "outcomes": Counter()}
            )
            entry["count"] += 1
            entry["bytes"] += int(event.get("bytes") or 0)
            entry["seconds"] += max(0.0, (float(event["t"]) - float(event["t0"])) / 1000)
            entry["outcomes"][str(event.get("outcome"))] += 1
        elif kind == "frag-served":
            served[str(event.get("by"))] += 1
        elif kind == "media" and event.get("event") == "seeking":
            seeks.append([_s(event["t"], origin_wall), event.get("from"), event.get("to")])
    for entry in transfers.values():
        entry["seconds"] = round(entry["seconds"], 2)
        entry["outcomes"] = dict(entry["outcomes"])
    stalls = [e for e in events if e.get("kind") == "stall" and e.get("phase") == "end"]
    return {
        "events": len(events),
        "decisions": dict(decisions),
        "transfers": transfers,
        "served": dict(served),
        "safety_nets": counts["safety-net"],
        "deadlines_missed": counts["deadline-missed"],
        # Each rendition switch of a P2P page is a new swarm (its links are rebuilt); hls.js's
        # emergency aborts are the switches its abandon rule forced mid-load.
        "rendition_switches": counts["level-switching"],
        "emergency_aborts": counts["frag-emergency-aborted"],
        "stalls": len(stalls),
        "stall_s": round(sum(float(e.get("ms") or 0) for e in stalls) / 1000, 2),
        "seeks": seeks,
        "first_http_decision_s": first_http,
    }


def plot_timeline(
    viewer: str, events: list[dict[str, Any]], origin_wall: float, path: Path, title: str = ""
) -> None:
    """One viewer: transfers and decisions per segment above, buffer level and stalls below."""
    fig, (ax, ax_buf) = plt.subplots(
        2, 1, figsize=(11, 7), sharex=True, gridspec_kw={"height_ratios": [4, 1]}
    )
    drawn: set[str] = set()

    def label(key: str, text: str) -> str | None:
        if key in drawn:
            return None
        drawn.add(key)
        return text

    seq_start: dict[int, float] = {}
    for event in events:
        kind = str(event.get("kind"))
        seq = event.get("seq")
        t = _s(event["t"], origin_wall)
        if kind in ("segment-added", "frag-request") and seq is not None and "start" in event:
            seq_start[int(seq)] = float(event["start"])
        if kind.endswith("-end") and kind[:-4] in TRANSFERS and seq is not None and "t0" in event:
            colour, offset, text = TRANSFERS[kind[:-4]]
            t0 = _s(event["t0"], origin_wall)
            ok = event.get("outcome") == "ok"
            ax.plot([t0, max(t, t0 + 0.05)], [seq + offset] * 2, color=colour, lw=3 if ok else 1.2,
                    alpha=0.9 if ok else 0.6, solid_capstyle="butt",
                    label=label(kind, text))  # fmt: skip
        marker_key = str(event.get("why")) if kind == "decision" else kind
        if marker_key in MARKERS and seq is not None:
            marker, colour, text = MARKERS[marker_key]
            ax.scatter([t], [seq], marker=marker, color=colour, s=18, zorder=3,
                       label=label(marker_key, text))  # fmt: skip
    # The playhead, in segment units: where each segment's deadline lies.
    playhead = _playhead_seqs(events, seq_start, origin_wall)
    if playhead:
        ax.plot([p[0] for p in playhead], [p[1] for p in playhead], color="k", lw=0.8,
                ls="--", label="playhead (segment)")  # fmt: skip
    for start, end in _stall_spans(events, origin_wall):
        ax.axvspan(start, end, color="r", alpha=0.12)
        ax_buf.axvspan(start, end, color="r", alpha=0.3)
    for event in events:
        if event.get("kind") == "decision" and event.get("why") == "abandon-peer":
            ax.axvline(_s(event["t"], origin_wall), color="tab:purple", lw=0.5, alpha=0.5)
    buffers = [(_s(e["t"], origin_wall), e["ahead"]) for e in events if e.get("kind") == "buffer"]
    ax_buf.plot([b[0] for b in buffers], [b[1] for b in buffers], color="tab:green", lw=1)
    ax_buf.set_ylabel("buffer s")
    ax_buf.set_xlabel("seconds since the phase started (red: stalled)")
    ax.set_ylabel("segment")
    ax.set_title(title or viewer, fontsize=9)
    ax.legend(loc="upper left", fontsize=6, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=70)
    plt.close(fig)


def write_timelines(raw: dict[str, Any], out_dir: Path) -> Path | None:
    """`out_dir`: per viewer `<viewer>.json` (summary + events) and `<viewer>.png`, plus
    `index.md` (one summary row per viewer). None when the run recorded no timeline."""
    timelines = load_timelines(raw)
    if not timelines:
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for item in timelines:
        dump = item["dump"] or {}
        events = [e for e in dump.get("events", []) if isinstance(e, dict) and "t" in e]
        summary = summarize_timeline(events, item["phase_start"])
        summary.update(viewer=item["viewer"], phase=item["phase"],
                       recorded=dump.get("recorded"), capacity=dump.get("capacity"))  # fmt: skip
        rows.append(summary)
        document = {**item, "summary": summary, "events": events}
        for probe in ("resources", "blocked"):  # the lab probe's (probe.js, viewer_worker.py)
            if isinstance(dump.get(probe), list):
                document[probe] = dump[probe]
        document.pop("dump", None)
        (out_dir / f"{item['viewer']}.json").write_text(json.dumps(document, separators=(",", ":")))
        if events:
            title = f"{item['viewer']} ({item['phase']}): {_headline(summary)}"
            plot_timeline(item["viewer"], events, item["phase_start"],
                          out_dir / f"{item['viewer']}.png", title)  # fmt: skip
    (out_dir / "index.md").write_text(timeline_markdown(rows))
    by_phase: dict[str, list[dict[str, Any]]] = {}
    for item in timelines:
        if item["dump"]:
            by_phase.setdefault(str(item["phase"]), []).append(item)
    (out_dir / "swarm.md").write_text(
        "\n".join(swarm_markdown(phase, items) for phase, items in by_phase.items())
    )
    return out_dir


def swarm_segments(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per segment, over every viewer of a phase: when the first viewer saw it in a playlist,
    how long until the first HAVE anywhere, origin fetches (engine, by decision reason, and
    hls.js loader copies), how long those took, and what served it to each viewer."""
    rows: dict[int, dict[str, Any]] = {}
    origin = min(float(item["phase_start"]) for item in items)

    def row(seq: int) -> dict[str, Any]:
        return rows.setdefault(seq, {
            "seq": seq, "announced_s": None, "first_have_s": None, "engine": 0, "loader": 0,
            "reasons": Counter(), "fetch_s": [], "served": Counter(),
        })  # fmt: skip

    for item in items:
        for event in item["dump"].get("events", []):
            seq, kind = event.get("seq"), event.get("kind")
            if not isinstance(seq, int):
                continue
            entry, t = row(seq), _s(event["t"], origin)
            if kind == "announced" and (entry["announced_s"] is None or t < entry["announced_s"]):
                entry["announced_s"] = t
            elif kind == "have-delta" and (
                entry["first_have_s"] is None or t < entry["first_have_s"]
            ):
                entry["first_have_s"] = t
            elif kind == "http-start":
                entry["engine"] += 1
            elif kind == "loader-http-start":
                entry["loader"] += 1
            elif kind == "decision" and event.get("why") in HTTP_DECISIONS:
                entry["reasons"][str(event["why"])] += 1
            elif kind in ("http-end", "loader-http-end") and "t0" in event:
                entry["fetch_s"].append((float(event["t"]) - float(event["t0"])) / 1000)
            elif kind == "frag-served":
                entry["served"][str(event.get("by"))] += 1
    return [rows[seq] for seq in sorted(rows) if rows[seq]["announced_s"] is not None]


def origin_concurrency(items: list[dict[str, Any]], step_s: float = 4.0) -> list[list[float]]:
    """[t, origin transfers in flight across the phase's viewers] every `step_s` (an open
    transfer lasts until the viewer's last event)."""
    origin = min(float(item["phase_start"]) for item in items)
    spans: list[tuple[float, float]] = []
    for item in items:
        events = item["dump"].get("events", [])
        if not events:
            continue
        ends = {e.get("id"): e for e in events if e.get("kind") in ("http-end", "loader-http-end")}
        last = float(events[-1]["t"])
        for event in events:
            if event.get("kind") in ("http-start", "loader-http-start"):
                end = float(ends.get(event.get("id"), {}).get("t", last))
                spans.append((_s(event["t"], origin), _s(end, origin)))
    horizon = max((b for _, b in spans), default=0.0)
    points: list[list[float]] = []
    t = 0.0
    while t <= horizon:
        points.append([t, sum(1 for a, b in spans if a <= t < b)])
        t += step_s
    return points


def swarm_markdown(phase: str, items: list[dict[str, Any]]) -> str:
    lines = [
        f"# Swarm view: {phase} ({len(items)} viewers)",
        "",
        "| seq | in a playlist at s | first HAVE after s | origin fetches (why) | loader copies "
        "| fetch s min-max | served |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in swarm_segments(items):
        lag = (
            f"{row['first_have_s'] - row['announced_s']:.1f}"
            if row["first_have_s"] is not None
            else "-"
        )
        fetch = f"{min(row['fetch_s']):.1f}-{max(row['fetch_s']):.1f}" if row["fetch_s"] else "-"
        lines.append(
            f"| {row['seq']} | {row['announced_s']:.1f} | {lag} | {row['engine']} "
            f"({_counts(row['reasons'])}) | {row['loader']} | {fetch} | {_counts(row['served'])} |"
        )
    concurrency = ", ".join(f"{t:g} s: {n}" for t, n in origin_concurrency(items))
    lines += ["", f"Origin transfers in flight across the swarm: {concurrency}", ""]
    return "\n".join(lines)


def timeline_markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "# Viewer timelines",
        "",
        "| viewer | decisions | transfers (count, MB, outcomes) | served | safety nets "
        "| stalls (s) | first HTTP decision s | seeks | rendition switches (emergency aborts) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        transfers = "; ".join(
            f"{kind} {t['count']}, {t['bytes'] / 1e6:.2f}, {t['outcomes']}"
            for kind, t in sorted(row["transfers"].items())
        )
        lines.append(
            f"| [{row['viewer']}]({row['viewer']}.png) | {_counts(row['decisions'])} "
            f"| {transfers or '-'} | {_counts(row['served'])} | {row['safety_nets']} "
            f"| {row['stalls']} ({row['stall_s']:g}) | {row['first_http_decision_s']} "
            f"| {len(row['seeks'])} "
            f"| {row.get('rendition_switches', 0)} ({row.get('emergency_aborts', 0)}) |"
        )
    return "\n".join(lines) + "\n"


def _headline(summary: dict[str, Any]) -> str:
    return (
        f"{_counts(summary['decisions'])}; served {_counts(summary['served'])}; "
        f"stalls {summary['stalls']} ({summary['stall_s']:g} s)"
    )


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "-"


def _s(wall: Any, origin_wall: float) -> float:
    return round((float(wall) - origin_wall) / 1000, 3)


def _stall_spans(events: list[dict[str, Any]], origin_wall: float) -> list[tuple[float, float]]:
    """Stalls from the shim's stall events (an open one lasts to the last event)."""
    spans: list[tuple[float, float]] = []
    for event in events:
        if event.get("kind") == "stall" and event.get("phase") == "end":
            end = _s(event["t"], origin_wall)
            spans.append((end - float(event.get("ms") or 0) / 1000, end))
    starts = [e for e in events if e.get("kind") == "stall" and e.get("phase") == "start"]
    ends = [e for e in events if e.get("kind") == "stall" and e.get("phase") == "end"]
    if events and len(starts) > len(ends):
        spans.append((_s(starts[-1]["t"], origin_wall), _s(events[-1]["t"], origin_wall)))
    return spans


def _playhead_seqs(
    events: list[dict[str, Any]], seq_start: dict[int, float], origin_wall: float
) -> list[tuple[float, float]]:
    """The playhead's media position as a (fractional) segment number, from buffer samples."""
    if len(seq_start) < 2:
        return []
    ordered = sorted(seq_start.items(), key=lambda item: item[1])
    points: list[tuple[float, float]] = []
    for event in events:
        if event.get("kind") != "buffer" or event.get("pos") is None:
            continue
        pos = float(event["pos"])
        before = [item for item in ordered if item[1] <= pos]
        if not before:
            continue
        seq, start = before[-1]
        after = [item for item in ordered if item[1] > pos]
        span = (after[0][1] - start) / max(1, after[0][0] - seq) if after else 2.0
        points.append((_s(event["t"], origin_wall), seq + (pos - start) / max(span, 0.1)))
    return points
