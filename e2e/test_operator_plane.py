"""End to end for the operator plane (issue 11): `swarmcast serve --admin-token`, four Chromium
viewers on a live stream, the operator reading `/metrics` and the `/admin` dashboard and
steering P2P per stream over signaling.

Acceptance: the dashboard's and `/metrics`' byte totals match the viewers' own stats within 5 %;
the kill switch puts every viewer on the origin within 5 s with no stall; a 50 % ramp-up puts
exactly the two viewers whose stable cohort bucket is below 5000 on P2P and tells the others
why not (`ramp-cohort`); shadow mode moves no byte over P2P while counting what it would have
saved; an upload policy set live (no rejoin) reaches every running session: a cap shows in
the beacons and in the upload-capacity bound (dashboard and `/metrics` agree with the bound
computed from what the viewers sent, within 5 %), and a zero cap stops every upload at once.
A dashboard screenshot goes to var/e2e-artifacts/operator-dashboard.png.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from swarmcast.e2e.browser import ensure_shim_bundle, webrtc_context
from swarmcast.e2e.serve_process import serve_live
from swarmcast.protocol.beacon_schema import cohort_bucket
from swarmcast.signaling.beacons import upload_bound

pytestmark = [pytest.mark.browser, pytest.mark.netns, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "var" / "e2e-artifacts"
STREAM = "ops"
LADDER = "640x360@700"
ADMIN_TOKEN = "e2e-operator-token-0123"
READY = 3  # segments published before viewers arrive
# Viewers' ramp-up keys: two below the 50 % line, two above (cohort_bucket is pinned by vectors).
CANDIDATES = [f"e2e-viewer-{i}" for i in range(40)]
LOW = [k for k in CANDIDATES if cohort_bucket(k) < 5000][:2]
HIGH = [k for k in CANDIDATES if cohort_bucket(k) >= 5000][:2]
# Long beacon interval: the test flushes beacons itself, so totals are compared at one instant.
BEACON_MS = 60_000
FLUSH_JS = """
async () => {
  const swarm = window.swarmcastDemo.swarm;
  // Stats in the same task as the beacon's fields (flushBeacon builds them at once): read after
  // the ack, a segment arriving meanwhile put them 10 % apart in one CI run.
  const stats = swarm.stats();
  const sent = await swarm.flushBeacon();
  return {sent, stats};
}
"""
STATS_JS = "() => window.swarmcastDemo.swarm.stats()"
UPLOAD_CAP_BPS = 400_000  # the operator's per-viewer cap in the upload-policy step
OVERLAY_REASON_JS = """
(reason) => {
  const cell = document.querySelector('.swarmcast-overlay [data-stat="reason"]');
  return cell !== null && cell.textContent === reason;
}
"""


def _http(url: str, body: Any = None, token: str | None = ADMIN_TOKEN) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data)  # loopback only
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=5) as response:
        raw = response.read()
    return json.loads(raw) if response.headers.get_content_type() == "application/json" else raw


def _metric_sum(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _until(check: Callable[[], bool], timeout_s: float, poll_s: float = 0.2) -> float:
    """Seconds until `check()` held (polls: the viewers' state lives in their pages)."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout_s:
            raise AssertionError(f"not within {timeout_s} s")
        time.sleep(poll_s)
    return time.monotonic() - start


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ensure_shim_bundle()
    with serve_live(
        tmp_path_factory.mktemp("live"),
        stream=STREAM,
        ladder=LADDER,
        ready_segments=READY,
        extra_args=["--admin-token", ADMIN_TOKEN],
    ) as server:
        yield server.url


def test_operator_sees_and_steers_the_swarm(origin: str) -> None:
    control_url = f"{origin}admin/api/streams/{STREAM}/control"
    with webrtc_context(viewport={"width": 640, "height": 400}) as context:
        keys = [LOW[0], HIGH[0], LOW[1], HIGH[1]]
        pages = []
        for key in keys:
            page = context.new_page()
            page.goto(f"{origin}?stream={STREAM}&viewer={key}&beacon={BEACON_MS}&timeline=1")
            pages.append(page)
        for page in pages:
            page.wait_for_function(
                "() => window.swarmcastDemo && window.swarmcastDemo.firstFrameAt !== null",
                timeout=30_000,
            )

        def stats() -> list[dict[str, Any]]:
            return [dict(page.evaluate(STATS_JS)) for page in pages]

        # -- P2P on: viewers exchange segments ------------------------------------------
        _until(lambda: sum(s["p2pBytes"] for s in stats()) > 500_000, 30, 0.5)

        # -- /metrics and the dashboard agree with the viewers ----------------------------
        flushed = [dict(page.evaluate(FLUSH_JS)) for page in pages]
        assert all(f["sent"] is not None for f in flushed), flushed
        http = sum(f["stats"]["httpBytes"] for f in flushed)
        p2p = sum(f["stats"]["p2pBytes"] for f in flushed)
        metrics = bytes(_http(f"{origin}metrics", token=None)).decode()
        m_http = _metric_sum(metrics, "swarmcast_viewer_bytes_total", stream=STREAM, source="http")
        m_p2p = _metric_sum(metrics, "swarmcast_viewer_bytes_total", stream=STREAM, source="p2p")
        assert _metric_sum(metrics, "swarmcast_origin_requests_total", kind="segment") > 0
        assert "swarmcast_signaling_connections 4.0" in metrics

        admin = context.new_page()
        admin.set_viewport_size({"width": 1400, "height": 1100})
        admin.goto(f"{origin}admin#token={ADMIN_TOKEN}")
        admin.wait_for_function("() => window.swarmcastAdmin.polls >= 1", timeout=15_000)

        def card(name: str) -> float:
            value = admin.get_attribute(f'[data-stat="{name}"]', "data-value")
            return float(value or "nan")

        def wait_polls(count: int) -> None:
            """The dashboard polls every 2 s: wait until it has read the newest beacons."""
            polls = admin.evaluate("() => window.swarmcastAdmin.polls")
            admin.wait_for_function(f"() => window.swarmcastAdmin.polls >= {polls + count}")

        print(f"viewers: http {http} B, p2p {p2p} B; /metrics: {m_http}, {m_p2p};"
              f" dashboard: {card('http_bytes')}, {card('p2p_bytes')}")  # fmt: skip
        for measured in (m_http, card("http_bytes")):
            assert abs(measured - http) <= 0.05 * http
        for measured in (m_p2p, card("p2p_bytes")):
            assert abs(measured - p2p) <= 0.05 * p2p
        assert card("viewers") == 4 and card("p2p_viewers") == 4
        offload = card("offload")
        assert abs(offload - p2p / (http + p2p)) < 0.05

        # -- kill switch: everyone on the origin within 5 s, nobody stalls -----------------
        # On a running stream: every viewer has a few seconds of media buffered. (One run saw
        # a viewer stall once after a flip ~5 s after the first frames, cause not found:
        # docs/operator.md "Not yet"; the buffers are printed for the next time.)
        _until(lambda: all(s["bufferAheadS"] >= 3 for s in stats()), 30, 0.5)
        # The flip must add no stall. A stall before it is startup's, not the kill switch's:
        # one run in eight here (and CI once) saw a viewer wait 0.14 s at startup, 2.3 s before
        # the flip, on a fragment held ~1 s for the startup join on a CPU-starved machine
        # (docs/operator.md "Not yet"); the timelines go to var/e2e-artifacts for the next one.
        stalls_before = [s["stalls"] for s in stats()]
        print(
            f"kill switch at buffers {[round(s['bufferAheadS'], 1) for s in stats()]} s,"
            f" stalls so far {stalls_before}"
        )
        assert _http(control_url, {"p2p": False})["control"]["p2p"] is False
        took = _until(
            lambda: all(
                s["p2pMode"] == "off" and s["p2pReason"] == "operator-off" and s["peers"] == 0
                for s in stats()
            ),
            5.0,
        )
        print(f"kill switch: every viewer on the origin after {took:.2f} s")
        off = stats()
        time.sleep(6)  # playing from the origin only (wall time is the test here)
        after = stats()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for index, page in enumerate(pages):
            dump = page.evaluate("() => window.swarmcastDemo.swarm.timeline()")
            (ARTIFACTS / f"operator-timeline-{index}.json").write_text(json.dumps(dump))
        for before, now in zip(off, after, strict=True):
            assert now["p2pBytes"] == before["p2pBytes"]
            assert now["httpBytes"] > before["httpBytes"]
        assert [s["stalls"] for s in after] == stalls_before

        # -- ramp-up to 50 %: the two low-bucket viewers, and the others know why ----------
        _http(control_url, {"p2p": True, "ramp_percent": 50})
        _until(lambda: [s["p2pMode"] for s in stats()] == ["on", "off", "on", "off"], 5.0)
        _until(lambda: all(stats()[i]["peers"] >= 1 for i in (0, 2)), 20, 0.5)
        ramped = stats()
        for i in (1, 3):
            assert ramped[i]["p2pReason"] == "ramp-cohort", ramped[i]
            assert "ramp-up" in ramped[i]["p2pReasonText"]
        # The viewer's own overlay says it too.
        pages[1].wait_for_function(OVERLAY_REASON_JS, arg="ramp-cohort", timeout=5_000)
        print(f"ramp 50 %: modes {[s['p2pMode'] for s in ramped]},"
              f" reason of viewer 1: {ramped[1]['p2pReasonText']!r}")  # fmt: skip
        for page in pages:
            page.evaluate(FLUSH_JS)
        polls = admin.evaluate("() => window.swarmcastAdmin.polls")
        admin.wait_for_function(f"() => window.swarmcastAdmin.polls >= {polls + 2}")
        summary = _http(f"{origin}admin/api/streams/{STREAM}")["summary"]
        assert summary["by_reason"].get("ramp-cohort") == 2, summary["by_reason"]
        assert summary["by_mode"] == {"on": 2, "off": 2}
        assert summary["live_edge_holders"], "no segment holdings in the beacons"

        # -- shadow mode: peers connect, no byte over P2P, "would have saved" counted -----
        _http(control_url, {"ramp_percent": 100, "shadow": True})
        _until(lambda: all(s["p2pMode"] == "shadow" for s in stats()), 5.0)
        shadow_start = stats()
        _until(lambda: sum(s["shadowSavedBytes"] for s in stats()) > 0, 25, 0.5)
        time.sleep(2)
        shadow_end = stats()
        # Shadow mode adds no stall (a startup stall before the flips is counted in before:
        # docs/operator.md "Not yet").
        for before, now in zip(shadow_start, shadow_end, strict=True):
            assert now["p2pBytes"] == before["p2pBytes"], "a byte came over P2P in shadow mode"
            assert now["stalls"] == before["stalls"]
        saved = sum(s["shadowSavedBytes"] for s in shadow_end)
        print(f"shadow: would have saved {saved} B, P2P bytes unchanged")
        flushed = [dict(page.evaluate(FLUSH_JS)) for page in pages]
        wait_polls(2)
        assert card("shadow_saved_bytes") > 0
        # The operator's view agrees: every viewer in shadow, no P2P byte since it started.
        summary = _http(f"{origin}admin/api/streams/{STREAM}")["summary"]
        assert summary["by_mode"] == {"shadow": 4}, summary["by_mode"]
        p2p_total = sum(f["stats"]["p2pBytes"] for f in flushed)
        assert p2p_total == sum(s["p2pBytes"] for s in shadow_start)
        assert abs(card("p2p_bytes") - p2p_total) <= 0.05 * p2p_total

        # -- upload policy, live: a cap reaches the running sessions and the bound ---------
        _http(control_url, {"shadow": False, "upload": {"cap_bps": UPLOAD_CAP_BPS}})
        _until(lambda: all(s["p2pMode"] == "on" for s in stats()), 5.0)
        sent = [dict(page.evaluate(FLUSH_JS))["sent"] for page in pages]
        assert [b["upload_capacity_bps"] for b in sent] == [UPLOAD_CAP_BPS] * 4, sent
        expected = upload_bound(sent)
        wait_polls(2)
        bound = card("upload_bound")
        metrics = bytes(_http(f"{origin}metrics", token=None)).decode()
        m_bound = _metric_sum(metrics, "swarmcast_offload_upload_bound", stream=STREAM)
        m_capacity = _metric_sum(metrics, "swarmcast_viewer_upload_capacity_bps", stream=STREAM)
        row = next(iter(expected["renditions"].values()))
        print(f"upload bound: viewers' beacons {expected['bound']:.4f} (Σu {row['capacity_bps']}"
              f" b/s, N {row['viewers']}, r {row['bitrate_bps']:.0f} b/s); dashboard {bound:.4f};"
              f" /metrics {m_bound:.4f}, Σu {m_capacity:.0f}")  # fmt: skip
        assert expected["bound"] is not None and 0 < expected["bound"] < 1
        for measured in (bound, m_bound):
            assert abs(measured - expected["bound"]) <= 0.05 * expected["bound"]
        assert m_capacity == 4 * UPLOAD_CAP_BPS

        # -- a zero cap (leech only) stops every upload in the running sessions ------------
        _http(control_url, {"upload": {"cap_bps": 0}})

        def capacities() -> list[int]:
            return [dict(page.evaluate(FLUSH_JS))["sent"]["upload_capacity_bps"] for page in pages]

        # The control reaches each session over its signaling socket, in its own time (no mode
        # change to wait for here, unlike the steps above).
        _until(lambda: capacities() == [0] * 4, 5.0)
        time.sleep(1)  # pieces already handed to a data channel still land
        frozen = stats()
        time.sleep(6)  # wall time is the test here: nothing may be uploaded meanwhile
        later = stats()
        for before, now in zip(frozen, later, strict=True):
            assert now["uploadedBytes"] == before["uploadedBytes"]
            assert now["p2pBytes"] == before["p2pBytes"]  # nobody serves peers any more
            assert now["httpBytes"] > before["httpBytes"]
            assert now["stalls"] == 0
        print(f"zero cap: uploads stopped at {[s['uploadedBytes'] for s in later]} B")
        for page in pages:
            page.evaluate(FLUSH_JS)
        wait_polls(2)
        assert card("upload_bound") == 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "operator-dashboard.png"
        admin.screenshot(path=str(shot), full_page=True)
        print(f"dashboard screenshot: {shot}")
