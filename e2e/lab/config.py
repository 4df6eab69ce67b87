"""The swarm lab's one configuration: every default lives here; scenarios and the CLI override.

A run is one topology and one origin (one live stream) and a sequence of phases watched on it:
steady runs a P2P phase then a CDN-only phase, so both see the same stream on the same machine.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BROWSER_MODES = ("processes", "contexts")


@dataclass(frozen=True)
class PhaseSpec:
    """One audience watching the stream for a while; all of it leaves at `duration_s`."""

    # "p2p" or "cdn": names the phase in results; `p2p` decides the page's `?p2p=` flag.
    name: str
    p2p: bool
    # Chromium viewers (one browser per viewer host, or contexts of one: LabConfig.browser_mode).
    viewers: int
    duration_s: float
    # Joins spread over this window: evenly spaced, or uniformly random when `random_joins`.
    join_window_s: float = 14.0
    random_joins: bool = False
    # Churn: every `churn_every_s` a `churn_fraction` of the viewers leaves and as many new join.
    churn_every_s: float | None = None
    churn_fraction: float = 1 / 3
    # Headless Python viewers (`swarmcast peer`), joined evenly over `peer_join_window_s`.
    python_peers: int = 0
    peer_join_window_s: float = 20.0


@dataclass(frozen=True)
class LabConfig:
    """Topology, origin and measurement settings shared by every phase of a run."""

    scenario: str
    phases: tuple[PhaseSpec, ...]
    stream: str = "demo"
    # The origin listens inside its own namespace, which nothing else uses: a fixed port is safe.
    origin_port: int = 8080
    # Extra `swarmcast serve` arguments (the lab adds --host/--port/--stream and a --dir of its
    # own). The lab ladder is one light rendition, so that eight Chromium decoders and the
    # encoder fit on two cores.
    origin_args: tuple[str, ...] = ("--source", "synthetic", "--ladder", "640x360@700")
    # Replaces the whole origin command (tests, or a stand-in origin); `{host}`, `{port}` and
    # `{stream}`, `{workdir}` are substituted.
    origin_argv: tuple[str, ...] | None = None
    # CPU priority (nice, and autogroup nice) of the origin and of signaling (inside it or
    # apart); None: the lab's own. The origin and signaling stand in for servers on machines of
    # their own: -10 keeps the live encoder in real time while the viewers load the shared cores
    # (e2e/lab/origin_publish.py). The flash and realistic scenarios set it: at the lab's own
    # priority the flash cell "3x all at once" published segments up to 24.7 s late. Not the
    # default: in the scale scenario (26 Python viewers, signaling inside the origin) it left
    # the 4 browsers a third of a core and 65% of their watch time stalled
    # (bench/results/flash-crowd/README.md, session 12).
    origin_nice: int | None = None
    # Python viewers' CPU: None gives each `swarmcast peer` a session of its own, so with
    # autogroup scheduling 20 of them claim 20 shares of the CPU beside 8 browsers (series 3 of
    # the realistic scenario: the browsers starved in the P2P phase only). A value puts all of
    # them in the lab's session, which gets this autogroup nice: one claimant together.
    python_peers_autogroup_nice: int | None = None
    # Run signaling (`swarmcast signaling`) on a host of its own instead of inside the origin,
    # so that a capped origin link does not also delay SDP/ICE exchanges.
    separate_signaling: bool = False
    signaling_port: int = 8081
    # Segments the stream must have before the first viewer joins.
    warmup_segments: int = 3
    origin_ready_timeout_s: float = 90.0
    # Origin egress cap: a multiple of the top rendition's BANDWIDTH, or absolute kbit/s.
    egress_cap_x_top: float | None = None
    egress_cap_kbit: int | None = None
    # Browser pages load through the production edge (nginx running deploy/nginx/swarmcast.conf:
    # TLS, HTTP/2, caching) in the origin's namespace, as from a real deployment, instead of
    # from the origin's own plain-HTTP listener (e2e/lab/page_edge.py). Python viewers keep the
    # origin's address.
    page_edge: bool = False
    # The viewer page (query `?stream=<stream>&p2p=<0|1>` is added).
    page_path: str = "/"
    # Viewers start with the page's scripts in their HTTP cache (loaded once before the first
    # phase, as a CDN or a returning visit would serve them): the measured traffic is media,
    # playlists, records and signaling, and a capped origin is not flooded with JavaScript.
    warm_page_cache: bool = True
    sample_interval_s: float = 1.0
    cpu_interval_s: float = 2.0
    # Pause between phases so the previous audience's sessions expire at signaling.
    phase_gap_s: float = 5.0
    # A viewer that does not exit this long after being told to leave is killed.
    leave_grace_s: float = 15.0
    seed: int = 1
    # "processes": one Chromium process per viewer, each on a viewer host of its own;
    # "contexts": every viewer of a phase as a browser context of ONE Chromium process on one
    # viewer host (the page's scripts come from the warm-up's HAR recording instead of a cache).
    browser_mode: str = "processes"
    # "processes": launch every browser of a phase before its clock starts, each on a blank page
    # until its join opens the viewer page (viewer_launch._prelaunch_browsers). Off by default:
    # it takes the launch storm out of an all-at-once arrival, but the idle browsers cost the
    # viewers CPU (churn: 20 of them; TTFF p50 6.2-6.4 s against 1.1-1.9 s launched at the join)
    # and 8 pages starting in the same second stalled more (bench/results/flash-crowd/README.md,
    # session 12).
    prelaunch_browsers: bool = False
    # Record every viewer's shim timeline (`?timeline=1`) and write it with a plot per viewer.
    timeline: bool = False
    python: str = field(default=sys.executable)
    chromium: str = "/usr/bin/chromium"
    peer_args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.browser_mode not in BROWSER_MODES:
            raise ValueError(f"browser_mode must be one of {', '.join(BROWSER_MODES)}")
        if self.page_edge and (self.separate_signaling or self.origin_argv is not None):
            # The edge proxies signaling to the origin's own; an https page cannot reach a
            # plain-HTTP signaling host, and a stand-in origin has no listener to proxy to.
            raise ValueError("page_edge needs the lab's own origin with signaling inside it")

    @property
    def max_run_s(self) -> float:
        """Hard bound on the whole run: phases, joins, leaves and set-up, with margin."""
        phases = sum(p.duration_s + self.phase_gap_s + self.leave_grace_s + 10 for p in self.phases)
        return self.origin_ready_timeout_s + phases + 60
