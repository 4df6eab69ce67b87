"""The CPU-profile summary (e2e/lab/cpu_profile.py) on a hand-made DevTools profile."""

from __future__ import annotations

from swarmcast.e2e.lab.cpu_profile import SourceMap, inclusive_times, self_times


def test_self_time_is_summed_per_function_within_the_window() -> None:
    profile = {
        "nodes": [
            {"id": 1, "callFrame": {"functionName": "(root)", "url": ""}},
            {"id": 2, "callFrame": {"functionName": "pass", "url": "http://h/shim.js"}},
            {"id": 3, "callFrame": {"functionName": "(idle)", "url": ""}},
        ],
        # samples at 1 ms, 3 ms, 6 ms, 2.006 s
        "samples": [2, 2, 3, 2],
        "timeDeltas": [1000, 2000, 3000, 2_000_000],
    }
    whole = self_times(profile)
    assert whole["pass (shim.js)"] == 1.0 + 2.0 + 2000.0
    assert whole["(idle) (-)"] == 3.0
    first_second = self_times(profile, 0.0, 1.0)
    assert first_second["pass (shim.js)"] == 3.0


def test_inclusive_time_counts_each_function_on_the_stack_once_per_sample() -> None:
    profile = {
        "nodes": [
            {"id": 1, "callFrame": {"functionName": "(root)", "url": ""}, "children": [2]},
            {"id": 2, "callFrame": {"functionName": "drain", "url": "s.js"}, "children": [3]},
            {"id": 3, "callFrame": {"functionName": "send", "url": "s.js"}, "children": [4]},
            {"id": 4, "callFrame": {"functionName": "drain", "url": "s.js"}},
        ],
        "samples": [2, 3, 4],
        "timeDeltas": [1000, 1000, 1000],
    }
    times = inclusive_times(profile)
    assert times["drain (s.js)"] == 3.0  # the recursion is not counted twice
    assert times["send (s.js)"] == 2.0
    assert self_times(profile)["drain (s.js)"] == 2.0


def test_source_map_names_bundle_frames_by_source_line() -> None:
    # Line 0 of the bundle: columns 0-4 come from src/a.ts line 1, columns 5- from line 2.
    doc = {"version": 3, "sources": ["../src/a.ts"], "names": [], "mappings": "AAAA,KACA"}
    source_map = SourceMap(doc, "swarmcast.js")
    frame = {"functionName": "n", "url": "http://h/static/swarmcast.0123456789ab.js"}
    profile = {
        "nodes": [
            {"id": 1, "callFrame": {**frame, "lineNumber": 0, "columnNumber": 6}},
            {"id": 2, "callFrame": {**frame, "lineNumber": 0, "columnNumber": 2}},
            {"id": 3, "callFrame": {**frame, "url": "http://h/other.js", "lineNumber": 0}},
        ],
        "samples": [1, 2, 3],
        "timeDeltas": [1000, 1000, 1000],
    }
    times = self_times(profile, source_map=source_map)
    assert times == {"n [a.ts:2]": 1.0, "n [a.ts:1]": 1.0, "n (other.js)": 1.0}
