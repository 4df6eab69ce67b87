"""Glass-to-glass latency of each ingest (RTMP, WHIP), on a clock burned into the picture.

Each run starts `swarmcast serve --rtmp|--whip` and a publisher that draws its wall clock into
every frame (segmenter/clock_barcode.py): an FFmpeg/PyAV RTMP push (x264, like OBS) or
`swarmcast whip-publish` (aiortc, VP8). Two viewers read the clock back:

- edge: polls the top rendition's playlist every 50 ms; when a segment is first listed it
  decodes its first frame: `listed - drawn` is the latency of a player at the very live edge
  (capture -> encode -> segment complete -> playlist), the floor for segmented delivery. The
  same frame gives `PROGRAM-DATE-TIME - drawn`, how far PDT-based estimates sit from capture.
- screen: the demo page (hls.js, origin only, liveSyncDurationCount 3) in Chromium reads the
  barcode off every displayed frame (canvas + requestVideoFrameCallback): `displayed - drawn`
  is true glass-to-glass including the player's live offset. `--no-browser` skips it.

Publisher, server and viewers share this machine's clock. Results go to
`bench/results/ingest-<timestamp>.json` and `.md` (median and worst per ingest over all runs).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from swarmcast.e2e.serve_process import start_ingest_server

RESULTS_DIR = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parent.parent
KEY = "bench-ingest-key"
CHROMIUM = "/usr/bin/chromium"
POLL_S = 0.05

# The screen viewer: reads the barcode off each displayed frame (same layout as
# segmenter/clock_barcode.py: 2 rows x 26 cells, marker 1010, then 48 bits MSB first).
_SCREEN_JS = """
() => {
  const video = document.getElementById("video");
  const canvas = document.createElement("canvas");
  const out = { samples: [], unreadable: 0 };
  window.__glass = out;
  function read() {
    const w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) return null;
    canvas.width = w; canvas.height = h;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(video, 0, 0, w, h);
    const cw = w / 26, ch = h / 9;
    let value = 0;
    for (let i = 0; i < 52; i++) {
      const row = Math.floor(i / 26), col = i % 26;
      const x = Math.floor((col + 0.25) * cw), y = Math.floor((row + 0.25) * ch);
      const pw = Math.max(1, Math.floor(cw / 2)), ph = Math.max(1, Math.floor(ch / 2));
      const d = ctx.getImageData(x, y, pw, ph).data;
      let sum = 0;
      for (let p = 0; p < d.length; p += 4) {
        sum += 0.299 * d[p] + 0.587 * d[p + 1] + 0.114 * d[p + 2];
      }
      const bit = sum / (d.length / 4) > 128 ? 1 : 0;
      if (i < 4) { if (bit !== [1, 0, 1, 0][i]) return null; }
      else value = value * 2 + bit;
    }
    return value;
  }
  function tick(now, meta) {
    const drawn = read();
    if (drawn === null) out.unreadable++;
    else {
      const shownAt = Date.now() + (meta.expectedDisplayTime - performance.now());
      out.samples.push(shownAt - drawn);
    }
    video.requestVideoFrameCallback(tick);
  }
  video.requestVideoFrameCallback(tick);
}
"""

_RTMP_PUBLISHER = r"""
import fractions, sys, time
import av
import numpy as np
from swarmcast.segmenter import clock_barcode
url, seconds, width, height = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fps, rate = 30, 48000
out = av.open(url, "w", format="flv")
video = out.add_stream("libx264", rate=fps, options={
    "preset": "veryfast", "tune": "zerolatency",
    "x264-params": f"keyint={2 * fps}:scenecut=0:bframes=0"})
video.width, video.height, video.pix_fmt = width, height, "yuv420p"
video.bit_rate = 1_500_000
audio = out.add_stream("aac", rate=rate)
audio.layout = "stereo"
start, n_video, n_audio = time.monotonic(), 0, 0
silence = np.zeros((2, 1024), dtype=np.float32)
while n_video < seconds * fps:
    t = n_video / fps
    delay = start + t - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    frame = clock_barcode.draw(width, height, int(time.time() * 1000), n_video)
    frame.pts, frame.time_base = n_video, fractions.Fraction(1, fps)
    out.mux(video.encode(frame))
    n_video += 1
    while n_audio * 1024 / rate < t:
        sound = av.AudioFrame.from_ndarray(silence, format="fltp", layout="stereo")
        sound.sample_rate, sound.pts = rate, n_audio * 1024
        sound.time_base = fractions.Fraction(1, rate)
        out.mux(audio.encode(sound))
        n_audio += 1
