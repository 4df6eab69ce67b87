"""One progress line per ~10 s while a lab phase runs (a full bench takes 20 minutes): phase,
viewers joined and playing, live offload, stalls, time left. Pure: the runner passes records."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from swarmcast.e2e.lab.processes import ViewerRecord


def _bytes(record: ViewerRecord) -> tuple[int, int]:
    """(http, p2p) media bytes of the viewer's latest sample."""
    if not record.samples:
        return 0, 0
    sample = record.samples[-1]
    if record.kind == "browser":
        shim: dict[str, Any] = sample.get("shim") or {}
        return int(shim.get("httpBytes") or 0), int(shim.get("p2pBytes") or 0)
    return int(sample.get("bytes_from_http") or 0), int(sample.get("bytes_from_peers") or 0)


def _playing(record: ViewerRecord) -> bool:
    if not record.samples or record.left_wall is not None:
        return False
    sample = record.samples[-1]
    return bool(sample.get("firstFrameWall")) if record.kind == "browser" else True


def _stalls(record: ViewerRecord) -> int:
    if not record.samples:
        return 0
    stalls = record.samples[-1].get("stalls")
    return len(stalls) if isinstance(stalls, list) else int(stalls or 0)


def progress_line(
    phase: str,
    index: int,
    phases: int,
    records: Iterable[ViewerRecord],
    planned_viewers: int,
    elapsed_s: float,
    duration_s: float,
) -> str:
    """`phase p2p (1/2): 12/20 joined, 11 playing, offload 71.2 %, 0 stalls, 3m05s left`."""
    records = list(records)
    http = p2p = 0
    for record in records:
        h, p = _bytes(record)
        http, p2p = http + h, p2p + p
    offload = f"{100 * p2p / (http + p2p):.1f} %" if http + p2p else "n/a"
    left = max(0, round(duration_s - elapsed_s))
    return (
        f"phase {phase} ({index + 1}/{phases}): {len(records)}/{planned_viewers} joined,"
        f" {sum(_playing(r) for r in records)} playing, offload {offload},"
        f" {sum(_stalls(r) for r in records)} stalls, {left // 60}m{left % 60:02d}s left"
    )
