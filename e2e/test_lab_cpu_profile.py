"""The CPU-profile summary (e2e/lab/cpu_profile.py) on a hand-made DevTools profile."""

from __future__ import annotations

from swarmcast.e2e.lab.cpu_profile import self_times


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
