"""A page on another origin embeds the stream with the README's one-line hls.js setup (issue 10).

`swarmcast serve --allowed-origin http://127.0.0.1:<page port>`: two Chromium pages served from
that origin join the swarm (P2P links open, signaling "connected"); a page from an origin the
server does not allow plays from the origin and says why — in the console and in
`swarmcast.stats()` — instead of "websocket error".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from swarmcast.e2e.browser import ensure_shim_bundle, webrtc_context
from swarmcast.e2e.serve_process import ServeProcess, StaticSite, serve_live

pytestmark = [pytest.mark.browser, pytest.mark.netns, pytest.mark.slow]

STREAM = "embed"
LADDER = "640x360@700"
EMBED_PAGE = """<!doctype html>
<meta charset="utf-8"><title>someone else's site</title>
<video muted autoplay playsinline></video>
<script src="{origin}/player/swarmcast.js"></script>
<script>
  const hls = new swarmcast.Hls(swarmcast.hlsConfig({{ p2p: true, apiBase: "{origin}" }}));
  hls.loadSource("{origin}/live/{stream}/master.m3u8");
  hls.attachMedia(document.querySelector("video"));
</script>
"""


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StaticSite, StaticSite]]:
    root = tmp_path_factory.mktemp("site")
    allowed, refused = StaticSite(root), StaticSite(root)
    try:
        yield allowed, refused
    finally:
        allowed.close()
        refused.close()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, sites: tuple[StaticSite, StaticSite]
) -> Iterator[ServeProcess]:
    ensure_shim_bundle()
    allowed, _ = sites
    with serve_live(
        tmp_path_factory.mktemp("live"),
        stream=STREAM,
        ladder=LADDER,
        extra_args=["--allowed-origin", allowed.origin],
    ) as running:
        page = EMBED_PAGE.format(origin=running.url.rstrip("/"), stream=STREAM)
        (allowed.root / "embed.html").write_text(page)
        yield running


@pytest.fixture(scope="module")
def context(server: ServeProcess) -> Iterator[Any]:
    with webrtc_context() as context:
        yield context


def open_page(context: Any, url: str) -> tuple[Any, list[str]]:
    console: list[str] = []
    page = context.new_page()
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.goto(url)
    return page, console


def test_page_on_an_allowed_origin_joins_the_swarm(
    server: ServeProcess, sites: tuple[StaticSite, StaticSite], context: Any
) -> None:
    allowed, _ = sites
    pages = [open_page(context, f"{allowed.origin}/embed.html") for _ in range(2)]
    try:
        for page, _ in pages:
            page.wait_for_function(
                "() => { const s = swarmcast.stats(); return s && s.peersConnected >= 1 }",
                timeout=45_000,
            )
        for page, _ in pages:
            page.wait_for_function(
                "() => swarmcast.stats().p2pBytes + swarmcast.stats().uploadedBytes > 0",
                timeout=45_000,
            )
        stats = [page.evaluate("() => swarmcast.stats()") for page, _ in pages]
        print("cross-origin viewers:", stats)
        for (_, console), shim in zip(pages, stats, strict=True):
            assert shim["signalingState"] == "connected", (shim, console[-10:])
            assert shim["p2pProblem"] is None
            assert shim["verificationFailures"] == 0
        assert sum(s["p2pBytes"] for s in stats) > 0
    finally:
        for page, _ in pages:
            page.close()


def test_page_on_another_origin_is_told_why(
    server: ServeProcess, sites: tuple[StaticSite, StaticSite], context: Any
) -> None:
    _, refused = sites
    page, console = open_page(context, f"{refused.origin}/embed.html")
    try:
        page.wait_for_function(
            "() => { const s = swarmcast.stats(); return s && s.signalingState === 'refused' }",
            timeout=30_000,
        )
        shim = page.evaluate("() => swarmcast.stats()")
        page.wait_for_function("() => swarmcast.stats().httpBytes > 0", timeout=30_000)
        print("refused page:", shim["p2pProblem"], console[-5:])
        assert f"does not accept pages from {refused.origin}" in shim["p2pProblem"]
        assert "--allowed-origin" in shim["p2pProblem"]
        warnings = [line for line in console if "does not accept pages from" in line]
        assert warnings and warnings[0].startswith("warning:"), console[-10:]
        assert shim["peersConnected"] == 0
    finally:
        page.close()
