"""What the session's timeline scripts share: a run's P2P pages and a few of their facts."""

from __future__ import annotations

import glob
import json
from collections.abc import Iterator
from typing import Any


def p2p_pages(run: str) -> Iterator[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """Each P2P browser page of an unpacked run: its file, its timeline and its events in time order."""
    for path in sorted(glob.glob(run + "/*-timeline/p2p-b0*.json")):
        data = json.load(open(path))
        yield path, data, sorted(data["events"], key=lambda e: e["t"])


def first_playing(events: list[dict[str, Any]]) -> float | None:
    """When the page's video first played (ms), None if it never did."""
    return min((e["t"] for e in events if e["kind"] == "media" and e.get("event") == "playing"), default=None)


def first_asks(events: list[dict[str, Any]]) -> dict[int, float]:
    """When the player first asked for each segment (its frag-request), by seq."""
    asked: dict[int, float] = {}
    for e in events:
        if e["kind"] == "frag-request" and e.get("seq") is not None:
            asked.setdefault(e["seq"], e["t"])
    return asked