out.close()
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=3, help="runs per ingest (default 3)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per run")
    parser.add_argument("--ingest", choices=("rtmp", "whip", "both"), default="both")
    parser.add_argument("--ladder", default="640x360@800,426x240@400", help="served ladder")
    parser.add_argument("--segment-duration", type=float, default=2.0)
    parser.add_argument("--size", default="640x360", help="publisher picture WIDTHxHEIGHT")
    parser.add_argument("--no-browser", action="store_true", help="edge viewer only")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="output directory")


def _serve(
    ingest: str, args: argparse.Namespace, out_dir: Path
) -> tuple[subprocess.Popen[str], str, int | None]:
    extra_args = ["--no-signaling"]
    if ingest == "rtmp":
        extra_args += ["--rtmp-host", "127.0.0.1", "--rtmp-port", "0"]
    process = start_ingest_server(
        out_dir,
        ingest,
        ladder=args.ladder,
        segment_duration=args.segment_duration,
        stream_key=KEY,
        extra_args=extra_args,
    )
    assert process.stdout is not None
    rtmp_port = None
    while True:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"swarmcast serve exited with {process.wait()}")
        if match := re.search(r"rtmp://127\.0\.0\.1:(\d+)/", line):
            rtmp_port = int(match.group(1))
        if match := re.search(r"serving (http://\S+)", line):
            return process, match.group(1), rtmp_port


def _publisher(
    ingest: str, base: str, rtmp_port: int | None, seconds: float, size: str
) -> subprocess.Popen[bytes]:
    width, _, height = size.partition("x")
    if ingest == "rtmp":
        url = f"rtmp://127.0.0.1:{rtmp_port}/live/{KEY}"
        command = [sys.executable, "-c", _RTMP_PUBLISHER, url, str(seconds), width, height]
    else:
        command = [
            sys.executable, "-m", "swarmcast.server.cli", "whip-publish", f"{base}whip",
            "--stream-key", KEY, "--seconds", str(seconds), "--size", size,
        ]  # fmt: skip
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class EdgeViewer(threading.Thread):
    """Polls the top rendition's playlist; decodes the first frame of each new segment."""

    def __init__(self, base: str, rendition: str) -> None:
        super().__init__(daemon=True)
        self.playlist = f"{base}live/cam/{rendition}/index.m3u8"
        self.rendition_url = f"{base}live/cam/{rendition}/"
        self.stop = threading.Event()
        self.samples: list[dict[str, float]] = []
        self.unreadable = 0
        self._seen: set[str] = set()
        self._inits: dict[str, bytes] = {}

    def run(self) -> None:
        from swarmcast.segmenter import clock_barcode

        while not self.stop.is_set():
            try:
                text = _get(self.playlist).decode()
            except OSError:
                self.stop.wait(POLL_S)
                continue
            listed = time.time()
            init = pdt = None
            for line in text.splitlines():
                if match := re.match(r'#EXT-X-MAP:URI="([^"]+)"', line):
                    init = match.group(1)
                elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
                    pdt = _parse_pdt(line.split(":", 1)[1])
                elif line.startswith("seg-") and line not in self._seen and init is not None:
                    self._seen.add(line)
                    if len(self._seen) == 1:
                        continue  # listed before we looked: its listing time is unknown
                    drawn = self._first_frame_clock(init, line, clock_barcode)
                    if drawn is None:
                        self.unreadable += 1
                        continue
                    sample = {"edge_s": listed - drawn / 1000}
                    if pdt is not None:
                        sample["pdt_minus_capture_s"] = pdt - drawn / 1000
                    self.samples.append(sample)
            self.stop.wait(POLL_S)

    def _first_frame_clock(self, init: str, segment: str, clock_barcode: Any) -> int | None:
        import av

        try:
            if init not in self._inits:
                self._inits[init] = _get(self.rendition_url + init)
            data = self._inits[init] + _get(self.rendition_url + segment)
            with av.open(io.BytesIO(data), "r") as container:
                frame = next(container.decode(video=0))
            return clock_barcode.read(frame)  # type: ignore[no-any-return]
        except (OSError, StopIteration, ValueError):
            return None


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:  # loopback only
        return bytes(response.read())


def _parse_pdt(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).timestamp()


