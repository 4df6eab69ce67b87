"""One seeded run's figures, and their distribution over many seeds."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from swarmcast.bench.sim.config import SimConfig
from swarmcast.bench.sim.metrics import percentile
from swarmcast.bench.sim.swarm import SimNode, Swarm
from swarmcast.e2e.lab.nat_scenario import capacity_bound

NOT_DIGESTED = ("events", "messages", "up_x", "bound", "offload_of_bound")
"""Left out of `decision_digest`: the simulator's own work count (speed work may change it),
the message counts and the capacity bound, which follow from the decisions and the draws (left
out so digests pinned before they existed still hold)."""

MESSAGE_KINDS = (
    "HAVE_PIECES",
    "HAVE_DELTA",
    "HAVE",
    "REQUEST",
    "PIECE",
    "CANCEL",
    "REJECT",
    "CHOKE",
    "UNCHOKE",
)


def run_one(
    config: SimConfig,
    seed: int,
    *,
    trace: bool = False,
    progress: Callable[[Swarm], None] | None = None,
) -> dict[str, Any]:
    """Simulate one run; the result is a plain JSON-able dict (with the per-second series and
    the decision log when `trace`). `progress` sees the swarm every 10 simulated seconds."""
    swarm = Swarm(config, seed, trace=trace, progress=progress)
    swarm.run()
    return result(swarm, with_series=trace)


def decision_digest(result: dict[str, Any]) -> str:
    """A run's fingerprint: sha256 of its result (with the series, viewers and decision log if
    traced) less `events`, the simulator's own work count that speed work may change. Equal
    digests on the same seeds = the same decisions and figures (tests/bench/test_sim_digest.py
    pins one; `swarmcast bench sim` writes one per run to compare before/after)."""
    rest = {k: v for k, v in result.items() if k not in NOT_DIGESTED}
    return hashlib.sha256(json.dumps(rest, sort_keys=True).encode()).hexdigest()


def result(swarm: Swarm, *, with_series: bool = False) -> dict[str, Any]:
    cfg = swarm.cfg
    end = cfg.duration_s
    nodes = swarm.nodes
    origin_by_kind: dict[str, int] = {}
    for node in nodes:
        for kind, size in node.origin_bytes.items():
            origin_by_kind[kind] = origin_by_kind.get(kind, 0) + size
    # Origin egress as it flowed (responses still running at the end count for what arrived).
    origin = round(sum(swarm.rec.origin_first) + sum(swarm.rec.origin_redundant))
    peer = sum(node.peer_bytes for node in nodes)
    # A viewer that never got a first frame counts with its whole stay as TTFF (censored) and
    # as stalled watch time: a run where viewers never start must not look good.
    unstarted = [end - n.arrives_at for n in nodes if n.player.first_frame_at is None]
    ttff = [
        node.player.first_frame_at - node.arrives_at
        for node in nodes
        if node.player.first_frame_at is not None
    ] + unstarted
    watch = sum(node.player.watch_s(end) for node in nodes) + sum(unstarted)
    stalled = sum(node.player.stalled_s for node in nodes) + sum(unstarted)
    # Segments the audience played or fetched: from the first start position to the live edge.
    starts = [n.player.start_seq for n in nodes if n.player.start_seq is not None]
    seqs = range(min(starts), swarm.newest_at(end) + 1) if starts else range(0)
    fetches = [swarm.seq_fetches[s] for s in seqs]
    copies = [swarm.seq_origin_bytes[s] / swarm.segment_size(s) for s in seqs]
    collapses = swarm.rec.collapses()
    out: dict[str, Any] = {
        "seed": swarm.seed,
        "peers": cfg.peers,
        "cap_x": cfg.cap_x,
        "offload": round(peer / (peer + origin), 4) if peer + origin else 0.0,
        "origin_bytes": origin,
        "origin_bytes_by_kind": dict(sorted(origin_by_kind.items())),  # completed responses
        "origin_redundant_share": round(sum(swarm.rec.origin_redundant) / origin, 3)
        if origin
        else 0.0,
        "peer_bytes": peer,
        "stalls": sum(node.player.stalls for node in nodes),
        "stalled_s": round(stalled, 2),
        "stall_share": round(stalled / watch, 4) if watch > 0 else 1.0,
        "viewers_stalled": sum(1 for node in nodes if node.player.stalls),
        "not_started": sum(1 for node in nodes if node.player.first_frame_at is None),
        "ttff_p50": _round(percentile(ttff, 50)),
        "ttff_p95": _round(percentile(ttff, 95)),
        "jumps": sum(node.player.jumps for node in nodes),
        "origin_fetches_per_segment_mean": round(sum(fetches) / len(fetches), 2) if fetches else 0,
        "origin_fetches_per_segment_max": max(fetches, default=0),
        "origin_copies_per_segment_mean": round(sum(copies) / len(copies), 2) if copies else 0,
        "origin_copies_per_segment_max": round(max(copies, default=0.0), 2),
        "origin_refused": swarm.origin.refused,
        "origin_peak_in_flight": swarm.origin.peak_in_flight,
        "collapsed": bool(collapses),
        "collapse_s": sum(b - a for a, b in collapses),
        "collapse_intervals": collapses,
        "counts": dict(sorted(swarm.counts.items())),
        "unknown_actions": dict(sorted(swarm.unknown_actions.items())),
        "events": swarm.q.events,
        "messages": messages(swarm),
    }
    rate = cfg.bitrate_bytes
    out["up_x"] = [round(node.up_rate / rate, 3) for node in nodes]
    bound = presence_bound(nodes, rate, end)
    out["bound"] = round(bound, 4)
    out["offload_of_bound"] = round(out["offload"] / bound, 4) if bound > 0 else None
    if cfg.peer_down_x is not None:  # the drawn downlinks, in multiples of the bitrate
        out["down_x"] = [round((node.down_rate or 0.0) / rate, 3) for node in nodes]
    if with_series:
        out["series"] = swarm.rec.series_json()
        out["viewers"] = [
            {
                "node": node.index,
                "peer_id": node.peer_id,
                "arrives_at": round(node.arrives_at, 3),
                "ttff": _round(
                    None
                    if node.player.first_frame_at is None
                    else node.player.first_frame_at - node.arrives_at
                ),
                "stalls": node.player.stalls,
                "stalled_s": round(node.player.stalled_s, 2),
                "origin_bytes": dict(node.origin_bytes),
                "peer_bytes": node.peer_bytes,
                "neighbours": sorted(n.index for n in node.neighbours.values()),
                **({} if node.down_rate is None else {"down_x": round(node.down_rate / rate, 3)}),
                "scheduler": node.sched.snapshot() if node.sched is not None else None,
            }
            for node in nodes
        ]
        out["trace"] = swarm.trace
    return out


def presence_bound(nodes: list[SimNode], rate: float, end: float) -> float:
    """The lab's capacity-aware bound (`capacity_bound` in e2e/lab/nat_scenario.py, as
    e2e/lab/realistic_figures.py applies it) over the run: between arrivals, the bound of the
    viewers present, weighted by their number (the media they play). A viewer alone for the
    first minute of a steady run can offload nothing."""
    arrivals = sorted((node.arrives_at, node.up_rate) for node in nodes if node.arrives_at < end)
    weighted = played = 0.0
    for i, (at, _) in enumerate(arrivals):
        until = arrivals[i + 1][0] if i + 1 < len(arrivals) else end
        present = [up for _, up in arrivals[: i + 1]]
        weighted += capacity_bound(present, rate) * len(present) * (until - at)
        played += len(present) * (until - at)
    return weighted / played if played > 0 else 0.0


def messages(swarm: Swarm) -> dict[str, Any]:
    """Peer messages the viewers sent, by wire type: in total, per viewer (mean) and per viewer
    per stream-second (each viewer counted from its arrival to the end of the run)."""
    end = swarm.cfg.duration_s
    total: dict[str, int] = {kind: 0 for kind in MESSAGE_KINDS}
    for node in swarm.nodes:
        for kind, count in node.sent.items():
            total[kind] = total.get(kind, 0) + count
    member_s = sum(max(0.0, end - node.arrives_at) for node in swarm.nodes)
    viewers = max(1, len(swarm.nodes))
    return {
        "total": total,
        "per_member": {kind: round(n / viewers, 1) for kind, n in total.items()},
        "per_member_s": {
            kind: round(n / member_s, 3) if member_s > 0 else 0.0 for kind, n in total.items()
        },
    }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


DISTRIBUTED = (
    "offload",
    "offload_of_bound",
    "stall_share",
    "stalls",
    "ttff_p50",
    "ttff_p95",
    "origin_fetches_per_segment_mean",
    "origin_copies_per_segment_mean",
    "origin_fetches_per_segment_max",
    "collapse_s",
)
WORST_IS_LOW = {"offload", "offload_of_bound"}


def aggregate(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median, p95 and worst of each figure over the runs, plus the number of collapses."""
    out: dict[str, Any] = {"runs": len(runs)}
    for name in DISTRIBUTED:
        values = [float(r[name]) for r in runs if r.get(name) is not None]
        if not values:
            continue
        low = name in WORST_IS_LOW
        out[name] = {
            "median": _round(percentile(values, 50), 4),
            # p95 of the bad direction: for offload the 5th percentile.
            "p95": _round(percentile(values, 5 if low else 95), 4),
            "worst": _round(min(values) if low else max(values), 4),
        }
    for kind in ("HAVE_PIECES", "HAVE_DELTA", "REQUEST", "PIECE"):
        rates = [float(r["messages"]["per_member_s"][kind]) for r in runs if "messages" in r]
        if rates:  # per viewer per stream-second; worst = the most messages
            out[f"{kind.lower()}_per_member_s"] = {
                "median": _round(percentile(rates, 50), 3),
                "p95": _round(percentile(rates, 95), 3),
                "worst": _round(max(rates), 3),
            }
    out["collapses"] = sum(1 for r in runs if r["collapsed"])
    out["collapsed_seeds"] = [r["seed"] for r in runs if r["collapsed"]]
    out["runs_with_stalls"] = sum(1 for r in runs if r["stalls"])
    out["not_started"] = sum(r["not_started"] for r in runs)
    out["viewers"] = sum(r["peers"] for r in runs)
    unknown: dict[str, int] = {}
    for r in runs:
        for kind, count in r["unknown_actions"].items():
            unknown[kind] = unknown.get(kind, 0) + count
    out["unknown_actions"] = unknown
    return out
