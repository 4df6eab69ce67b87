"""NAT lab scenarios (issue 12), pure: a scenario file (TOML) -> the hosts to build (NAT type,
carrier-grade NAT, uplink/downlink caps drawn from the documented access distributions), and
the figures of a run: the NAT-pair connection matrix, selected candidate-pair types, time to
first peer, offload against the capacity-aware bound min(1 - 1/N, sum(u) / (N * r)).

Access distributions (uniform, Mbit/s, drawn per host with the scenario's seed):
home up 2-20 / down 20-100, mobile up 0.5-2 / down 5-20; a scenario may override them.
"""

from __future__ import annotations

import random
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NAT_TYPES = ("cone", "symmetric")  # port-preserving MASQUERADE, MASQUERADE fully-random
DEFAULT_ACCESS = {
    "home": {"up_mbit": (2.0, 20.0), "down_mbit": (20.0, 100.0)},
    "mobile": {"up_mbit": (0.5, 2.0), "down_mbit": (5.0, 20.0)},
}
MAX_HOSTS = 32  # LANs 10.77.200-231.0/24


@dataclass(frozen=True)
class NatHost:
    index: int
    nat: str  # "cone" or "symmetric": the host's own router
    access: str
    up_kbit: int
    down_kbit: int
    cgnat: str | None = None  # behind this carrier-grade NAT too (its router's WAN side)

    @property
    def label(self) -> str:
        """The NAT type as the matrix shows it: `cone`, `symmetric`, `cone+cgnat`."""
        return f"{self.nat}+cgnat" if self.cgnat else self.nat


@dataclass(frozen=True)
class NatScenario:
    name: str
    hosts: tuple[NatHost, ...]
    duration_s: float = 60.0
    ladder: str = "640x360@700"
    join_gap_s: float = 1.0
    # Each peer's `--upload-rate` as a share of its uplink cap (headroom for HAVEs and acks).
    upload_budget_share: float = 0.8
    # Serve the stream relay-only (privacy mode, docs/deploy.md): every link through TURN.
    relay_only: bool = False
    # CPU priority of the lab's session (origin, coturn, peers) while a run holds the heavy
    # lock: with `kernel.sched_autogroup_enabled` sessions share the CPU as equals, so any
    # other session on the 2 cores took as much as the 8 viewers together (None: unchanged).
    lab_autogroup_nice: int | None = None


def load_scenario(path: Path) -> NatScenario:
    """Parse a scenario file; ValueError with the reason for a bad one."""
    with path.open("rb") as file:
        data = tomllib.load(file)
    return build_scenario(data)


def build_scenario(data: dict[str, Any]) -> NatScenario:
    access = {**DEFAULT_ACCESS, **data.get("access", {})}
    rng = random.Random(int(data.get("seed", 1)))
    hosts: list[NatHost] = []
    for group in data.get("hosts", []):
        nat = group.get("nat", "cone")
        if nat not in NAT_TYPES:
            raise ValueError(f"nat must be one of {', '.join(NAT_TYPES)}, not {nat!r}")
        kind = group.get("access", "home")
        if kind not in access:
            raise ValueError(f"unknown access {kind!r}")
        up, down = access[kind]["up_mbit"], access[kind]["down_mbit"]
        for _ in range(int(group.get("count", 1))):
            hosts.append(
                NatHost(
                    index=len(hosts),
                    nat=nat,
                    access=kind,
                    up_kbit=round(rng.uniform(*up) * 1000),
                    down_kbit=round(rng.uniform(*down) * 1000),
                    cgnat=group.get("cgnat"),
                )
            )
    if not 2 <= len(hosts) <= MAX_HOSTS:
        raise ValueError(f"a scenario needs 2..{MAX_HOSTS} hosts, not {len(hosts)}")
    return NatScenario(
        name=str(data.get("name", "nat")),
        hosts=tuple(hosts),
        duration_s=float(data.get("duration_s", 60.0)),
        ladder=str(data.get("ladder", "640x360@700")),
        join_gap_s=float(data.get("join_gap_s", 1.0)),
        upload_budget_share=float(data.get("upload_budget_share", 0.8)),
        relay_only=bool(data.get("relay_only", False)),
        lab_autogroup_nice=_nice(data.get("lab_autogroup_nice")),
    )


