"""The `realistic` scenario's figures from a run's raw record (pure: no I/O, no clock).

Definitions (per phase; the general ones, TTFF and stalls, are `e2e.lab.metrics`'s):
- Rung of a browser: the rendition hls.js plays (the probe's `level`, a height), sampled about
  once a second from ABR_SETTLE_S after the first frame to the end; its dominant rung is the
  most sampled one (ties: the lower rung). A Python viewer has the one rung its downlink
  affords (`realistic_scenario`). ABR agreement: per browser slot (same host, NAT and caps in
  both phases), |dominant rung with P2P - dominant rung CDN-only| <= 1.
- Capacity-aware bound: one swarm per rendition. Swarm k holds the viewers whose dominant rung
  is k: N_k viewers, uplink caps u_i (tbf), media rate r_k = their bytes / their watch seconds;
  bound_k = min(1 - 1/N_k, sum(u_i) / (N_k * r_k)) (`nat_scenario.capacity_bound`). The phase's
  bound is the bytes-weighted mean of bound_k. Offload = peer bytes / all media bytes, browsers
  and Python viewers together.
- NAT pairs: an attempt is a pair of hosts whose viewers tried a connection, from both sides:
  a Python viewer's `links` (neighbour -> time its link opened, or None) keyed by peer id, and
  a browser's peer connections (the probe), whose remote host is named by the host (or server-
  reflexive) address of its remote candidates. Connected if either side opened it; the
  selected candidate pair (`local/remote` types) from whichever side knows it.
- TURN bytes: what coturn's interface sent during the phase (link counters), relay and STUN.
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from swarmcast.e2e.lab.metrics import _origin_egress
from swarmcast.e2e.lab.nat_scenario import _pair_kind, capacity_bound, pair_key
from swarmcast.e2e.lab.numbers import median, ratio

ABR_SETTLE_S = 20.0  # hls.js starts low and climbs: rungs count from this long after first frame
TURN_HOST = 1  # realistic_run.NatLabTopology: host 0 the origin, host 1 coturn
LAN_PREFIX, WAN_PREFIX = "10.77.", "10.77.240."  # nat_topology: LANs 10.77.200+i, WANs .100+i


def realistic_figures(raw: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    """Per phase: viewers (rungs, bytes, stalls, TTFF), bound, offload, pairs; P2P vs CDN."""
    info = raw["realistic"]
    hosts = {(h["kind"], h["slot"]): h for h in info["hosts"]}
    ladder = [r["name"] for r in info["ladder"]]
    heights = {int(r["height"]): r["name"] for r in info["ladder"]}
    phases: dict[str, dict[str, Any]] = {}
    for phase_raw, phase_sum in zip(raw.get("phases", []), summary.get("phases", []), strict=True):
        drops = {int(k): v for k, v in (phase_raw.get("access_drops") or {}).items()}
        browsers = {v["viewer"]: v for v in phase_sum["viewers"]}
        peers = {p["viewer"]: p for p in phase_sum["python"]}
        viewers = []
        for record in phase_raw.get("viewers", []):
            host = hosts[(record["kind"], record["slot"])]
            if record["kind"] == "browser":
                viewer = _browser(record, browsers[record["viewer"]], host, heights, ladder)
            else:
                viewer = _python(record, peers[record["viewer"]], host)
            viewer["access_drops"] = drops.get(host["index"])  # None: not counted (older runs)
            viewers.append(viewer)
        phase = _phase(viewers, ladder)
        phase["pairs"] = nat_pairs(phase_raw.get("viewers", []), info["hosts"])
        turn = _origin_egress(raw.get("links", []), TURN_HOST, phase_raw["start_wall"],
                              phase_raw["end_wall"])  # fmt: skip
        phase["turn_sent_bytes"] = turn["bytes"]
        phase["origin_egress_bytes"] = phase_sum.get("origin_egress_bytes")
        phase["cpu"] = phase_sum.get("cpu")
        phase["origin_publish"] = phase_sum.get("origin_publish")
        phases[phase_sum["name"]] = phase
    return {"phases": phases, "abr": abr_agreement(phases, ladder)}


def _browser(
    record: dict[str, Any],
    viewer: dict[str, Any],
    host: dict[str, Any],
    heights: dict[int, str],
    ladder: list[str],
) -> dict[str, Any]:
    samples = [s for s in record.get("samples", []) if s]
    first = next((s.get("firstFrameWall") for s in reversed(samples) if s.get("firstFrameWall")),
                 None)  # fmt: skip
    rungs: list[str] = []
    if first:
        settled = [s for s in samples if float(s["wall"]) >= first + ABR_SETTLE_S * 1000]
        rungs = [heights[int(s["level"])] for s in settled if s.get("level") in heights]
    return {
        **_common(host, record),
        "rung": dominant(rungs, ladder),
        "rung_shares": {name: round(rungs.count(name) / len(rungs), 3) for name in ladder}
        if rungs
        else {},
        "p2p_bytes": viewer["p2p_bytes"],
        "http_bytes": viewer["http_media_bytes"],
        "uploaded_bytes": viewer["uploaded_bytes"],
        "watch_s": viewer["watch_s"],
        "stalls": viewer["stall_count"],
        "stall_s": viewer["stall_s"],
        "ttff_s": viewer["ttff_s"],
    }


def _python(record: dict[str, Any], peer: dict[str, Any], host: dict[str, Any]) -> dict[str, Any]:
    final = record.get("final") or {}
    return {
        **_common(host, record),
        "rung": final.get("rendition") or host.get("rendition"),
        "p2p_bytes": peer["p2p_bytes"],
        "http_bytes": peer["http_bytes"],
        "uploaded_bytes": peer["uploaded_bytes"],
        "watch_s": float(final.get("elapsed_s") or 0.0),
        "stalls": peer["stalls"],
        "ttff_s": peer["startup_s"],
    }


def _common(host: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    return {
        "viewer": record["viewer"], "kind": record["kind"], "slot": record["slot"],
        "host": host["index"], "nat": host["label"], "access": host["access"],
        "up_kbit": host["up_kbit"], "down_kbit": host["down_kbit"],
    }  # fmt: skip


def dominant(rungs: list[str], ladder: list[str]) -> str | None:
    """The most frequent rung; a tie goes to the lower rung (ladder is highest first)."""
    if not rungs:
        return None
    counts = Counter(rungs)
    return max(counts, key=lambda name: (counts[name], ladder.index(name)))


def _phase(viewers: list[dict[str, Any]], ladder: list[str]) -> dict[str, Any]:
    p2p = sum(v["p2p_bytes"] for v in viewers)
    total = p2p + sum(v["http_bytes"] for v in viewers)
    swarms: dict[str, dict[str, Any]] = {}
    weighted = in_swarms = 0.0
    for name in ladder:
        members = [v for v in viewers if v["rung"] == name]
        got = sum(v["p2p_bytes"] + v["http_bytes"] for v in members)
        seconds = sum(v["watch_s"] for v in members)
        rate = 8 * got / seconds if seconds else 0.0
        swarm_bound = capacity_bound([v["up_kbit"] * 1000.0 for v in members], rate)
        from_peers = sum(v["p2p_bytes"] for v in members)
        swarms[name] = {
            "viewers": len(members),
            "rate_kbit": round(rate / 1000, 1),
            "upload_kbit": sum(v["up_kbit"] for v in members),
            "bound": round(swarm_bound, 4),
            "offload": ratio(from_peers, got),
            "bytes": got,
        }
        weighted += swarm_bound * got
        in_swarms += got
    offload = ratio(p2p, total)
    uploaded = sum(v["uploaded_bytes"] for v in viewers)
    # Viewers with no rung (never played past ABR_SETTLE_S) weigh nothing in the bound.
    bound = round(weighted / in_swarms, 4) if in_swarms else None
    browsers = [v for v in viewers if v["kind"] == "browser"]
    pythons = [v for v in viewers if v["kind"] == "python"]
    return {
        "viewers": viewers,
        "swarms": swarms,
        "offload": offload,
        "bound": bound,
        "offload_of_bound": round(offload / bound, 4) if offload is not None and bound else None,
        # Uploaded bytes no viewer kept: sent to a neighbour that had cancelled them (or already
        # had them, or left); each such byte took uplink and downlink from useful ones.
        "upload_unused": ratio(uploaded - p2p, uploaded) if uploaded > 0 else None,
        "browser_stalls": sum(v["stalls"] for v in browsers),
        "browser_stall_s": round(sum(v.get("stall_s") or 0.0 for v in browsers), 2),
        "python_stalls": sum(v["stalls"] for v in pythons),
        "browsers_playing": sum(1 for v in browsers if v["ttff_s"] is not None),
        "ttff_browser": _median_worst([v["ttff_s"] for v in browsers]),
        "ttff_python": _median_worst([v["ttff_s"] for v in pythons]),
    }


def _median_worst(values: list[float | None]) -> dict[str, float | None]:
    present = [float(v) for v in values if v is not None]
    return {"median": median(present), "worst": max(present) if present else None}


def abr_agreement(phases: dict[str, dict[str, Any]], ladder: list[str]) -> dict[str, Any]:
    """Per browser slot: the dominant rung with P2P and CDN-only, and how many rungs apart."""
    if "p2p" not in phases or "cdn" not in phases:
        return {}

    def by_slot(phase: str) -> dict[int, str | None]:
        return {v["slot"]: v["rung"] for v in phases[phase]["viewers"] if v["kind"] == "browser"}

    p2p, cdn = by_slot("p2p"), by_slot("cdn")
    slots: list[dict[str, Any]] = []
    compared: list[int] = []
    for slot in sorted(set(p2p) | set(cdn)):
        a, b = p2p.get(slot), cdn.get(slot)
        apart = abs(ladder.index(a) - ladder.index(b)) if a and b else None
        slots.append({"slot": slot, "p2p": a, "cdn": b, "rungs_apart": apart})
        if apart is not None:
            compared.append(apart)
    return {
        "slots": slots,
        "compared": len(compared),
        "same": sum(1 for d in compared if d == 0),
        "within_one": sum(1 for d in compared if d <= 1),
        "max_apart": max(compared) if compared else None,
    }


def host_of_address(address: str) -> int | None:
    """The scenario host behind a candidate address: its LAN (10.77.200+i.2) or its home
    router's WAN (10.77.240.100+i); None for coturn, CGNAT or unknown addresses."""
    parts = address.split(".")
    if len(parts) != 4 or not address.startswith(LAN_PREFIX) or not parts[3].isdigit():
        return None
    third, fourth = int(parts[2]), int(parts[3])
    if 200 <= third < 232 and fourth == 2:
        return third - 200
    if address.startswith(WAN_PREFIX) and 100 <= fourth < 132:
        return fourth - 100
    return None


