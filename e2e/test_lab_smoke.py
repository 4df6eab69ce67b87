"""A 60 s smoke run of the swarm lab's steady scenario: 3 Chromium viewers on their own hosts
(network namespaces) watch the synthetic live stream with P2P on, their pages loaded through the
production edge (nginx with deploy/nginx/swarmcast.conf: TLS, HTTP/2; `LabConfig.page_edge`).
Every viewer must play over HTTP/2, peers must carry some of the bytes, nothing may fail
verification, and the lab must leave no namespace and no nginx behind. The full scenarios are
`swarmcast bench lab` (bench/, run by hand); the other lab tests load pages from the origin's
plain-HTTP listener."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest

from swarmcast.e2e.browser import ensure_shim_bundle
from swarmcast.e2e.lab.config import LabConfig, PhaseSpec
from swarmcast.e2e.lab.metrics import summarize
from swarmcast.e2e.lab.netns import lab_namespaces
from swarmcast.e2e.lab.report import table, write_results
from swarmcast.e2e.lab.runner import run_lab

SMOKE = LabConfig(
    scenario="smoke",
    phases=(PhaseSpec("p2p", p2p=True, viewers=3, duration_s=60, join_window_s=6),),
    warmup_segments=2,
    phase_gap_s=0,
    timeline=True,  # the viewers' timelines must come back, readable (bench lab --timeline)
    prelaunch_browsers=True,  # browsers wait on a blank page for their joins (--prelaunch)
    page_edge=True,  # --page-edge
)


def raw_stamp(raw: dict[str, object]) -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime(float(raw["started_wall"]) / 1000))  # type: ignore[arg-type]


@pytest.mark.netns
@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(420)
def test_lab_smoke_every_viewer_plays_and_peers_carry_bytes(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the lab needs root for ip netns")
    ensure_shim_bundle()  # the origin serves swarmcast/player/, which `make shim` fills

    raw = asyncio.run(run_lab(SMOKE, workdir=tmp_path / "lab"))
    summary = summarize(raw)
    write_results(raw, summary, tmp_path / "results")
    phase = summary["phases"][0]
    print("\n" + table(summary["phases"], summary))  # shown with -rA / on failure

    assert lab_namespaces(raw["run_tag"]) == [], "the lab left namespaces behind"
    edge_pid = tmp_path / "lab" / "edge" / "nginx.pid"
    assert not edge_pid.exists(), "nginx still running (or not cleaned up)"
    viewers = phase["viewers"]
    assert len(viewers) == 3
    for viewer in viewers:
        context = f"{viewer['viewer']}: {viewer} (logs in {tmp_path / 'lab' / 'logs'})"
        assert viewer["ttff_s"] is not None, f"no first frame: {context}"
        assert viewer["plays"], f"did not keep playing: {context}"
        assert viewer["played_s"] >= 15, f"played too little: {context}"
        assert viewer["shim_found"], f"the page exposed no swarmcast stats: {context}"
    assert phase["p2p_bytes"] > 0, f"peers carried no bytes: {phase}"
    assert phase["verification_failures"] == 0
    timelines = tmp_path / "results" / f"smoke-{raw_stamp(raw)}-timeline"
    for viewer in viewers:
        document = json.loads((timelines / f"{viewer['viewer']}.json").read_text())
        kinds = {e["kind"] for e in document["events"]}
        assert {"frag-request", "frag-served", "buffer", "decision"} <= kinds, kinds
        # Everything the page loaded from its origin came over the edge's HTTP/2.
        media = [r for r in document["resources"] if r["path"].startswith("/live/")]
        assert media and {r["protocol"] for r in media} == {"h2"}, media[:3]
        assert (timelines / f"{viewer['viewer']}.png").is_file()