def _nice(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not -20 <= value <= 19:
        raise ValueError(f"lab_autogroup_nice must be an integer in -20..19, not {value!r}")
    return value


def capacity_bound(up_bps: list[float], rate_bps: float) -> float:
    """The most a swarm of N can offload: min(1 - 1/N, sum(u) / (N * r))."""
    n = len(up_bps)
    if n == 0 or rate_bps <= 0:
        return 0.0
    return min(1 - 1 / n, sum(up_bps) / (n * rate_bps))


def direct_allowed(a: NatHost, b: NatHost) -> bool:
    """Whether the lab's NATs let `a` and `b` connect without a relay: both port-preserving
    ("cone", also behind a carrier-grade NAT), and not behind the same carrier-grade NAT (it does
    not hairpin). Port-restricted filtering meets a symmetric mapping only through TURN."""
    if a.nat != "cone" or b.nat != "cone":
        return False
    return not (a.cgnat and a.cgnat == b.cgnat)


def pair_key(a: str, b: str) -> str:
    return " - ".join(sorted((a, b)))


STARTUP_SEGMENTS = 9  # the first segments, fetched while viewers still join (1 s apart here)


def timeline_figures(timelines: list[dict[str, Any]]) -> dict[str, Any]:
    """What the peers' timelines (`swarmcast peer --timeline`) say about origin load: neighbours
    abandoned as silent or slow, origin fetch decisions by reason, and the origin bytes of the
    run's first `STARTUP_SEGMENTS` segments (startup) and of the rest."""
    abandoned: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    by_seq: Counter[int] = Counter()
    for timeline in timelines:
        for event in timeline.get("events", []):
            kind, why = event.get("kind"), event.get("why")
            if kind == "decision" and why == "abandon-peer":
                abandoned[str(event.get("reason"))] += 1
            elif kind == "decision" and "piece_count" in event and "peer" not in event:
                reasons[str(why)] += 1  # an origin fetch (peer requests name their peer)
            elif kind == "http-end" and event.get("outcome") == "ok":
                by_seq[int(event.get("seq", -1))] += int(event.get("bytes", 0))
    first = sorted(by_seq)[:STARTUP_SEGMENTS]
    startup = sum(by_seq[seq] for seq in first)
    return {
        "abandoned": dict(abandoned),
        "origin_fetches": dict(reasons),
        "origin_bytes_startup": startup,
        "origin_bytes_after_startup": sum(by_seq.values()) - startup,
    }


def leaked_addresses(
    stats: dict[int, dict[str, Any]], allowed: frozenset[str]
) -> dict[str, list[str]]:
    """Addresses other than `allowed` (the TURN server's, the hidden 0.0.0.0) that signaling
    showed a viewer about another viewer: `viewer <- neighbour` -> addresses. Empty is the
    privacy-mode target."""
    viewers = {s["peer_id"] for s in stats.values() if s.get("peer_id")}
    leaks: dict[str, list[str]] = {}
    for s in stats.values():
        for peer, addresses in (s.get("signal_addresses") or {}).items():
            shown = sorted(set(addresses) - allowed)
            if peer in viewers and shown:
                leaks[f"{s['peer_id']} <- {peer}"] = shown
    return leaks


def run_figures(
    hosts: tuple[NatHost, ...],
    stats: dict[int, dict[str, Any]],
    relay_addresses: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """A run's figures from each host's peer stats JSON (keyed by host index); addresses a
    viewer may see of another besides `relay_addresses` and 0.0.0.0 count as leaks."""
    by_peer = {s["peer_id"]: i for i, s in stats.items() if s.get("peer_id")}
    outcome: dict[frozenset[str], tuple[int, int, bool, str | None]] = {}
    for index, s in stats.items():
        for peer, opened_at in (s.get("links") or {}).items():
            other = by_peer.get(peer)
            if other is None:
                continue
            key = frozenset((s["peer_id"], peer))
            pair_type = (s.get("candidate_pairs") or {}).get(peer)
            ok, known = opened_at is not None, outcome.get(key)
            if known is None or (ok and not known[2]):
                outcome[key] = (index, other, ok, pair_type)
            elif ok and known[3] is None and pair_type:
                outcome[key] = (*known[:3], pair_type)
    matrix: dict[str, dict[str, Any]] = {}
    allowed = {"pairs": 0, "connected_directly": 0}
    for a, b, ok, pair_type in outcome.values():
        cell = matrix.setdefault(
            pair_key(hosts[a].label, hosts[b].label), {"attempts": 0, "connected": 0, "pairs": {}}
        )
        cell["attempts"] += 1
        cell["connected"] += int(ok)
        kind = _pair_kind(pair_type)
        if ok:
            cell["pairs"][kind] = cell["pairs"].get(kind, 0) + 1
        if direct_allowed(hosts[a], hosts[b]):
            allowed["pairs"] += 1
            allowed["connected_directly"] += int(ok and kind.startswith("direct"))
    from_peers = sum(s.get("bytes_from_peers", 0) for s in stats.values())
    from_http = sum(s.get("bytes_from_http", 0) for s in stats.values())
    elapsed = [s.get("elapsed_s", 0.0) for s in stats.values()]
    rate_bps = 8 * (from_peers + from_http) / max(1e-9, sum(elapsed))
    bound = capacity_bound([hosts[i].up_kbit * 1000.0 for i in stats], rate_bps)
    offload = from_peers / (from_peers + from_http) if from_peers + from_http else 0.0
    firsts = sorted(
        min(v for v in (s.get("links") or {}).values() if v is not None)
        for s in stats.values()
        if any(v is not None for v in (s.get("links") or {}).values())
    )
    leaks = leaked_addresses(stats, relay_addresses | {"0.0.0.0"})
    selected = Counter(
        _pair_kind(p) for s in stats.values() for p in (s.get("candidate_pairs") or {}).values()
    )
    return {
        "peers": len(stats),
        "bytes_from_peers": from_peers,
        "bytes_from_http": from_http,
        "offload": round(offload, 4),
        "stream_rate_bps": round(rate_bps),
        "capacity_bound": round(bound, 4),
        "offload_of_bound": round(offload / bound, 4) if bound else None,
        "stalls": sum(s.get("stalls", 0) for s in stats.values()),
        "peers_with_a_link": len(firsts),
        "time_to_first_peer_s": {
            "median": firsts[len(firsts) // 2] if firsts else None,
            "worst": firsts[-1] if firsts else None,
        },
        "selected_pairs": dict(selected),
        "leaked_addresses": leaks,
        "leaks": sum(len(shown) for shown in leaks.values()),
        "direct_allowed": allowed,
        "nat_pairs": dict(sorted(matrix.items())),
    }


def _pair_kind(pair_type: str | None) -> str:
    """`relay` if either end is a relay, else `direct (local/remote)`."""
    if not pair_type:
        return "unknown"
    return "relay" if "relay" in pair_type else f"direct ({pair_type})"
