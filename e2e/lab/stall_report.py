"""Where a realistic run's P2P stalls come from, read from its browser timelines
(`bench lab --scenario realistic --timeline`).

    python -m e2e.lab.stall_report bench/results/realistic-<tag> [...]

Per run and per result directory:
- each P2P stall by class: `uplink-busy` (the page's ICE transports sent at least half its
  uplink cap in the 5 s before it: its own ACKs and requests queued behind its upload),
  `early` (else, within 30 s of the page's first `playing`: startup and the first rendition
  switches), `other`; with their seconds;
- per page, the median rate (kbit/s) of its origin fetches of at least 40 kB that overlapped no
  other fetch of the page, P2P against CDN-only on the same host (a small uplink's full queue
  slows its own downloads);
- the scheduler's takeovers (`fallback-takeover`, `pace-takeover`, `race-takeover`) and how
  many of their origin fetches ended past the segment's deadline (most stalls followed one).

The timelines hold the shim's events (player-shim/src/timeline.ts): `stall` start/end,
`uplink-wire` (per link the ICE transport's bytes sent, every second), `http-end` and
`loader-http-end` (`t0`, bytes, outcome), `decision` (`why`, `dueS`) and `http-start` (`id`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import tarfile
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from swarmcast.e2e.lab.numbers import median

BUSY_SHARE = 0.5  # of the uplink cap, over BUSY_WINDOW_MS before a stall
BUSY_WINDOW_MS = 5_000
EARLY_MS = 30_000  # after the page's first `playing`
FETCH_MIN_BYTES = 40_000


def _events(path: Path) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads(path.read_text())["events"]
    return events


def _wire_per_sample(events: list[dict[str, Any]]) -> list[tuple[float, int]]:
    """(wall ms, bytes all links' transports sent since the previous sample)."""
    last: dict[str, int] = {}
    out: list[tuple[float, int]] = []
    for e in events:
        if e["kind"] != "uplink-wire":
            continue
        sent = 0
        for link in e["links"]:
            wire = link.get("wire")
            if wire is None:
                continue
            if link["id"] in last:
                sent += max(0, wire - last[link["id"]])
            last[link["id"]] = wire
        out.append((e["t"], sent))
    return out


def stall_classes(events: list[dict[str, Any]], up_kbit: float) -> list[tuple[str, float]]:
    """Each P2P stall of one page: (class, seconds)."""
    wire = _wire_per_sample(events)
    first = next(
        (e["t"] for e in events if e["kind"] == "media" and e.get("event") == "playing"),
        events[0]["t"] if events else 0.0,
    )
    out: list[tuple[str, float]] = []
    for i, e in enumerate(events):
        if e["kind"] != "stall" or e.get("phase") != "start":
            continue
        end = next(
            (x for x in events[i + 1 :] if x["kind"] == "stall" and x.get("phase") == "end"), None
        )
        seconds = (end["ms"] if end else 0) / 1000
        sent = sum(b for t, b in wire if e["t"] - BUSY_WINDOW_MS < t <= e["t"])
        kbit_s = sent * 8 / BUSY_WINDOW_MS
        if kbit_s >= BUSY_SHARE * up_kbit:
            kind = "uplink-busy"
        elif e["t"] - first < EARLY_MS:
            kind = "early"
        else:
            kind = "other"
        out.append((kind, seconds))
    return out


def lone_fetch_kbit_s(events: list[dict[str, Any]]) -> list[float]:
    """Rates of the page's completed origin fetches that overlapped no other of its fetches."""
    spans = [
        (e["t0"], e["t"], e["bytes"])
        for e in events
        if e["kind"] in ("http-end", "loader-http-end") and e.get("outcome") == "ok"
    ]
    rates = []
    for i, (start, end, size) in enumerate(spans):
        if size < FETCH_MIN_BYTES or end <= start:
            continue
        if any(j != i and s < end and e > start for j, (s, e, _) in enumerate(spans)):
            continue
        rates.append(size * 8 / (end - start))  # bytes * 8 / ms = kbit/s
    return rates


TAKEOVERS = ("fallback-takeover", "pace-takeover", "race-takeover")


def late_takeovers(events: list[dict[str, Any]]) -> Counter[str]:
    """The page's takeovers by kind (`<kind>`) and those whose origin fetches ended after the
    segment's deadline (`<kind> late`); the deadline is the decision's time plus its `dueS`."""
    out: Counter[str] = Counter()
    due: dict[int, tuple[str, float]] = {}  # seq -> (kind, deadline ms) of its open takeover
    fetch_seq: dict[str, int] = {}
    last: dict[int, float] = {}  # seq -> latest end of its takeover fetches
    for e in events:
        kind, seq = e["kind"], e.get("seq", -1)
        if kind == "decision" and e.get("why") in TAKEOVERS and seq not in due:
            due[seq] = (e["why"], e["t"] + e.get("dueS", 0.0) * 1000)
            out[e["why"]] += 1
        elif kind == "http-start" and seq in due:
            fetch_seq[e["id"]] = seq
        elif kind == "http-end" and e.get("id") in fetch_seq and e.get("outcome") == "ok":
            last[fetch_seq[e["id"]]] = e["t"]
    for seq, (why, deadline) in due.items():
        if last.get(seq, 0.0) > deadline:
            out[f"{why} late"] += 1
    return out


def _timeline_dir(run: Path, scratch: Path) -> Path | None:
    for found in sorted(run.glob("*-timeline")):
        if found.is_dir():
            return found
    for archive in sorted(run.glob("*-timeline.tar.gz")):
        # One directory per result and run: several results' run-1 share a name.
        target = scratch / run.parent.name / run.name
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
        dirs = sorted(target.glob("*-timeline"))
        return dirs[0] if dirs else None
    return None


def report_run(run: Path, scratch: Path) -> tuple[Counter[str], dict[str, float], list[str]]:
    """One run's stall classes (counts, seconds), its per-page fetch-rate lines and a line of
    its takeovers."""
    timeline = _timeline_dir(run, scratch)
    counts: Counter[str] = Counter()
    takeovers: Counter[str] = Counter()
    seconds: dict[str, float] = {}
    lines: list[str] = []
    if timeline is None:
        return counts, seconds, [f"{run}: no timeline"]
    with gzip.open(run / "raw.json.gz") as f:
        raw = json.loads(f.read())
    hosts = {h["slot"]: h for h in raw["realistic"]["hosts"] if h["kind"] == "browser"}
    for page in sorted(timeline.glob("p2p-b*.json")):
        slot = int(page.stem.split("-b")[1]) - 1
        host = hosts[slot]
        p2p = _events(page)
        takeovers.update(late_takeovers(p2p))
        for kind, secs in stall_classes(p2p, host["up_kbit"]):
            counts[kind] += 1
            seconds[kind] = seconds.get(kind, 0.0) + secs
        cdn_page = timeline / page.name.replace("p2p-", "cdn-")
        p2p_rate = lone_fetch_kbit_s(p2p)
        cdn_rate = lone_fetch_kbit_s(_events(cdn_page)) if cdn_page.exists() else []
        a = median(p2p_rate) or 0.0
        b = median(cdn_rate) or 0.0
        lines.append(
            f"  {page.stem} {host['access']} up {host['up_kbit']} down {host['down_kbit']} kbit/s:"
            f" lone fetches P2P {a:.0f} (n {len(p2p_rate)}), CDN-only {b:.0f} (n {len(cdn_rate)}),"
            f" ratio {a / b if b else 0:.2f}"
        )
    kinds = ", ".join(f"{k} {takeovers[k]} ({takeovers[k + ' late']} late)" for k in TAKEOVERS)
    lines.append(f"  takeovers: {kinds}")
    return counts, seconds, lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", type=Path, help="realistic result directories")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for result in (r for r in args.results if r.is_dir()):
            total: Counter[str] = Counter()
            total_s: dict[str, float] = {}
            for run in sorted(result.glob("run-*")):
                counts, seconds, lines = report_run(run, Path(tmp))
                total.update(counts)
                for kind, secs in seconds.items():
                    total_s[kind] = total_s.get(kind, 0.0) + secs
                classes = ", ".join(f"{k} {counts[k]} ({seconds[k]:.1f} s)" for k in sorted(counts))
                print(f"{result.name}/{run.name}: stalls {classes or 'none'}")
                print("\n".join(lines))
            classes = ", ".join(f"{k} {total[k]} ({total_s[k]:.1f} s)" for k in sorted(total))
            print(f"{result.name}: all runs: {classes or 'none'}")


if __name__ == "__main__":
    main()
