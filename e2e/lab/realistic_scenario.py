"""The `realistic` lab scenario (issue 12 item 5), pure: a scenario file (TOML) -> the hosts
behind their NATs (parsed by `nat_scenario.build_scenario`, with their access caps), which of
them run a Chromium viewer and which a Python viewer, the ladder, the rendition each Python
viewer watches, and the swarm lab's config (a P2P phase, then a CDN-only phase).

Python viewers have no ABR: each watches the highest rung whose advertised BANDWIDTH (video x
`SegmenterConfig.bandwidth_headroom` + audio) fits in `python_abr_share` of its downlink cap,
the way hls.js switches up while its bandwidth estimate x 0.7 covers the next rung.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swarmcast.e2e.lab.config import LabConfig, PhaseSpec
from swarmcast.e2e.lab.nat_scenario import NatHost, NatScenario, build_scenario
from swarmcast.segmenter.config import Rendition, SegmenterConfig

KINDS = ("browser", "python")


@dataclass(frozen=True)
class RealisticScenario:
    nat: NatScenario
    kinds: tuple[str, ...]  # per host index: "browser" or "python"
    ladder: tuple[Rendition, ...]  # highest first
    fps: int = 15
    duration_s: float = 120.0
    join_window_s: float = 24.0
    peer_join_window_s: float = 30.0
    python_abr_share: float = 0.7
    origin_nice: int | None = None  # LabConfig.origin_nice
    python_autogroup_nice: int | None = None  # LabConfig.python_peers_autogroup_nice
    # A browser's page sets `uploadCapBytesPerS` to this share of its host's uplink
    # (`?upload_cap=`), as Python viewers get `--upload-rate` (`upload_budget_share`); None: no
    # cap (the default).
    browser_upload_cap_share: float | None = None

    @property
    def hosts(self) -> tuple[NatHost, ...]:
        return self.nat.hosts

    def hosts_of(self, kind: str) -> list[NatHost]:
        """The hosts running `kind` viewers, in host order (= the lab's slots of that kind)."""
        return [h for h in self.hosts if self.kinds[h.index] == kind]

    @property
    def ladder_arg(self) -> str:
        return ",".join(f"{r.width}x{r.height}@{r.video_bitrate // 1000}" for r in self.ladder)

    def python_rendition(self, host: NatHost) -> str:
        """The rung a Python viewer on `host` watches (see the module docstring)."""
        budget = host.down_kbit * 1000 * self.python_abr_share
        for rung in self.ladder:
            if advertised_bps(rung) <= budget:
                return rung.name
        return self.ladder[-1].name


def advertised_bps(rung: Rendition) -> float:
    """The rung's HLS BANDWIDTH as the segmenter writes it (before any measured peak)."""
    config = SegmenterConfig()
    return rung.video_bitrate * config.bandwidth_headroom + config.audio_bitrate


def load_realistic(path: Path) -> RealisticScenario:
    """Parse a scenario file; ValueError with the reason for a bad one."""
    with path.open("rb") as file:
        return build_realistic(tomllib.load(file))


def build_realistic(data: dict[str, Any]) -> RealisticScenario:
    nat = build_scenario(data)
    kinds: list[str] = []
    for group in data.get("hosts", []):
        kind = group.get("kind", "python")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        kinds += [kind] * int(group.get("count", 1))
    if "browser" not in kinds:
        raise ValueError("a realistic scenario needs at least one browser host")
    try:
        ladder = tuple(Rendition.parse(rung) for rung in nat.ladder.split(","))
    except ValueError as exc:
        raise ValueError(f"ladder: {exc}") from None
    if len({r.name for r in ladder}) != len(ladder):
        raise ValueError("ladder: two rungs with one height")
    ladder = tuple(sorted(ladder, key=lambda r: r.video_bitrate, reverse=True))
    return RealisticScenario(
        nat=nat,
        kinds=tuple(kinds),
        ladder=ladder,
        fps=int(data.get("fps", 15)),
        duration_s=float(data.get("duration_s", 120.0)),
        join_window_s=float(data.get("join_window_s", 24.0)),
        peer_join_window_s=float(data.get("peer_join_window_s", 30.0)),
        python_abr_share=float(data.get("python_abr_share", 0.7)),
        origin_nice=int(data["origin_nice"]) if data.get("origin_nice") is not None else None,
        python_autogroup_nice=(
            int(data["python_autogroup_nice"])
            if data.get("python_autogroup_nice") is not None
            else None
        ),
        browser_upload_cap_share=(
            float(data["browser_upload_cap_share"])
            if data.get("browser_upload_cap_share") is not None
            else None
        ),
    )


def lab_config(scenario: RealisticScenario, **overrides: Any) -> LabConfig:
    """The swarm lab's config: the same audience with P2P, then CDN-only; the origin encodes the
    scenario's ladder at its frame rate (the NAT-aware runner adds STUN/TURN)."""
    browsers, peers = len(scenario.hosts_of("browser")), len(scenario.hosts_of("python"))
    phases = tuple(
        PhaseSpec(
            name, p2p=name == "p2p", viewers=browsers, duration_s=scenario.duration_s,
            join_window_s=scenario.join_window_s, python_peers=peers,
            peer_join_window_s=scenario.peer_join_window_s,
        )
        for name in ("p2p", "cdn")
    )  # fmt: skip
    origin_args = (
        "--source", "synthetic", "--ladder", scenario.ladder_arg, "--fps", str(scenario.fps),
    )  # fmt: skip
    config = LabConfig(
        scenario="realistic", phases=phases, origin_args=origin_args,
        origin_nice=scenario.origin_nice,
        python_peers_autogroup_nice=scenario.python_autogroup_nice,
    )  # fmt: skip
    return dataclasses.replace(config, **overrides) if overrides else config