def _wait_listed(base: str, rendition: str, count: int, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            if _get(f"{base}live/cam/{rendition}/index.m3u8").count(b"#EXTINF") >= count:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the stream did not come up")


def _one_run(ingest: str, args: argparse.Namespace, browser: Any) -> dict[str, Any]:
    from swarmcast.segmenter.config import Rendition

    top = Rendition.parse(args.ladder.split(",")[0]).name
    with tempfile.TemporaryDirectory(prefix="swarmcast-ingest-") as scratch:
        server, base, rtmp_port = _serve(ingest, args, Path(scratch))
        publisher = None
        try:
            warmup = 4 * args.segment_duration
            publisher = _publisher(ingest, base, rtmp_port, args.seconds + warmup + 5, args.size)
            edge = EdgeViewer(base, top)
            edge.start()
            _wait_listed(base, top, 3, 60)
            screen: dict[str, Any] = {"samples": [], "unreadable": 0}
            page = None
            if browser is not None:
                page = browser.new_page()
                page.goto(f"{base}?stream=cam&p2p=0")
                page.wait_for_function(
                    "() => window.swarmcastDemo && window.swarmcastDemo.firstFrameAt !== null",
                    timeout=30_000,
                )
                page.evaluate(_SCREEN_JS)
            time.sleep(args.seconds)
            if page is not None:
                screen = page.evaluate("() => window.__glass")
                page.close()
            edge.stop.set()
            edge.join()
        finally:
            if publisher is not None and publisher.poll() is None:
                publisher.terminate()
                publisher.wait(timeout=30)
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            if server.stdout is not None:
                server.stdout.close()
    screen_s = [value / 1000 for value in screen["samples"]]
    return {
        "ingest": ingest,
        "edge_s": [s["edge_s"] for s in edge.samples],
        "pdt_minus_capture_s": [
            s["pdt_minus_capture_s"] for s in edge.samples if "pdt_minus_capture_s" in s
        ],
        "screen_s": screen_s,
        "unreadable": {"edge": edge.unreadable, "screen": screen["unreadable"]},
    }


def _summary(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "median": None, "worst": None, "best": None}
    return {
        "n": len(values),
        "median": round(statistics.median(values), 3),
        "worst": round(max(values), 3),
        "best": round(min(values), 3),
    }


def run(args: argparse.Namespace) -> int:
    ingests = ("rtmp", "whip") if args.ingest == "both" else (args.ingest,)
    runs: list[dict[str, Any]] = []
    playwright = browser = None
    if not args.no_browser:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--autoplay-policy=no-user-gesture-required", "--mute-audio"],
        )
    try:
        for number in range(args.runs):
            for ingest in ingests:
                result = _one_run(ingest, args, browser)
                result["run"] = number + 1
                runs.append(result)
                print(
                    f"ingest {ingest} run {number + 1}: edge {_summary(result['edge_s'])}"
                    f" screen {_summary(result['screen_s'])}",
                    flush=True,
                )
    finally:
        if browser is not None:
            browser.close()
        if playwright is not None:
            playwright.stop()
    summary: dict[str, Any] = {}
    for ingest in ingests:
        mine = [r for r in runs if r["ingest"] == ingest]
        summary[ingest] = {
            key: {
                **_summary([v for r in mine for v in r[key]]),
                "run_medians": [_summary(r[key])["median"] for r in mine],
            }
            for key in ("edge_s", "screen_s", "pdt_minus_capture_s")
        }
    stamp = time.strftime("%Y%m%d-%H%M%S")
    document = {
        "benchmark": "ingest",
        "created": stamp,
        "settings": {
            "runs": args.runs, "seconds": args.seconds, "ladder": args.ladder,
            "segment_duration": args.segment_duration, "publisher_size": args.size,
            "browser": not args.no_browser, "cpus": os.cpu_count(),
            "loadavg_at_end": os.getloadavg(),
        },
        "summary": summary,
        "runs": runs,
    }  # fmt: skip
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"ingest-{stamp}.json"
    path.write_text(json.dumps(document, indent=1))
    path.with_suffix(".md").write_text(_markdown(document))
    print(_markdown(document))
    print(f"results: {path}")
    return 0


def _markdown(document: dict[str, Any]) -> str:
    settings = document["settings"]
    lines = [
        f"# Ingest glass-to-glass latency ({document['created']})",
        "",
        f"{settings['runs']} runs per ingest, {settings['seconds']:g} s measured each; ladder "
        f"{settings['ladder']}, {settings['segment_duration']:g} s segments, publisher "
        f"{settings['publisher_size']}; clock burned into the picture "
        "(segmenter/clock_barcode.py). "
        "`swarmcast bench ingest` (bench/ingest_bench.py) explains the viewers.",
        "",
        "| ingest | viewer | samples | median s | worst s | best s | run medians s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    names = {
        "edge_s": "live edge (capture -> segment listed)",
        "screen_s": "hls.js screen (capture -> displayed)",
        "pdt_minus_capture_s": "PROGRAM-DATE-TIME - capture",
    }
    for ingest, figures in document["summary"].items():
        for key, label in names.items():
            f = figures[key]
            lines.append(
                f"| {ingest} | {label} | {f['n']} | {f['median']} | {f['worst']} | {f['best']} "
                f"| {', '.join(str(m) for m in f['run_medians'])} |"
            )
    return "\n".join(lines) + "\n"
