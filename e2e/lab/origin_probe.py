"""Waits, inside the origin's namespace, until the live stream is watchable; prints what it found.

The lab's controller lives outside the lab's namespaces and cannot reach the origin's address,
so `ip netns exec <origin> python -m e2e.lab.origin_probe URL STREAM` polls for it and prints
one JSON object: the renditions (name, bandwidth, resolution) and the media playlist's
target duration. Exit status 1 (with {"error": ...}) when the deadline passes first.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urljoin

from swarmcast.protocol.hls_playlist import parse_media_playlist, variant_streams


def fetch_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


def parse_master(text: str, base: str) -> list[dict[str, Any]]:
    renditions = []
    for variant in variant_streams(text):
        renditions.append(
            {
                "name": variant.rendition,
                "uri": urljoin(base, variant.uri),
                "bandwidth": variant.bandwidth or None,
                "height": variant.size[1] or None,
            }
        )
    return renditions


def probe(base_url: str, stream: str, min_segments: int) -> dict[str, Any] | None:
    master_url = f"{base_url}/live/{stream}/master.m3u8"
    renditions = parse_master(fetch_text(master_url), master_url)
    if not renditions:
        return None
    text = fetch_text(renditions[0]["uri"])
    media = parse_media_playlist(text)
    if len(media.segments) < min_segments:
        return None
    return {
        "master": master_url,
        "renditions": renditions,
        "target_duration_s": int(media.target_duration),
        "segments": len(media.segments),
        "has_program_date_time": "#EXT-X-PROGRAM-DATE-TIME" in text,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base_url")
    parser.add_argument("stream")
    parser.add_argument("--min-segments", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=90.0)
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    last_error = "no answer"
    while time.monotonic() < deadline:
        try:
            found = probe(args.base_url.rstrip("/"), args.stream, args.min_segments)
        except (OSError, urllib.error.URLError, ValueError) as exc:
            found, last_error = None, str(exc)
        if found is not None:
            print(json.dumps(found))
            return 0
        time.sleep(0.5)
    print(json.dumps({"error": f"stream not ready after {args.timeout:.0f} s: {last_error}"}))
    return 1


if __name__ == "__main__":
    sys.exit(main())