def nat_pairs(records: list[dict[str, Any]], hosts: list[dict[str, Any]]) -> dict[str, Any]:
    """The NAT-pair matrix of one phase: attempts, connections, selected pair kinds."""
    slot_host = {(h["kind"], h["slot"]): h["index"] for h in hosts}
    labels = {h["index"]: h["label"] for h in hosts}
    by_peer_id: dict[str, int] = {}
    for record in records:
        final = record.get("final") or {}
        if record["kind"] == "python" and final.get("peer_id"):
            by_peer_id[final["peer_id"]] = slot_host[("python", record["slot"])]
    outcome: dict[frozenset[int], tuple[bool, str | None]] = {}

    def note(a: int, b: int, ok: bool, pair: str | None) -> None:
        if a == b:
            return
        key = frozenset((a, b))
        known_ok, known_pair = outcome.get(key, (False, None))
        outcome[key] = (known_ok or ok, (pair if ok else None) or known_pair)

    for record in records:
        me = slot_host[(record["kind"], record["slot"])]
        final = record.get("final") or {}
        if record["kind"] == "python":
            pairs = final.get("candidate_pairs") or {}
            for peer, opened in (final.get("links") or {}).items():
                if peer in by_peer_id:
                    note(me, by_peer_id[peer], opened is not None, pairs.get(peer))
            continue
        for pc in final.get("peerConnections") or []:
            remote = _remote_host(pc.get("remoteCandidates") or [])
            if remote is not None:
                note(me, remote, pc.get("connected") is not None, pc.get("pair"))
    matrix: dict[str, dict[str, Any]] = {}
    kinds: Counter[str] = Counter()
    for key, (ok, pair) in outcome.items():
        a, b = sorted(key)
        cell = matrix.setdefault(pair_key(labels[a], labels[b]),
                                 {"attempts": 0, "connected": 0, "pairs": {}})  # fmt: skip
        cell["attempts"] += 1
        cell["connected"] += int(ok)
        if ok:
            kind = _pair_kind(pair)
            cell["pairs"][kind] = cell["pairs"].get(kind, 0) + 1
            kinds[kind] += 1
    attempts = sum(c["attempts"] for c in matrix.values())
    return {
        "matrix": dict(sorted(matrix.items())),
        "attempts": attempts,
        "connected": sum(c["connected"] for c in matrix.values()),
        "selected": dict(kinds),
    }


