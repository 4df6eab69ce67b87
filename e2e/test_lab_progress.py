"""The lab's progress line (pure): joined/playing counts, live offload, stalls, time left."""

from __future__ import annotations

from swarmcast.e2e.lab.processes import ViewerRecord
from swarmcast.e2e.lab.progress import progress_line


def _record(kind: str, sample: dict[str, object] | None, left: float | None = None) -> ViewerRecord:
    record = ViewerRecord("v", kind, "p2p", 0, "10.0.0.2", 0.0, left_wall=left)
    if sample is not None:
        record.samples.append(sample)
    return record


def test_progress_line_counts_viewers_offload_and_time_left() -> None:
    records = [
        _record(
            "browser",
            {"firstFrameWall": 1.0, "stalls": [{}], "shim": {"httpBytes": 100, "p2pBytes": 300}},
        ),
        _record("browser", {"firstFrameWall": None, "stalls": [], "shim": {"httpBytes": 100}}),
        _record("python", {"bytes_from_http": 0, "bytes_from_peers": 100, "stalls": 0}),
        _record("browser", None),
        _record("browser", {"firstFrameWall": 1.0, "shim": {}}, left=5.0),
    ]
    line = progress_line("p2p", 0, 2, records, 20, 55.0, 240.0)
    assert line == ("phase p2p (1/2): 5/20 joined, 2 playing, offload 66.7 %, 1 stalls, 3m05s left")


def test_progress_line_before_any_byte() -> None:
    assert "offload n/a" in progress_line("cdn", 1, 2, [], 4, 300.0, 240.0)
    assert progress_line("cdn", 1, 2, [], 4, 300.0, 240.0).endswith("0m00s left")
