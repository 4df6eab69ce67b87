"""The `realistic` lab scenario's pure half: the shipped scenario file (hosts, kinds, seeded caps,
Python viewers' rungs, the lab config) and the figures (per-rendition capacity bound, ABR
agreement P2P vs CDN-only, the NAT-pair matrix from browsers' and Python viewers' records)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from swarmcast.e2e.lab.realistic_figures import (
    aggregate,
    dominant,
    host_of_address,
    realistic_figures,
    run_row,
)
from swarmcast.e2e.lab.realistic_run import drops_during
from swarmcast.e2e.lab.realistic_scenario import (
    RealisticScenario,
    build_realistic,
    lab_config,
    load_realistic,
)

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "bench" / "scenarios" / "realistic.toml"


def test_shipped_scenario() -> None:
    scenario = load_realistic(SCENARIO)
    assert Counter(scenario.kinds) == {"browser": 8, "python": 20}
    labels = Counter(h.label for h in scenario.hosts)
    assert labels == {"cone": 16, "symmetric": 5, "cone+cgnat": 7}
    bounds = {"cable": (600, 2000, 2000, 6000), "dsl": (150, 500, 800, 1500),
              "mobile": (100, 400, 450, 900)}  # fmt: skip
    for host in scenario.hosts:
        up_lo, up_hi, down_lo, down_hi = bounds[host.access]
        assert up_lo <= host.up_kbit <= up_hi and down_lo <= host.down_kbit <= down_hi
    assert load_realistic(SCENARIO) == scenario  # seeded
    assert [r.name for r in scenario.ladder] == ["360p", "240p", "144p"]
    assert scenario.ladder_arg == "640x360@500,426x240@300,256x144@120"
    # Every rung is watched by some Python viewer: the downlinks spread over the ladder.
    rungs = {scenario.python_rendition(h) for h in scenario.hosts_of("python")}
    assert rungs == {"360p", "240p", "144p"}
    config = lab_config(scenario, seed=5)
    assert [(p.name, p.p2p, p.viewers, p.python_peers) for p in config.phases] == [
        ("p2p", True, 8, 20),
        ("cdn", False, 8, 20),
    ]
    assert config.seed == 5 and "--fps" in config.origin_args
    # The origin (a CDN's stand-in) keeps real time ahead of the viewers on the shared cores.
    assert config.origin_nice == -10
    # The 20 Python viewers share one session: one CPU claimant beside each browser.
    assert config.python_peers_autogroup_nice == -5
    assert lab_config(build_realistic_minimal()).python_peers_autogroup_nice is None


def test_python_rung_follows_the_downlink() -> None:
    data: dict[str, Any] = {
        "ladder": "640x360@500,256x144@120",
        "access": {"fast": {"up_mbit": [1, 1], "down_mbit": [1.1, 1.1]},
                   "slow": {"up_mbit": [1, 1], "down_mbit": [0.5, 0.5]},
                   "tiny": {"up_mbit": [1, 1], "down_mbit": [0.1, 0.1]}},
        "hosts": [{"kind": "browser", "access": "fast"}, {"access": "slow"}, {"access": "tiny"}],
    }  # fmt: skip
    scenario = build_realistic(data)
    # 360p advertises 500k * 1.25 + 128k audio = 753k: 0.7 x 1.1 Mbit/s covers it.
    assert [scenario.python_rendition(h) for h in scenario.hosts] == ["360p", "144p", "144p"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"hosts": [{"count": 2, "kind": "robot"}]}, "kind must be"),
        ({"hosts": [{"count": 2, "kind": "python"}]}, "at least one browser"),
        ({"ladder": "640x360", "hosts": [{"count": 2, "kind": "browser"}]}, "ladder"),
        ({"ladder": "640x360@500,320x360@200", "hosts": [{"count": 2, "kind": "browser"}]},
         "one height"),
    ],
)  # fmt: skip
def test_bad_scenarios(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_realistic(data)


def test_host_of_address() -> None:
    assert host_of_address("10.77.203.2") == 3  # LAN of host 3
    assert host_of_address("10.77.240.105") == 5  # WAN of host 5's router
    assert host_of_address("10.77.240.3") is None  # coturn
    assert host_of_address("10.77.240.20") is None  # a carrier-grade NAT: shared
    assert host_of_address("192.168.1.2") is None


def test_dominant_rung() -> None:
    ladder = ["360p", "240p", "144p"]
    assert dominant(["360p", "240p", "240p"], ladder) == "240p"
    assert dominant(["360p", "240p"], ladder) == "240p"  # a tie goes to the lower rung
    assert dominant([], ladder) is None


def _browser_record(phase: str, slot: int, heights: list[int], pcs: list[dict[str, Any]]) -> dict:
    first = 1_000_000.0
    samples = [
        {"wall": first + 21_000 + 1000 * i, "firstFrameWall": first, "level": h}
        for i, h in enumerate(heights)
    ]
    final = {**samples[-1], "peerConnections": pcs}
    return {"viewer": f"{phase}-b{slot}", "kind": "browser", "slot": slot,
            "samples": samples, "final": final}  # fmt: skip


def _browser_summary(viewer: str, p2p: int, http: int, uploaded: int = 0) -> dict[str, Any]:
    return {"viewer": viewer, "p2p_bytes": p2p, "http_media_bytes": http,
            "uploaded_bytes": uploaded, "watch_s": 100.0, "stall_count": 0, "stall_s": 0.0,
            "ttff_s": 1.5}  # fmt: skip


def _python_record(phase: str, slot: int, peer_id: str, links: dict[str, float | None],
                   pairs: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    final = {"peer_id": peer_id, "rendition": "144p", "elapsed_s": 100.0, "links": links,
             "candidate_pairs": pairs}  # fmt: skip
    return {"viewer": f"{phase}-p{slot}", "kind": "python", "slot": slot, "final": final}


def _python_summary(viewer: str, p2p: int, http: int) -> dict[str, Any]:
    return {"viewer": viewer, "p2p_bytes": p2p, "http_bytes": http, "uploaded_bytes": 0,
            "stalls": 0, "startup_s": 2.0}  # fmt: skip


def test_figures_bound_abr_and_pairs() -> None:
    hosts = [
        {"index": 0, "kind": "browser", "slot": 0, "label": "cone", "access": "cable",
         "up_kbit": 2000, "down_kbit": 5000, "rendition": None},
        {"index": 1, "kind": "browser", "slot": 1, "label": "symmetric", "access": "dsl",
         "up_kbit": 200, "down_kbit": 1000, "rendition": None},
        {"index": 2, "kind": "python", "slot": 0, "label": "cone+cgnat", "access": "mobile",
         "up_kbit": 100, "down_kbit": 500, "rendition": "144p"},
        {"index": 3, "kind": "python", "slot": 1, "label": "cone", "access": "mobile",
         "up_kbit": 50, "down_kbit": 500, "rendition": "144p"},
    ]  # fmt: skip
    ladder = [{"name": "360p", "height": 360}, {"name": "240p", "height": 240},
              {"name": "144p", "height": 144}]  # fmt: skip
    pcs = [
        # browser 0 -> browser 1 (named by its LAN host candidate): relayed.
        {"connected": 5.0, "pair": "relay/srflx", "remoteCandidates": ["host 10.77.201.2"]},
        # browser 0 -> Python 1 (named by its router's WAN address): never connected.
        {"connected": None, "pair": None, "remoteCandidates": ["srflx 10.77.240.103"]},
        # coturn's address names nobody: not counted.
        {"connected": 1.0, "pair": "relay/relay", "remoteCandidates": ["relay 10.77.240.3"]},
    ]
    p2p_records = [
        _browser_record("p2p", 0, [360] * 9 + [240], pcs),
        _browser_record("p2p", 1, [240, 240, 144], []),
        _python_record("p2p", 0, "A", {"B": 2.0, "browser-id": 1.0}, {"B": "srflx/prflx"}),
        _python_record("p2p", 1, "B", {"A": None}, {}),
    ]
    cdn_records = [
        _browser_record("cdn", 0, [360] * 10, []),
        _browser_record("cdn", 1, [360, 360, 240], []),
        _python_record("cdn", 0, "C", {}, {}),
        _python_record("cdn", 1, "D", {}, {}),
    ]
    summaries = [
        {"name": "p2p", "viewers": [_browser_summary("p2p-b0", 500_000, 500_000, 1_000_000),
                                    _browser_summary("p2p-b1", 0, 1_000_000)],
         "python": [_python_summary("p2p-p0", 250_000, 250_000),
                    _python_summary("p2p-p1", 0, 500_000)],
         "cpu": {"roles_mean_pct_of_core": {"browsers": 66.0, "python_peers": 55.0}}},
        {"name": "cdn", "viewers": [_browser_summary("cdn-b0", 0, 1_000_000),
                                    _browser_summary("cdn-b1", 0, 1_000_000)],
         "python": [_python_summary("cdn-p0", 0, 500_000),
                    _python_summary("cdn-p1", 0, 500_000)], "cpu": {}},
    ]  # fmt: skip
    raw = {
        "realistic": {"hosts": hosts, "ladder": ladder},
        "phases": [{"start_wall": 0, "end_wall": 1, "viewers": p2p_records,
                    "access_drops": {"0": {"up": 3, "down": 0}, "1": {"up": 0, "down": 7}}},
                   {"start_wall": 2, "end_wall": 3, "viewers": cdn_records}],
        "links": [],
    }  # fmt: skip
    figures = realistic_figures(raw, {"phases": summaries})
    p2p = figures["phases"]["p2p"]
    swarms = p2p["swarms"]
    # One viewer on 360p (bound 0), one on 240p (bound 0), two on 144p: 1 MB in 200 s =
    # 40 kbit/s, 150 kbit/s of upload: min(1 - 1/2, 150 / 80) = 0.5.
    assert (swarms["360p"]["viewers"], swarms["240p"]["viewers"], swarms["144p"]["viewers"]) == (
        1, 1, 2)  # fmt: skip
    assert swarms["144p"]["rate_kbit"] == 40.0 and swarms["144p"]["bound"] == 0.5
    # Bytes-weighted: 1 MB at 0.5 of 3 MB in swarms.
    assert p2p["bound"] == round(0.5 / 3, 4)
    assert p2p["offload"] == 0.25
    assert p2p["offload_of_bound"] == round(0.25 / p2p["bound"], 4)
    # 1 MB uploaded, 0.75 MB kept by the viewers (0.5 MB + 0.25 MB from peers).
    assert p2p["upload_unused"] == 0.25
    assert figures["phases"]["cdn"]["upload_unused"] is None
    assert figures["abr"]["slots"] == [
        {"slot": 0, "p2p": "360p", "cdn": "360p", "rungs_apart": 0},
        {"slot": 1, "p2p": "240p", "cdn": "360p", "rungs_apart": 1},
    ]
    assert (figures["abr"]["within_one"], figures["abr"]["same"]) == (2, 1)
    pairs = p2p["pairs"]
    assert pairs["matrix"] == {
        "cone - symmetric": {"attempts": 1, "connected": 1, "pairs": {"relay": 1}},
        "cone - cone": {"attempts": 1, "connected": 0, "pairs": {}},
        "cone - cone+cgnat": {"attempts": 1, "connected": 1, "pairs": {"direct (srflx/prflx)": 1}},
    }
    assert pairs["selected"] == {"relay": 1, "direct (srflx/prflx)": 1}
    # Each viewer carries its host's access-cap drops of the phase (JSON keys are strings).
    drops = {v["viewer"]: v["access_drops"] for v in p2p["viewers"]}
    assert drops["p2p-b0"] == {"up": 3, "down": 0} and drops["p2p-b1"] == {"up": 0, "down": 7}
    assert drops["p2p-p0"] is None  # a host without a reading
    assert all(v["access_drops"] is None for v in figures["phases"]["cdn"]["viewers"])
    row = run_row(figures)
    assert row["abr_within_one"] == 2 and row["pair_connected"] == 2
    # CPU per role and phase: browsers beside Python viewers (a phase without samples: None).
    assert (row["cpu_browsers_p2p"], row["cpu_python_peers_p2p"]) == (66.0, 55.0)
    assert row["cpu_origin_p2p"] is None and row["cpu_browsers_cdn"] is None
    assert aggregate([row, {**row, "offload": 0.1}])["offload"] == {"median": 0.175, "worst": 0.1}


def build_realistic_minimal() -> RealisticScenario:
    return build_realistic({"hosts": [{"kind": "browser", "count": 1}, {"count": 1}]})


def test_browser_only_variants_and_their_upload_caps() -> None:
    """realistic-browsers(-capped).toml: the 8 browser hosts alone; the capped one gives each
    browser page `?upload_cap=` = 0.8 x its uplink in bytes/s (the Python viewers' rule)."""
    from swarmcast.e2e.lab.realistic_run import RealisticLabRun
    from swarmcast.e2e.lab.schedule import ViewerEvent

    full = load_realistic(SCENARIO)
    plain = load_realistic(SCENARIO.with_name("realistic-browsers.toml"))
    capped = load_realistic(SCENARIO.with_name("realistic-browsers-capped.toml"))
    assert Counter(plain.kinds) == Counter(capped.kinds) == {"browser": 8}
    # The same browser hosts (caps, NATs) as in the full scenario.
    assert [(h.up_kbit, h.down_kbit, h.label) for h in plain.hosts_of("browser")] == [
        (h.up_kbit, h.down_kbit, h.label) for h in full.hosts_of("browser")
    ]
    assert plain.browser_upload_cap_share is None and capped.browser_upload_cap_share == 0.8
    event = ViewerEvent(at_s=0.0, action="join", viewer="p2p-b03", kind="browser", slot=2)
    host = capped.hosts_of("browser")[2]
    query = RealisticLabRun(capped, lab_config(capped))._page_query(event)
    assert query == f"&upload_cap={round(host.up_kbit * 1000 / 8 * 0.8)}"
    assert RealisticLabRun(plain, lab_config(plain))._page_query(event) == ""


def test_drops_during_a_phase() -> None:
    before = {0: {"up": 5, "down": 1}, 1: {"up": 0, "down": 0}}
    after = {0: {"up": 9, "down": 1}, 1: {"up": 2, "down": 4}, 2: {"up": 1, "down": 0}}
    assert drops_during(before, after) == {
        0: {"up": 4, "down": 0},
        1: {"up": 2, "down": 4},
        2: {"up": 1, "down": 0},
    }


def test_page_edge_needs_the_labs_own_origin_with_signaling_inside() -> None:
    config = lab_config(build_realistic_minimal(), page_edge=True)
    assert config.page_edge and not config.separate_signaling
    # An https page cannot reach a plain-HTTP signaling host; a stand-in origin has no listener.
    with pytest.raises(ValueError, match="page_edge needs"):
        lab_config(build_realistic_minimal(), page_edge=True, separate_signaling=True)
    with pytest.raises(ValueError, match="page_edge needs"):
        lab_config(build_realistic_minimal(), page_edge=True, origin_argv=("true",))