def _remote_host(candidates: list[str]) -> int | None:
    """`"<type> <address>"` strings (the probe's): the first that names a scenario host."""
    for entry in candidates:
        _, _, address = entry.partition(" ")
        host = host_of_address(address)
        if host is not None:
            return host
    return None


def run_row(figures: dict[str, Any]) -> dict[str, Any]:
    """One run's headline figures (the aggregate's input)."""
    p2p, cdn = figures["phases"].get("p2p", {}), figures["phases"].get("cdn", {})
    abr = figures.get("abr") or {}
    pairs = p2p.get("pairs") or {}
    return {
        "offload": p2p.get("offload"),
        "bound": p2p.get("bound"),
        "offload_of_bound": p2p.get("offload_of_bound"),
        "upload_unused": p2p.get("upload_unused"),
        "p2p_browser_stalls": p2p.get("browser_stalls"),
        "p2p_python_stalls": p2p.get("python_stalls"),
        "cdn_browser_stalls": cdn.get("browser_stalls"),
        "cdn_python_stalls": cdn.get("python_stalls"),
        "abr_within_one": abr.get("within_one"),
        "abr_same": abr.get("same"),
        "abr_compared": abr.get("compared"),
        "abr_max_apart": abr.get("max_apart"),
        "ttff_p2p_median": (p2p.get("ttff_browser") or {}).get("median"),
        "ttff_p2p_worst": (p2p.get("ttff_browser") or {}).get("worst"),
        "ttff_cdn_median": (cdn.get("ttff_browser") or {}).get("median"),
        "ttff_cdn_worst": (cdn.get("ttff_browser") or {}).get("worst"),
        "pair_attempts": pairs.get("attempts"),
        "pair_connected": pairs.get("connected"),
        "pairs_selected": pairs.get("selected"),
        "turn_sent_bytes": p2p.get("turn_sent_bytes"),
        "cpu_mean_pct": ((p2p.get("cpu") or {}).get("machine_mean_pct")),
        **{
            f"cpu_{role}_{name}": _role_cpu(phase, role)
            for name, phase in (("p2p", p2p), ("cdn", cdn))
            for role in ("browsers", "python_peers", "origin")
        },
        "load1_max": ((p2p.get("cpu") or {}).get("load1_max")),
        "publish_delay_p2p_max": ((p2p.get("origin_publish") or {}).get("max_s")),
        "publish_delay_cdn_max": ((cdn.get("origin_publish") or {}).get("max_s")),
    }


def _role_cpu(phase: dict[str, Any], role: str) -> float | None:
    """Mean CPU of a role's processes over a phase, % of one core (the lab's CPU monitor)."""
    value = ((phase.get("cpu") or {}).get("roles_mean_pct_of_core") or {}).get(role)
    return float(value) if isinstance(value, int | float) else None


def aggregate(rows: list[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Median and worst over runs of each numeric figure (worst = min for offload figures and
    agreement counts, max for the rest)."""
    lower_is_worse = {"offload", "bound", "offload_of_bound", "abr_within_one", "abr_same",
                      "pair_connected"}  # fmt: skip
    out: dict[str, dict[str, float | None]] = {}
    for key in rows[0] if rows else []:
        values = [r[key] for r in rows if isinstance(r.get(key), int | float)]
        if not values:
            continue
        worst = min(values) if key in lower_is_worse else max(values)
        out[key] = {"median": float(statistics.median(values)), "worst": float(worst)}
    return out
